# shellcheck shell=bash
# The archive scenario of tools/bench (sourced): persist deploy straight from
# the vendor's zip next to what an operator runs today (unzip, then
# Deployer's algorithm); a vendor's update package deployed with persist
# deploy --update next to a full deploy of the new release's zip; and the
# peak memory of a deploy from a zip of 100,000 files or more. Sets
# $archive_releases (for the removal at the end) and adds to
# $work/targets.tsv.
#
# The release is release.sh's (the deploy scenario's when it ran, else made
# here the same way), zipped once by Info-ZIP: `zip -qry` in its directory,
# so that the app is at the archive's top. Its next version is a cp -a of it
# in which 500 files under vendor/, spread evenly over their sorted list,
# have a line added; the update package is a zip of those 500 files alone,
# in the release's layout (no deleted-files.txt); the new release's full zip
# is made like the first.
#
# Two parts of R rounds. Every run has a site of its own, starts after an
# untimed sync, and only its command is timed; the two runs of a round
# alternate (the order is reversed in even rounds):
#
#   persist    persist deploy REL.zip --root SITE --id 1 --quiet, into a new site
#   baseline   unzip -q REL.zip -d DIR, then Deployer's algorithm from DIR
#              (deploy.sh's deployer chain) into a new site; each of the two
#              steps is also timed on its own
#
#   update     persist deploy --update PKG.zip --root SITE --id 2 --quiet --dedupe hardlink
#   full       persist deploy NEW.zip --root SITE --id 2 --quiet (the default --dedupe)
#              each on a site where REL.zip was deployed as release 1 (untimed)
#
# Then one more run of each under strace -f -c -w (untimed), and the peak RSS
# (GNU time's %M, rss.sh's rss_run) of persist deploy BIG.zip into a new site,
# BIG.zip being a zip of a release made as rss.sh makes its own (the
# peak-memory scenario's when it ran): 100,000 files or more, 10,000 with
# --quick. Round 1's results and the big deploy are checked.

# unzip_deployer ZIP DIR SITE ID: what an operator does with the vendor's zip
# today: unzip it into DIR, then deploy DIR with Deployer's algorithm (the
# deploy scenario's deployer chain). Each step's time also goes to a file of
# its own.
unzip_deployer() {
  local zip=$1 dir=$2 site=$3 id=$4 cmd
  timed_cpu "$work/times/archive.unzip" unzip -q "$zip" -d "$dir" || return 1
  chain_cmd deployer "$dir" "$site" "$id"
  timed_cpu "$work/times/archive.deployer" "${cmd[@]}"
}

# archive_check WHAT SITE LISTING FILES [persist]: the live release of SITE,
# seen through its links into shared/ and without mtimes (a zip keeps them
# to the second), is LISTING's, and holds FILES files; with "persist", the
# site passes persist verify with every path checked against the manifest.
archive_check() {
  local what=$1 site=$2 listing=$3 files=$4 dir n out
  dir=$site/$(readlink "$site/current") || die "$what: $site has no current link"
  out=$work/snap/archive-$(basename "$site").txt
  release_listing "$dir" "$out" nomtime
  same "$what: the live release, seen through its links into shared/, is its source, file for file (mtimes aside)" "$listing" "$out"
  n=$(grep -c $'\tfile ' "$out" || true)
  ((n == files)) || die "$what: the live release holds $n files, not $files (see $out)"
  ok "$what: the live release holds all $n files"
  [[ ${5:-} == persist ]] || return 0
  persist verify --root "$site" >"$out.verify" 2>&1 || {
    cat "$out.verify"
    die "$what: persist verify found problems"
  }
  grep -q 'checked against its manifest' "$out.verify" ||
    die "$what: persist verify checked no manifest (see $out.verify)"
}

# mb FILE: FILE's size in MB.
mb() { stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1e6 }'; }

# round_ratios A B: the ratio of each round's time in A to the same round's in B.
round_ratios() { paste "$1" "$2" | awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 / $2 }'; }

