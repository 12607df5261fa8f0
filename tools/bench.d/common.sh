# shellcheck shell=bash
# Shared by tools/bench and its scenarios (sourced): output, the clock,
# snapshots (the tests' snapshot tool) and comparisons, medians.

if [[ -t 1 ]]; then
  bold=$'\e[1m' dim=$'\e[2m' red=$'\e[31m' green=$'\e[32m' off=$'\e[0m'
else
  bold='' dim='' red='' green='' off=''
fi

step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
say() { printf '%s\n' "$*" | fold -s -w 78; }
ok() { printf '%sok:%s %s\n' "$green" "$off" "$*"; }
die() {
  printf '%sbench: %s%s\n' "$red" "$*" "$off" >&2
  exit 1
}

# Nanoseconds since the epoch. Bash's own clock (no fork, microsecond
# resolution) where there is one, else date(1).
if [[ -n "${EPOCHREALTIME:-}" ]]; then
  now_ns() { local t=${EPOCHREALTIME/[.,]/}; printf '%s000' "$t"; }
else
  now_ns() { date +%s%N; }
fi

# snapshot DIR OUT [mtime]: the snapshot of a site except .persist/ and
# shared/.deployment-history (the log every run appends to, undo and recover
# included, which the exactness promise leaves out), made by the tests'
# snapshot tool (tests/testing:snapshot, installed as $work/bin/snapshot):
# type, mode, size, symlink target and the SHA-256 of every regular file;
# with "mtime", file and symlink mtimes too (what exactness compares,
# DESIGN.md promise 7).
snapshot() {
  local dir=$1 out=$2 mtimes=(--no-mtimes)
  [[ ${3:-} != mtime ]] || mtimes=()
  "$work/bin/snapshot" --exclude .persist --exclude shared/.deployment-history "${mtimes[@]}" "$dir" >"$out" ||
    die "the snapshot of $dir failed"
}

# same WHAT A B: the two snapshots (or listings, one line per path) are
# equal, else the paths that differ and the bench stops.
same() {
  local what=$1 a=$2 b=$3
  if "$work/bin/snapshot" --compare "$a" "$b" >"$work/diff.txt"; then
    ok "$what"
  else
    head -n 40 "$work/diff.txt"
    die "$what: the snapshots $a and $b differ"
  fi
}

# Median of the numbers in FILE, one a line.
median() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print 0; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
minmax() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f-%.1f", lo / 1e6, hi / 1e6 }'; }

# timed_cpu OUT COMMAND...: appends COMMAND's wall-clock ns to OUT, and its
# user and system CPU seconds (bash's time: its child processes') to OUT.cpu.
timed_cpu() {
  local out=$1 t0 t1 TIMEFORMAT='%3U %3S'
  shift
  t0=$(now_ns)
  { time "$@" >>"$work/log.txt" 2>&1; } 2>>"$out.cpu" || return 1
  t1=$(now_ns)
  echo $((t1 - t0)) >>"$out"
}

# median_col FILE COL: the median of column COL of FILE.
median_col() { awk -v c="$2" '{ print $c }' "$1" >"$1.col"; median "$1.col"; }
