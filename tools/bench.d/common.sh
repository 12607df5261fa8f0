# shellcheck shell=bash
# Shared by tools/bench and its scenarios (sourced): output, the clock,
# snapshots (the tests' snapshot tool) and comparisons, medians, table rows,
# ratios, the targets table and strace summaries.

if [[ -t 1 ]]; then
  bold=$'\e[1m' dim=$'\e[2m' red=$'\e[31m' green=$'\e[32m' off=$'\e[0m'
else
  bold='' dim='' red='' green='' off=''
fi

step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
say() { printf '%s\n' "$*" | fold -s -w 78; }
ok() { printf '%sok:%s %s\n' "$green" "$off" "$*"; }
# die MESSAGE: the bench fails, keeping its work directory, where MESSAGE
# may point.
die() {
  printf '%sbench: %s%s\n' "$red" "$*" "$off" >&2
  keep=1
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

# row LABEL FILE BASE...: a table row: median and range of FILE's times, the
# medians of its CPU times, and the ratio to the median of each BASE file.
row() {
  local label=$1 file=$2 b ratios=''
  shift 2
  for b in "$@"; do
    if [[ -z "$b" ]]; then ratios+=' |'; else ratios+=$(awk -v m="$(median "$file")" -v b="$(median "$b")" 'BEGIN { printf " %.2f |", m / b }'); fi
  done
  awk -v label="$label" -v med="$(median "$file")" -v range="$(minmax "$file")" \
    -v u="$(median_col "$file.cpu" 1)" -v s="$(median_col "$file.cpu" 2)" -v r="$ratios" 'BEGIN {
      printf "| %s | %.1f (%s) | %.0f | %.0f |%s\n", label, med / 1e6, range, u * 1000, s * 1000, r }'
}

# ratio A B: the median of the times in file A over that of file B.
ratio() { awk -v a="$(median "$1")" -v b="$(median "$2")" 'BEGIN { print a / b }'; }

# target NAME MEASURED LIMIT [UNIT]: a line of the targets table (met when
# MEASURED <= LIMIT).
target() {
  local name=$1 measured=$2 limit=$3 unit=${4:-×}
  awk -v n="$name" -v m="$measured" -v l="$limit" -v u="$unit" 'BEGIN {
    if (u == "×") shown = sprintf("%.2f×", m); else if (u == "%") shown = sprintf("%.1f%%", m); else shown = sprintf("%.1f %s", m, u)
    printf "%s\t%s\t%s\n", n, shown, (m <= l ? "met" : "not met") }' >>"$work/targets.tsv"
}
target_missing() { printf '%s\t%s\t%s\n' "$1" "not measured" "$2" >>"$work/targets.tsv"; }

# strace_row LABEL FILE: a table row from an `strace -f -c -w` summary: calls,
# errors, seconds in calls (waits for another thread or process, futex and
# wait4, left out), the five most frequent calls, the three longest.
strace_row() {
  awk -v label="$1" '
    $NF == "total" { calls = $4; errors = ($5 ~ /^[0-9]+$/) ? $5 : 0; secs = $2; next }
    $NF == "wait4" || $NF == "futex" { waited += $2; n[$NF] = $4; next }
    $4 ~ /^[0-9]+$/ && $NF != "syscall" { n[$NF] = $4; t[$NF] = $2 }
    END {
      top = ""
      for (k = 0; k < 5; k++) {
        best = ""; for (s in n) if (best == "" || n[s] > n[best]) best = s
        if (best == "") break
        top = top (top == "" ? "" : ", ") best " " n[best]; delete n[best]
      }
      long = ""
      for (k = 0; k < 3; k++) {
        best = ""; for (s in t) if (best == "" || t[s] > t[best]) best = s
        if (best == "") break
        long = long (long == "" ? "" : ", ") best " " t[best]; delete t[best]
      }
      printf "| %s | %d | %d | %.2f | %s | %s |\n", label, calls, errors, secs - waited, top, long }' "$2"
}