archive_bench() {
  local a=$work/archive sites=$work/sites-archive r c f n t0 line site order arel big
  local files bytes dirs entries zip_s pkg_bytes
  mkdir -p "$a" "$sites" "$work/rss"
  if ! command -v zip >/dev/null || ! command -v unzip >/dev/null; then
    die "zip and unzip (Info-ZIP) are missing: apt-get install zip unzip"
  fi
  [[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"

  # -------------------------------------------------------------- release

  step "The release, its zip, and the update package"
  scenario_release "$a/release"
  arel=$scenario_rel
  read -r files bytes < <(count_files "$arel")
  dirs=$(find "$arel" -type d | wc -l)
  t0=$(now_ns)
  (cd "$arel" && zip -qry "$a/release.zip" .) || die "zip -qry of $arel failed"
  zip_s=$(awk -v d=$(($(now_ns) - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')
  entries=$(unzip -Z1 "$a/release.zip" | wc -l)
  arc_desc=$(awk -v f="$files" -v d="$dirs" -v b="$bytes" -v e="$entries" -v z="$(mb "$a/release.zip")" -v s="$zip_s" 'BEGIN {
    printf "%d files in %d directories, %.1f MB of file content; its zip (zip -qry, made in %s s): %d entries, %s MB", f, d, b / 1e6, s, e, z }')
  say "release: $arc_desc"

  make_update_package "$arel" "$a/new" "$a/update.zip"
  (cd "$a/new" && zip -qry "$a/new.zip" .) || die "zip -qry of the new release failed"
  upd_pkg_desc=$(awk -v f="$files" -v b="$pkg_bytes" -v z="$(mb "$a/update.zip")" -v nz="$(mb "$a/new.zip")" 'BEGIN {
    printf "500 files under vendor/ with a line added (%.1f%% of the release'"'"'s %d files, %.1f MB); their zip, the update package: %s MB; the new release'"'"'s full zip: %s MB", 50000 / f, f, b / 1e6, z, nz }')
  say "update: $upd_pkg_desc"
  release_listing "$arel" "$work/snap/archive-release.txt" nomtime
  release_listing "$a/new" "$work/snap/archive-new.txt" nomtime
  shared_of "$arel"
  say "shared (from persist classify), for Deployer's algorithm: directories ${shared_dirs% }; files ${shared_files% }"
  [[ -n "$shared_dirs" ]] || die "persist classify found no persistent directory in the release (see $work/classify.txt)"
  sync
  cat "$a/release.zip" "$a/update.zip" "$a/new.zip" >/dev/null
  say "The zips were flushed (sync) and read once before timing: every run reads them from the page cache."
  archive_releases=$((7 * rounds))

  # -------------------------------------------------------------- deploy from the zip

  step "Deploy from the zip against unzip + Deployer's algorithm: $rounds round(s), alternating"
  say "persist deploy REL.zip into a new site; unzip -q REL.zip -d DIR then Deployer's algorithm from DIR into another. Round 1's results are checked."
  for ((r = 1; r <= rounds; r++)); do
    order=(persist baseline)
    ((r % 2)) || order=(baseline persist)
    line="round $r/$rounds:"
    for c in "${order[@]}"; do
      site=$sites/$r-$c
      mkdir "$site"
      sync
      case $c in
        persist) timed_cpu "$work/times/archive.persist" persist deploy "$a/release.zip" --root "$site" --id 1 --quiet ;;
        baseline) timed_cpu "$work/times/archive.baseline" unzip_deployer "$a/release.zip" "$sites/$r-upload" "$site" 1 ;;
      esac || die "$c failed in round $r (see $work/log.txt)"
      line+=" $c $(($(tail -n 1 "$work/times/archive.$c") / 1000000))ms"
    done
    echo "$line (unzip $(($(tail -n 1 "$work/times/archive.unzip") / 1000000))ms, deployer $(($(tail -n 1 "$work/times/archive.deployer") / 1000000))ms)"
    if ((r == 1)); then
      archive_check "persist deploy REL.zip" "$sites/1-persist" "$work/snap/archive-release.txt" "$files" persist
      release_listing "$sites/1-upload" "$work/snap/archive-upload.txt" nomtime
      same "unzip -q REL.zip: the unzipped tree is the release, file for file (mtimes aside)" \
        "$work/snap/archive-release.txt" "$work/snap/archive-upload.txt"
      archive_check "unzip + Deployer's algorithm" "$sites/1-baseline" "$work/snap/archive-release.txt" "$files"
      link_listing "$sites/1-persist" "$work/snap/archive-links-persist.txt"
      link_listing "$sites/1-baseline" "$work/snap/archive-links-baseline.txt"
      same "unzip + Deployer's algorithm: the same links as persist deploy's (current, and into shared/)" \
        "$work/snap/archive-links-persist.txt" "$work/snap/archive-links-baseline.txt"
    fi
  done

  # -------------------------------------------------------------- update package

  step "The update package against a full deploy of the new release's zip: $rounds round(s), alternating"
  say "Each on a site where REL.zip was deployed as release 1 (untimed): persist deploy --update PKG.zip --dedupe hardlink, and persist deploy NEW.zip (the default --dedupe), as release 2. Round 1's results are checked."
  for ((r = 1; r <= rounds; r++)); do
    for c in update full; do
      mkdir "$sites/$r-$c"
      persist deploy "$a/release.zip" --root "$sites/$r-$c" --id 1 --quiet >>"$work/log.txt" 2>&1 ||
        die "the deploy of REL.zip to $sites/$r-$c failed (see $work/log.txt)"
    done
    order=(update full)
    ((r % 2)) || order=(full update)
    line="round $r/$rounds:"
    for c in "${order[@]}"; do
      site=$sites/$r-$c
      sync
      case $c in
        update) timed_cpu "$work/times/archive.update" persist deploy --update "$a/update.zip" --root "$site" --id 2 --quiet --dedupe hardlink ;;
        full) timed_cpu "$work/times/archive.full" persist deploy "$a/new.zip" --root "$site" --id 2 --quiet ;;
      esac || die "$c failed in round $r (see $work/log.txt)"
      line+=" $c $(($(tail -n 1 "$work/times/archive.$c") / 1000000))ms"
    done
    echo "$line"
    if ((r == 1)); then
      for c in update full; do
        site=$sites/1-$c
        archive_check "$c" "$site" "$work/snap/archive-new.txt" "$files" persist
        persist diff 1 2 --root "$site" >"$work/archive-diff-$c.txt" 2>&1 || die "$c: persist diff 1 2 failed (see $work/archive-diff-$c.txt)"
        n=$(awk 'END { print $1 }' "$work/archive-diff-$c.txt")
        [[ $n == 500 ]] || die "$c: persist diff 1 2 found '$n' changes, not the 500 made (see $work/archive-diff-$c.txt)"
        ok "$c: persist diff 1 2: $(tail -n 1 "$work/archive-diff-$c.txt"), as made"
      done
    fi
  done
  declare -gA archive_blocks
  for c in update full; do
    read -r archive_blocks[$c.1] archive_blocks[$c.2] <<<"$(cd "$sites/1-$c/releases" && du -sk 1 2 | awk '{ printf "%s ", $1 }')"
  done

  # -------------------------------------------------------------- syscalls

  step "Syscalls: one extra run of each under strace -f -c -w"
  say "Each on a site of its own, not timed: persist deploy REL.zip; unzip -q, then Deployer's algorithm, each traced on its own; the update and the full deploy, each on a site where REL.zip is live."
  mkdir "$sites/trace-persist" "$sites/trace-baseline" "$sites/trace-update" "$sites/trace-full"
  strace -f -c -w -o "$work/strace/archive.persist.c" persist deploy "$a/release.zip" --root "$sites/trace-persist" --id 1 --quiet >>"$work/log.txt" 2>&1 ||
    die "persist deploy REL.zip failed under strace (see $work/log.txt)"
  strace -f -c -w -o "$work/strace/archive.unzip.c" unzip -q "$a/release.zip" -d "$sites/trace-upload" >>"$work/log.txt" 2>&1 ||
    die "unzip failed under strace (see $work/log.txt)"
  local cmd
  chain_cmd deployer "$sites/trace-upload" "$sites/trace-baseline" 1
  strace -f -c -w -o "$work/strace/archive.deployer.c" "${cmd[@]}" >>"$work/log.txt" 2>&1 ||
    die "Deployer's algorithm failed under strace (see $work/log.txt)"
  for c in update full; do
    persist deploy "$a/release.zip" --root "$sites/trace-$c" --id 1 --quiet >>"$work/log.txt" 2>&1 ||
      die "the deploy of REL.zip to $sites/trace-$c failed (see $work/log.txt)"
  done
  strace -f -c -w -o "$work/strace/archive.update.c" persist deploy --update "$a/update.zip" --root "$sites/trace-update" --id 2 --quiet --dedupe hardlink >>"$work/log.txt" 2>&1 ||
    die "persist deploy --update failed under strace (see $work/log.txt)"
  strace -f -c -w -o "$work/strace/archive.full.c" persist deploy "$a/new.zip" --root "$sites/trace-full" --id 2 --quiet >>"$work/log.txt" 2>&1 ||
    die "persist deploy NEW.zip failed under strace (see $work/log.txt)"
  archive_releases=$((archive_releases + 7))

  # -------------------------------------------------------------- peak memory

  local min_files=100000 big_files big_bytes big_entries big_dir
  [[ -z "$quick" ]] || min_files=10000
  step "Peak memory of a deploy from a zip of $min_files files or more"
  if [[ -d "$work/big" && -n "$do_rss" ]]; then
    big=$work/big
    echo "release: $big (the peak-memory scenario's)"
  else
    big=$a/big
    make_release "$big" "$min_files" 0
  fi
  read -r big_files big_bytes < <(count_files "$big")
  ((big_files >= min_files)) || die "the big release has $big_files files, fewer than $min_files"
  t0=$(now_ns)
  (cd "$big" && zip -qry "$a/big.zip" .) || die "zip -qry of $big failed"
  zip_s=$(awk -v d=$(($(now_ns) - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')
  big_entries=$(unzip -Z1 "$a/big.zip" | wc -l)
  big_arc_desc=$(awk -v f="$big_files" -v b="$big_bytes" -v e="$big_entries" -v z="$(mb "$a/big.zip")" -v s="$zip_s" 'BEGIN {
    printf "%d files, %.0f MB of file content; its zip (made in %s s): %d entries, %s MB", f, b / 1e6, s, e, z }')
  say "big release: $big_arc_desc"
  mkdir "$sites/rss"
  sync
  rss_run archive persist deploy "$a/big.zip" --root "$sites/rss" --id 1 --quiet
  archive_releases=$((archive_releases + 1))
  big_dir=$sites/rss/$(readlink "$sites/rss/current") || die "the deploy of BIG.zip left no current link"
  # Every file of the release, through the links into shared/ (.env is the
  # site's, seeded from .env.example).
  n=$(find -L "$big_dir" -type f ! -path "$big_dir/.env" | wc -l)
  ((n == big_files)) || die "the deploy of BIG.zip holds $n files, not the release's $big_files"
  ok "persist deploy BIG.zip: the live release holds all $n files"

  # -------------------------------------------------------------- results

  step "Archive results (medians of $rounds round(s))"
  local tm=$work/times kib wall user sys
  read -r kib wall user sys <"$work/rss/archive"
  {
    echo
    echo "The release: $arc_desc."
    echo "The update: $upd_pkg_desc."
    echo
    echo "Deploys from the zip, into a new site; and release 2 on a site where REL.zip is release 1:"
    echo
    echo "| run | median ms (min-max) | user CPU ms | sys CPU ms | × baseline |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    row "\`unzip -q REL.zip -d DIR\` + Deployer's algorithm (the baseline)" "$tm/archive.baseline" "$tm/archive.baseline"
    row "of which \`unzip -q REL.zip -d DIR\`" "$tm/archive.unzip" "$tm/archive.baseline"
    row "of which Deployer's algorithm from DIR" "$tm/archive.deployer" "$tm/archive.baseline"
    row '`persist deploy REL.zip`' "$tm/archive.persist" "$tm/archive.baseline"
    row '`persist deploy NEW.zip`, full deploy of the new release (the baseline)' "$tm/archive.full" "$tm/archive.full"
    row '`persist deploy --update PKG.zip --dedupe hardlink`' "$tm/archive.update" "$tm/archive.full"
    echo
    echo "Round by round: persist deploy REL.zip / the baseline $(round_ratios "$tm/archive.persist" "$tm/archive.baseline"); the update / the full deploy $(round_ratios "$tm/archive.update" "$tm/archive.full")."
    awk -v u1="${archive_blocks[update.1]}" -v u2="${archive_blocks[update.2]}" -v f1="${archive_blocks[full.1]}" -v f2="${archive_blocks[full.2]}" 'BEGIN {
      printf "Disk blocks (du -sk releases/1 releases/2 of round 1'"'"'s sites): the update'"'"'s release 2 added %d KiB (%.1f%% of release 1'"'"'s %d), the full deploy'"'"'s %d KiB (%.1f%%).\n", u2, u2 * 100 / u1, u1, f2, f2 * 100 / f1 }'
    echo
    echo "Syscalls of one run each (strace -f -c -w, as in the deploy scenario):"
    echo
    echo "| run | syscalls | errors | s in syscalls | most frequent | most time (s) |"
    echo "| --- | ---: | ---: | ---: | --- | --- |"
    strace_row '`persist deploy REL.zip`' "$work/strace/archive.persist.c"
    strace_row '`unzip -q REL.zip -d DIR`' "$work/strace/archive.unzip.c"
    strace_row "Deployer's algorithm from DIR" "$work/strace/archive.deployer.c"
    strace_row '`persist deploy NEW.zip` (release 1 live)' "$work/strace/archive.full.c"
    strace_row '`persist deploy --update PKG.zip --dedupe hardlink`' "$work/strace/archive.update.c"
    echo
    echo "Peak memory, persist deploy BIG.zip into a new site, BIG.zip a zip of $big_arc_desc:"
    echo
    echo "| run | peak RSS MiB | wall s | user CPU s | sys CPU s |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    awk -v k="$kib" -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {
      printf "| `persist deploy BIG.zip` | %.1f | %.1f | %.2f | %.2f |\n", k / 1024, w, u, s }'
    echo
    echo "GNU time's %M (maximum resident set size); one run."
  } | tee "$work/results-archive.md"

  # -------------------------------------------------------------- targets

  target "deploy from a zip ≤ 1.0× \`unzip\` + Deployer's algorithm" "$(ratio "$tm/archive.persist" "$tm/archive.baseline")" 1.0
  target "update package of 500 files (\`--update --dedupe hardlink\`) ≤ 0.3× a full deploy of the new zip" \
    "$(ratio "$tm/archive.update" "$tm/archive.full")" 0.3
  target "peak RSS ≤ 64 MiB deploying a ${big_entries}-entry zip (${big_files} files)" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" 64 MiB
}
