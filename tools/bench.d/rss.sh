# shellcheck shell=bash
# The peak-memory scenario of tools/bench (sourced): the maximum resident set
# size (GNU time's %M) of persist deploy, verify and diff on a release of
# 100,000 files or more (make_release with as many copies of /usr/share/php
# as that takes; 10,000 with --quick). Built once, outside any timing. Sets
# $rss_releases (for the removal at the end) and adds to $work/targets.tsv.

# rss_run NAME COMMAND...: runs COMMAND under GNU time, records its peak RSS
# (KiB), wall clock, user and system seconds in $work/rss/NAME, its output
# in $work/rss/NAME.out.
rss_run() {
  local name=$1
  shift
  /usr/bin/time -f '%M %e %U %S' -o "$work/rss/$name" "$@" >"$work/rss/$name.out" 2>&1 ||
    die "$name failed (see $work/rss/$name.out)"
}

rss_bench() {
  local big=$work/big site=$work/sites-rss/site min_files=100000 name dedupe=''
  [[ -z "$quick" ]] || min_files=10000
  [[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
  mkdir -p "$work/rss" "$site"

  step "Peak memory on a release of $min_files files or more"
  make_release "$big" "$min_files" 0
  big_desc=$(awk -v f="$rel_files" -v b="$rel_bytes" -v d="$rel_dirs" -v n="$rel_copies" 'BEGIN {
    printf "%d files in %d directories, %.0f MB of file content; vendor/ holds %d copies of /usr/share/php", f, d, b / 1e6, n }')
  say "release: $big_desc"
  rss_steps=(first again verify diff)
  rss_releases=3
  rss_run first persist deploy "$big" --root "$site" --id 1 --quiet
  rss_run again persist deploy "$big" --root "$site" --id 2 --quiet
  if persist deploy --help 2>&1 | grep -q -- '--dedupe'; then
    rss_run hardlink persist deploy "$big" --root "$site" --id 3 --quiet --dedupe hardlink
    rss_steps+=(hardlink)
  fi
  rss_run verify persist verify --root "$site"
  rss_run diff persist diff 1 2 --root "$site"
  grep -q '^0 changes' "$work/rss/diff.out" || die "persist diff 1 2 of the same release found changes (see $work/rss/diff.out)"

  {
    echo
    echo "Peak memory, on a release of $big_desc:"
    echo
    echo "| run | peak RSS MiB | wall s | user CPU s | sys CPU s |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    for name in "${rss_steps[@]}"; do
      case $name in
        first) label='persist deploy, first' ;;
        again) label='persist deploy, same release again' ;;
        hardlink) label='persist deploy `--dedupe hardlink`, same release again' ;;
        verify) label='persist verify' ;;
        diff) label='persist diff 1 2' ;;
      esac
      read -r kib wall user sys <"$work/rss/$name"
      awk -v l="$label" -v k="$kib" -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {
        printf "| %s | %.1f | %.1f | %.2f | %.2f |\n", l, k / 1024, w, u, s }'
    done
    echo
    echo "GNU time's %M (maximum resident set size); one run each, not timed against anything."
  } | tee "$work/results-rss.md"
  local max
  max=$(cat "${rss_steps[@]/#/$work/rss/}" | awk '$1 > m { m = $1 } END { print m / 1024 }')
  target "peak RSS ≤ 64 MiB for a ${rel_files}-file release (deploy, verify, diff)" "$max" 64 MiB
}
