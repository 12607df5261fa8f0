# The deploy scenario of tools/bench (sourced).

# deploy_site MODE ROUND: sets $site to the site MODE runs on in ROUND, and
# flushes everything to disk (sync). A new empty directory (with releases/
# for cp -a); for again-*, the site that ROUND's first deploy left, made the
# same way (manifest on or off). No site is removed before the timing ends:
# on a filesystem without a journal, ext4 skips the inodes deleted in the
# last minute or more when it allocates one (recently_deleted() in
# fs/ext4/ialloc.c), and every file a timed run creates would pay for each
# file the bench had just removed.
deploy_site() {
  local mode=$1 round=$2
  case $mode in
    again-*) site=$work/sites/$round-${mode#again-} ;;
    *)
      site=$work/sites/$round-$mode
      mkdir -p "$site"
      if [[ $mode == cp* ]]; then mkdir "$site/releases"; fi
      ;;
  esac
  sync
}

# Runs deploy mode MODE on $site.
deploy_run() {
  case $1 in
    on | again-on) persist deploy "$rel" --root "$site" --quiet ;;
    off | again-off) persist deploy "$rel" --root "$site" --quiet --manifest off ;;
    cp) cp -a "$rel" "$site/releases/x" ;;
    cp+sync) cp -a "$rel" "$site/releases/x" && sync ;;
  esac
}


# check_deploy MODE: what round 1's run of MODE left at $site is the release,
# file for file; a deploy passes persist verify, with the manifest it should
# (or should not) have; a second deploy is a second release, and with
# manifests persist diff finds no change between the two.
check_deploy() {
  local m=$1 dir id releases
  case $m in
    cp | cp+sync) dir=$site/releases/x ;;
    *)
      id=$(readlink "$site/current") || die "$m: the deploy left no current link"
      dir=$site/$id
      ;;
  esac
  release_listing "$dir" "$work/snap/deploy-$m.txt"
  local what="the release, seen through its links into shared/,"
  [[ $m != cp* ]] || what="the copy"
  same "$m: $what is the source release, file for file" \
    "$work/snap/release.txt" "$work/snap/deploy-$m.txt"
  [[ $m == cp* ]] && return 0
  persist verify --root "$site" >"$work/verify-$m.txt" 2>&1 || {
    cat "$work/verify-$m.txt"
    die "$m: persist verify found problems"
  }
  case $m in
    *on)
      grep -q 'checked against its manifest' "$work/verify-$m.txt" ||
        die "$m: persist verify checked no manifest (see $work/verify-$m.txt)"
      ok "$m: persist verify: $(grep -o '[0-9]* paths of release [^ ]* checked against its manifest' "$work/verify-$m.txt")"
      ;;
    *off)
      grep -q 'has no manifest to check against' "$work/verify-$m.txt" ||
        die "$m: --manifest off, yet persist verify found a manifest (see $work/verify-$m.txt)"
      ok "$m: persist verify passes, and no manifest was recorded"
      ;;
  esac
  if [[ $m == again-* ]]; then
    releases=("$site"/releases/*)
    ((${#releases[@]} == 2)) || die "$m: ${#releases[@]} release(s) after two deploys, not 2"
    if [[ $m == again-on ]]; then
      persist diff "${releases[0]##*/}" "${releases[1]##*/}" --root "$site" >"$work/diff-$m.txt" 2>&1 ||
        die "$m: persist diff failed (see $work/diff-$m.txt)"
      grep -q '^0 changes' "$work/diff-$m.txt" || die "$m: persist diff found changes (see $work/diff-$m.txt)"
      ok "$m: persist diff of the two releases' manifests: $(head -n 1 "$work/diff-$m.txt")"
    fi
  fi
}


deploy_bench() {
  rel=$work/release site=''
  local r m line

  # -------------------------------------------------------------- release

  step "The release"
  make_release "$rel"
  local copies="vendor/php"
  ((rel_copies == 1)) || copies+=" ... vendor/php$rel_copies"
  rel_desc=$(awk -v f="$rel_files" -v b="$rel_bytes" -v d="$rel_dirs" -v k="$rel_disk" \
    -v n="$rel_copies" -v p="$rel_php_files" -v c="$copies" 'BEGIN {
      printf "%d files in %d directories, %.1f MB of file content (%.0f MB on disk); vendor/ holds %d cop%s of /usr/share/php (%d files each: %s)",
        f, d, b / 1e6, k / 1e6, n, n == 1 ? "y" : "ies", p, c }')
  echo "release: $rel"
  say "release: $rel_desc"
  release_listing "$rel" "$work/snap/release.txt"
  sync
  # The page cache is not dropped (that needs root and disturbs everyone
  # else on the machine); the source is read once instead, so that every
  # mode reads it from memory.
  find "$rel" -type f -print0 | xargs -0 cat >/dev/null
  say "The source release was flushed (sync) and read once (cat of every file to /dev/null) before timing: every mode reads it from the page cache, which is not dropped."

  # -------------------------------------------------------------- timing

  step "Deploy timing: $rounds round(s), modes alternating"
  say "Each first deploy and copy starts on a new empty site (with releases/ for cp -a); again-on and again-off deploy the release a second time on the site that the round's on or off run left. Everything is flushed by an untimed sync before each run, and no site is removed until the timing ends. Only the command is timed: wall clock, and user and system CPU time. Round 1's results are checked."
  mkdir "$work/sites"
  for ((r = 1; r <= rounds; r++)); do
    line="round $r/$rounds:"
    for m in on again-on off again-off cp cp+sync; do
      deploy_site "$m" "$r"
      timed_cpu "$work/times/deploy.$m" deploy_run "$m" || die "deploy mode $m failed in round $r (see $work/log.txt)"
      ((r > 1)) || check_deploy "$m"
      line+=" $m $(($(tail -n 1 "$work/times/deploy.$m") / 1000000))ms"
    done
    echo "$line"
  done

  # -------------------------------------------------------------- results

  step "Deploy results (medians of $rounds round(s))"
  declare -A med
  for m in on off cp cp+sync again-on again-off; do
    med[$m]=$(median "$work/times/deploy.$m")
    med[$m.user]=$(median_col "$work/times/deploy.$m.cpu" 1)
    med[$m.sys]=$(median_col "$work/times/deploy.$m.cpu" 2)
  done
  {
    echo
    echo "Deploy of one release: $rel_desc"
    echo
    echo "| run | median ms (min-max) | MB/s | µs/file | user CPU ms | sys CPU ms | × cp -a | × cp -a + sync | × --manifest off |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    local label base
    for m in cp cp+sync on off again-on again-off; do
      case $m in
        cp) label='`cp -a`' ;;
        cp+sync) label='`cp -a` + `sync`' ;;
        on) label='persist deploy (first), manifest on' ;;
        off) label='persist deploy (first), `--manifest off`' ;;
        again-on) label='persist deploy (subsequent), manifest on' ;;
        again-off) label='persist deploy (subsequent), `--manifest off`' ;;
      esac
      base=''
      [[ $m == *on ]] && base=${med[${m%on}off]}
      awk -v label="$label" -v med="${med[$m]}" -v range="$(minmax "$work/times/deploy.$m")" \
        -v b="$rel_bytes" -v f="$rel_files" -v u="${med[$m.user]}" -v s="${med[$m.sys]}" \
        -v cp="${med[cp]}" -v cps="${med[cp+sync]}" -v off="$base" 'BEGIN {
          x = off == "" ? "" : sprintf("%.2f", med / off)
          printf "| %s | %.1f (%s) | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %s |\n",
            label, med / 1e6, range, b / 1e6 / (med / 1e9), med / 1e3 / f, u * 1000, s * 1000,
            med / cp, med / cps, x }'
    done
    echo
    echo "Ratios of the medians:"
    echo
    local pair
    for pair in "first deploy:on:off" "subsequent deploy:again-on:again-off"; do
      IFS=: read -r label m base <<<"$pair"
      awk -v label="$label" -v on="${med[$m]}" -v off="${med[$base]}" \
        -v uon="${med[$m.user]}" -v son="${med[$m.sys]}" -v uoff="${med[$base.user]}" -v soff="${med[$base.sys]}" \
        -v rounds="$(paste "$work/times/deploy.$m" "$work/times/deploy.$base" | awk '{ printf " %.2f", $1 / $2 }')" 'BEGIN {
          printf "- with / without the manifest, %s: %.2f (%+.0f ms wall clock; CPU %+.0f ms user, %+.0f ms system); round by round:%s\n",
            label, on / off, (on - off) / 1e6, (uon - uoff) * 1000, (son - soff) * 1000, rounds }'
    done
    awk -v on="${med[on]}" -v off="${med[off]}" -v aon="${med[again-on]}" -v aoff="${med[again-off]}" \
      -v cp="${med[cp]}" -v cps="${med[cp+sync]}" 'BEGIN {
        printf "- persist deploy / (`cp -a` + `sync`): first deploy %.2f with the manifest, %.2f without; subsequent %.2f and %.2f\n",
          on / cps, off / cps, aon / cps, aoff / cps
        printf "- persist deploy / `cp -a`: first deploy %.2f with the manifest, %.2f without; subsequent %.2f and %.2f\n",
          on / cp, off / cp, aon / cp, aoff / cp }'
    if [[ -n "$sha_speed" ]]; then
      awk -v b="$rel_bytes" -v s="$sha_speed" 'BEGIN {
        printf "- SHA-256 of the release'"'"'s %.1f MB at %d MB/s (openssl speed, one core): %.0f ms of CPU\n", b / 1e6, s, b / 1e6 / s * 1000 }'
    fi
    echo
    echo "Wall clock from bash's clock; user and system CPU from bash's time (the command and its"
    echo "children). Writeback done by the kernel's flusher threads is in nobody's CPU time: sync"
    echo "and persist's syncfs wait for it. The source was in the page cache (read once before timing)."
  } | tee "$work/results-deploy.md"
}

