# shellcheck shell=bash
# The deploy scenario of tools/bench (sourced): persist deploy next to
# Deployer's algorithm, cp -a and rsync -a; persist diff next to diff -rq;
# persist verify next to sha256sum -c; persist recover after a crash, next
# to the deploy it undoes. Sets $deploy_releases (for the removal at the end)
# and adds to $work/targets.tsv.

# Each "chain" is one site per round, deployed to three times, a phase each:
#
#   first    the release, into a new empty site
#   again    the same release again, as the next release (a subsequent deploy)
#   update   the vendor update (make_update), as the third release
#
# The chains:
#
#   persist        persist deploy SRC --root SITE --id N --quiet (the default --dedupe)
#   hardlink       the same with --dedupe hardlink   (when the binary has --dedupe)
#   auto           the same with --dedupe auto       (likewise, unless auto is the default)
#   deployer       tools/bench.d/deployer SRC SITE N: Deployer's deploy:release,
#                  deploy:shared and deploy:symlink as shell commands
#   deployer+sync  the same, then sync
#
# and, in the first phase only, three plain copies of the release into a new
# directory: cp -a, cp -a then sync, rsync -a.
#
# Phases run one after the other in each round, every chain once a phase,
# alternating (persist, hardlink, auto, deployer, deployer+sync, cp ...;
# the order is reversed in even rounds). No site is removed before the
# timing ends: on a filesystem without a journal, ext4 skips the inodes
# deleted in the last minute or more when it allocates one
# (recently_deleted() in fs/ext4/ialloc.c), and every file a timed run
# creates would pay for each file the bench had just removed.

# chain_cmd CHAIN SRC SITE ID: sets cmd to the command of one deploy of
# CHAIN (or copy, into SITE/x).
chain_cmd() {
  local chain=$1 src=$2 site=$3 id=$4
  case $chain in
    persist) cmd=(persist deploy "$src" --root "$site" --id "$id" --quiet) ;;
    hardlink | auto) cmd=(persist deploy "$src" --root "$site" --id "$id" --quiet --dedupe "$chain") ;;
    deployer) cmd=("$here/deployer" "$src" "$site" "$id" "$shared_dirs" "$shared_files") ;;
    deployer+sync) cmd=("$here/deployer" "$src" "$site" "$id" "$shared_dirs" "$shared_files" sync) ;;
    cp) cmd=(cp -a "$src" "$site/x") ;;
    rsync) cmd=(rsync -a "$src/" "$site/x/") ;;
    *) die "no command for $chain" ;;
  esac
}

# run_chain CHAIN SRC SITE ID: one deploy of CHAIN (or copy).
run_chain() {
  if [[ $1 == cp+sync ]]; then
    cp -a "$2" "$3/x" && sync
  else
    local cmd
    chain_cmd "$@"
    "${cmd[@]}"
  fi
}

is_persist() { [[ $1 == persist || $1 == hardlink || $1 == auto ]]; }
is_copy() { [[ $1 == cp || $1 == cp+sync || $1 == rsync ]]; }

chain_label() {
  case $1 in
    persist) if [[ -n "${dedupe_default:-}" ]]; then echo "persist deploy (\`--dedupe $dedupe_default\`, the default)"; else echo 'persist deploy'; fi ;;
    hardlink) echo 'persist deploy `--dedupe hardlink`' ;;
    auto) echo 'persist deploy `--dedupe auto`' ;;
    deployer) echo "Deployer's algorithm" ;;
    deployer+sync) echo "Deployer's algorithm + \`sync\`" ;;
    cp) echo '`cp -a`' ;;
    cp+sync) echo '`cp -a` + `sync`' ;;
    rsync) echo '`rsync -a`' ;;
  esac
}

phase_label() {
  case $1 in
    first) echo 'first deploy' ;;
    again) echo 'same release again' ;;
    update) echo 'vendor update' ;;
  esac
}

# check_step CHAIN PHASE SITE: what round 1's deploy left is the release it
# deployed, file for file, seen through its links into shared/ (Deployer's
# without mtimes: its cp -r seeding of shared/ gives the copies new ones);
# its links are the persist chain's; a persist site passes persist verify,
# every path checked against the release's manifest.
check_step() {
  local c=$1 phase=$2 site=$3 src=release what dir
  [[ $phase != update ]] || src=update
  if is_copy "$c"; then
    release_listing "$site/x" "$work/snap/$c.txt"
    same "$c: the copy is the release, file for file" "$work/snap/release.txt" "$work/snap/$c.txt"
    return 0
  fi
  dir=$site/$(readlink "$site/current") || die "$c, $phase: no current link"
  what="$c, $(phase_label "$phase"): the live release, seen through its links into shared/,"
  if is_persist "$c"; then
    release_listing "$dir" "$work/snap/$c.$phase.txt"
    same "$what is the $src, file for file" "$work/snap/$src.txt" "$work/snap/$c.$phase.txt"
    persist verify --root "$site" >"$work/verify-$c.$phase.txt" 2>&1 || {
      cat "$work/verify-$c.$phase.txt"
      die "$c, $phase: persist verify found problems"
    }
    grep -q 'checked against its manifest' "$work/verify-$c.$phase.txt" ||
      die "$c, $phase: persist verify checked no manifest (see $work/verify-$c.$phase.txt)"
  else
    release_listing "$dir" "$work/snap/$c.$phase.txt" nomtime
    same "$what is the $src, file for file (mtimes aside)" "$work/snap/$src-nomtime.txt" "$work/snap/$c.$phase.txt"
  fi
  link_listing "$site" "$work/snap/links-$c.$phase.txt"
  if [[ $c != persist ]]; then
    same "$c, $(phase_label "$phase"): the same links as persist deploy's (current, and into shared/)" \
      "$work/snap/links-persist.$phase.txt" "$work/snap/links-$c.$phase.txt"
  fi
}

# blocks_of SITE: the 1 KiB blocks of releases 1, 2 and 3, as du counts them
# in one call: a file hard-linked into an earlier release counts only there.
blocks_of() { (cd "$1/releases" && du -sk 1 2 3 | awk '{ printf "%s ", $1 }'); }

# diff_rq A B OUT: diff -rq, where 1 (differences found) is success.
diff_rq() {
  local rc=0
  diff -rq "$1" "$2" >"$3" || rc=$?
  ((rc <= 1))
}

# sha_check DIR LIST: sha256sum -c of LIST in DIR.
sha_check() { (cd "$1" && sha256sum --quiet --strict -c "$2"); }

# crash_deploy SITE ROUND: a fourth deploy of the release on SITE, killed
# (SIGKILL) at its first renameat2: the rename of its staged release into
# place, right after the syncfs that made it durable (syncfs itself is also
# called earlier, by the copy's background write-back); checks that the whole
# release was staged by then.
crash_deploy() {
  local site=$1 r=$2 rc=0 staged n
  # In a subshell that waits for it (the exit keeps bash from exec'ing
  # strace in its place), whose report of the kill goes to the log.
  (
    strace -f -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=KILL \
      persist deploy "$rel" --root "$site" --id 4 --quiet
    exit $?
  ) >>"$work/log.txt" 2>&1 || rc=$?
  ((rc == 137)) || die "the deploy to crash ended with $rc, not 137 (SIGKILL) (see $work/log.txt)"
  staged=$(find "$site/releases" -mindepth 1 -maxdepth 1 -name '.persist-*' | head -n 1)
  [[ -n "$staged" ]] || die "the killed deploy left no staged release in $site/releases"
  n=$(find "$staged" -type f | wc -l)
  ((n == rel_files)) || die "the killed deploy had staged $n files of $rel_files at its first renameat2"
  ((r != 1)) || ok "killed at its first renameat2, with all $n files of the release staged in $staged"
}

deploy_bench() {
  rel=$work/release upd=$work/update
  local r c phase src id line order i n cmd label

  # -------------------------------------------------------------- modes

  chains=(persist)
  local help
  help=$(persist deploy --help 2>&1 | tr -s '\n ' '  ')
  dedupe_default=''
  if [[ $help == *--dedupe* ]]; then
    chains+=(hardlink)
    # The persist chain runs with the default; auto gets a chain of its own
    # only where it is not the default.
    if [[ $help == *"auto, the default"* ]]; then
      dedupe_default=auto
      say "note: --dedupe auto is persist's default: the persist chain measures it."
    else
      chains+=(auto)
    fi
  else
    say "note: this persist has no deploy --dedupe: the hardlink and auto chains, and the targets about them, are left out."
  fi
  chains+=(deployer deployer+sync)
  copies=(cp cp+sync)
  if command -v rsync >/dev/null; then
    copies+=(rsync)
  else
    say "note: rsync is not installed (tools/bench installs it where it can): rsync -a is left out."
  fi
  deploy_releases=$((rounds * (3 * ${#chains[@]} + ${#copies[@]})))

  # -------------------------------------------------------------- release

  step "The release and its vendor update"
  if [[ -n "$quick" ]]; then make_release "$rel" 0 0; else make_release "$rel" 12000 100000000; fi
  local copies_desc="vendor/php"
  ((rel_copies == 1)) || copies_desc+=" ... vendor/php$rel_copies"
  rel_desc=$(awk -v f="$rel_files" -v b="$rel_bytes" -v d="$rel_dirs" -v k="$rel_disk" \
    -v n="$rel_copies" -v p="$rel_php_files" -v c="$copies_desc" 'BEGIN {
      printf "%d files in %d directories, %.1f MB of file content (%.0f MB on disk); vendor/ holds %d cop%s of /usr/share/php (%d files each: %s)",
        f, d, b / 1e6, k / 1e6, n, n == 1 ? "y" : "ies", p, c }')
  echo "release: $rel"
  say "release: $rel_desc"
  make_update "$rel" "$upd"
  upd_changes=$((upd_modified + upd_added + upd_removed))
  upd_desc=$(awk -v m="$upd_modified" -v a="$upd_added" -v x="$upd_removed" -v f="$rel_files" -v b="$upd_bytes" 'BEGIN {
    printf "%d files changed (%.1f%% of the release: %d modified, %d added, %d removed; %.1f MB in the modified and added files)",
      m + a + x, (m + a + x) * 100 / f, m, a, x, b / 1e6 }')
  echo "update:  $upd"
  say "update:  $upd_desc"
  release_listing "$rel" "$work/snap/release.txt"
  release_listing "$rel" "$work/snap/release-nomtime.txt" nomtime
  release_listing "$upd" "$work/snap/update.txt"
  release_listing "$upd" "$work/snap/update-nomtime.txt" nomtime
  # The paths persist's blueprint makes persistent in this release (not
  # those inside another: Deployer refuses nested shared dirs), which
  # Deployer's shared_dirs then lists; and .env, its shared file.
  shared_of "$rel"
  say "shared (from persist classify): directories ${shared_dirs% }; files ${shared_files% }"
  [[ -n "$shared_dirs" ]] || die "persist classify found no persistent directory in the release (see $work/classify.txt)"
  sync
  # The page cache is not dropped (that needs root and disturbs everyone
  # else on the machine); the sources are read once instead, so that every
  # mode reads them from memory.
  find "$rel" "$upd" -type f -print0 | xargs -0 cat >/dev/null
  say "Both sources were flushed (sync) and read once (cat of every file to /dev/null) before timing: every mode reads them from the page cache, which is not dropped."

  # -------------------------------------------------------------- timing

  step "Deploy timing: $rounds round(s), three phases a round, modes alternating"
  say "Chains: ${chains[*]}; copies (first phase): ${copies[*]}. Each chain deploys to its own site: the release into a new empty site (first), the same release again (again), then the vendor update (update). Everything is flushed by an untimed sync before each run, and no site is removed until the timing ends. Only the command is timed: wall clock, and user and system CPU time. Round 1's results are checked."
  mkdir "$work/sites"
  for ((r = 1; r <= rounds; r++)); do
    for phase in first again update; do
      order=("${chains[@]}")
      [[ $phase != first ]] || order+=("${copies[@]}")
      if ((r % 2 == 0)); then
        for ((i = 0; i < ${#order[@]} / 2; i++)); do
          c=${order[i]} order[i]=${order[-i - 1]} order[-i - 1]=$c
        done
      fi
      line="round $r/$rounds, $phase:"
      case $phase in first) src=$rel id=1 ;; again) src=$rel id=2 ;; update) src=$upd id=3 ;; esac
      for c in "${order[@]}"; do
        site=$work/sites/$r-$c
        [[ $phase != first ]] || mkdir "$site"
        sync
        timed_cpu "$work/times/$c.$phase" run_chain "$c" "$src" "$site" "$id" ||
          die "$c failed in round $r, phase $phase (see $work/log.txt)"
        line+=" $c $(($(tail -n 1 "$work/times/$c.$phase") / 1000000))ms"
      done
      echo "$line"
      if ((r == 1)); then
        # Checked after the phase, in the natural order (persist first).
        for c in "${chains[@]}"; do check_step "$c" "$phase" "$work/sites/1-$c"; done
        if [[ $phase == first ]]; then for c in "${copies[@]}"; do check_step "$c" first "$work/sites/1-$c"; done; fi
      fi
    done
  done
  declare -gA blocks
  for c in "${chains[@]}"; do
    read -r blocks[$c.first] blocks[$c.again] blocks[$c.update] <<<"$(blocks_of "$work/sites/1-$c")"
  done

  # -------------------------------------------------------------- diff

  step "persist diff against diff -rq: $rounds round(s), alternating"
  say "persist diff 1 3 on the persist site (the release and its vendor update), diff -rq releases/1 releases/3 on the deployer site of the same round: two full copies, both in the page cache. persist --help is timed beside them: what starting persist costs."
  for ((r = 1; r <= rounds; r++)); do
    sync
    timed_cpu "$work/times/diff.persist" persist diff 1 3 --root "$work/sites/$r-persist" ||
      die "persist diff failed in round $r (see $work/log.txt)"
    sync
    timed_cpu "$work/times/start" persist --help || die "persist --help failed (see $work/log.txt)"
    sync
    timed_cpu "$work/times/diff.diff-rq" diff_rq "$work/sites/$r-deployer/releases/1" "$work/sites/$r-deployer/releases/3" "$work/diff-rq.txt" ||
      die "diff -rq failed in round $r (see $work/log.txt)"
    if ((r == 1)); then
      persist diff 1 3 --root "$work/sites/1-persist" >"$work/diff-persist.txt" 2>&1 || die "persist diff failed (see $work/diff-persist.txt)"
      n=$(awk 'END { print $1 }' "$work/diff-persist.txt")
      [[ $n == "$upd_changes" ]] || die "persist diff found '$n' changes, not $upd_changes (see $work/diff-persist.txt)"
      ok "persist diff 1 3: $(tail -n 1 "$work/diff-persist.txt"), as made"
      n=$(wc -l <"$work/diff-rq.txt")
      ((n == upd_changes)) || die "diff -rq printed $n lines, not $upd_changes (see $work/diff-rq.txt)"
      ok "diff -rq releases/1 releases/3: $n lines, one a change"
    fi
  done

  # -------------------------------------------------------------- verify

  step "persist verify against sha256sum -c: $rounds round(s), alternating"
  (cd "$work/sites/1-persist/releases/3" && LC_ALL=C find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) >"$work/sums.txt"
  say "persist verify on the persist site (its live release, the vendor update), sha256sum -c of a list of the same release's $(wc -l <"$work/sums.txt") files (made from the release, outside the timing, in the release's directory)."
  for ((r = 1; r <= rounds; r++)); do
    sync
    timed_cpu "$work/times/verify.persist" persist verify --root "$work/sites/$r-persist" ||
      die "persist verify failed in round $r (see $work/log.txt)"
    sync
    timed_cpu "$work/times/verify.sha256sum" sha_check "$work/sites/$r-persist/releases/3" "$work/sums.txt" ||
      die "sha256sum -c failed in round $r (see $work/log.txt)"
  done

  # -------------------------------------------------------------- syscalls

  step "Syscalls: one extra run of each deploy under strace -f -c -w"
  local traced=(persist)
  [[ " ${chains[*]} " != *" hardlink "* ]] || traced+=(hardlink)
  traced+=(deployer)
  say "Chains ${traced[*]}, each on its own site, all three phases; cp -a once. Not timed."
  mkdir -p "$work/sites/trace-cp"
  strace -f -c -w -o "$work/strace/cp.first.c" cp -a "$rel" "$work/sites/trace-cp/x" || die "cp -a failed under strace"
  for c in "${traced[@]}"; do
    mkdir -p "$work/sites/trace-$c"
    for phase in first again update; do
      case $phase in first) src=$rel id=1 ;; again) src=$rel id=2 ;; update) src=$upd id=3 ;; esac
      chain_cmd "$c" "$src" "$work/sites/trace-$c" "$id"
      strace -f -c -w -o "$work/strace/$c.$phase.c" "${cmd[@]}" >>"$work/log.txt" 2>&1 ||
        die "$c, $phase failed under strace (see $work/log.txt)"
    done
  done
  deploy_releases=$((deploy_releases + 1 + 3 * ${#traced[@]}))

  # -------------------------------------------------------------- recover

  step "persist recover after a crash: $rounds round(s)"
  say "On each round's persist site (three releases), a fourth deploy of the release is killed (SIGKILL, strace -e inject=renameat2:signal=KILL) at its first renameat2, the rename of its staged release into place: the whole release has been staged and synced, and nothing else done. Then persist recover is timed, and compared with the median of the deploys of the same release on a site that has it (again); the staged release it sets aside in .persist/trash/ is removed by the emptier it starts, which persist empty-trash waits for outside the timing. Recoveries remove trees, so they run last."
  # A persist older than the trash removes the staged release inline.
  local has_trash=0 later=()
  if persist --help 2>&1 | grep -q 'empty-trash'; then
    has_trash=1
    later=(--empty-trash later)
  fi
  for ((r = 1; r <= rounds; r++)); do
    site=$work/sites/$r-persist
    ((r > 1)) || snapshot "$site" "$work/snap/recover-before.txt" mtime
    crash_deploy "$site" "$r"
    sync
    timed_cpu "$work/times/recover" persist recover --root "$site" || die "persist recover failed in round $r (see $work/log.txt)"
    # The staged release went to .persist/trash/ and a detached emptier is
    # removing it: wait for it outside the timing, so that it never overlaps
    # the next round's timed recover.
    if ((has_trash)); then
      persist empty-trash --root "$site" >>"$work/log.txt" 2>&1 || die "persist empty-trash failed in round $r (see $work/log.txt)"
    fi
    if ((r == 1)); then
      snapshot "$site" "$work/snap/recover-after.txt" mtime
      same "persist recover: the site is as before the killed deploy (every path outside .persist/, mtimes included)" \
        "$work/snap/recover-before.txt" "$work/snap/recover-after.txt"
    fi
  done
  # One more, under strace -c, on the site of the syscall counts.
  crash_deploy "$work/sites/trace-persist" 0
  sync
  # The trash is left (--empty-trash later): strace -f would follow the
  # background emptier and count its unlinks as recover's.
  strace -f -c -w -o "$work/strace/recover.c" persist recover --root "$work/sites/trace-persist" "${later[@]}" >>"$work/log.txt" 2>&1 ||
    die "persist recover failed under strace (see $work/log.txt)"

  # -------------------------------------------------------------- results

  step "Deploy results (medians of $rounds round(s))"
  local t=$work/times
  {
    echo
    echo "The release: $rel_desc."
    echo "The vendor update: $upd_desc."
    echo
    echo "Deploys and copies (× Deployer: against Deployer's algorithm in the same phase; the copies against its first deploy):"
    echo
    echo "| run | median ms (min-max) | user CPU ms | sys CPU ms | × Deployer | × Deployer + sync | × cp -a | disk blocks, % of the first release |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for c in "${copies[@]}"; do
      row "$(chain_label "$c")" "$t/$c.first" "$t/deployer.first" "$t/deployer+sync.first" "$t/cp.first" | sed 's/$/ |/'
    done
    local listed=(deployer deployer+sync)
    for c in "${chains[@]}"; do [[ $c == deployer* ]] || listed+=("$c"); done
    for c in "${listed[@]}"; do
      for phase in first again update; do
        local share
        share=$(awk -v b="${blocks[$c.$phase]}" -v f="${blocks[$c.first]}" 'BEGIN { printf "%.1f%%", b * 100 / f }')
        row "$(chain_label "$c"), $(phase_label "$phase")" "$t/$c.$phase" "$t/deployer.$phase" "$t/deployer+sync.$phase" "$t/cp.first" |
          sed "s/\$/ $share |/"
      done
    done
    echo
    echo "Disk blocks: du -sk releases/1 releases/2 releases/3 of each chain's round-1 site (du counts a file hard-linked into an earlier release there only); the first release took ${blocks[persist.first]} KiB in the persist chain."
    echo
    echo "Diff, verify and recover:"
    echo
    echo "| run | median ms (min-max) | user CPU ms | sys CPU ms | × baseline |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    row '`diff -rq releases/1 releases/3` (Deployer site)' "$t/diff.diff-rq" "$t/diff.diff-rq"
    row '`persist diff 1 3`' "$t/diff.persist" "$t/diff.diff-rq"
    row "\`persist --help\`: persist's start ($(ldd "$work/bin/persist" | wc -l) shared libraries loaded)" "$t/start" "$t/diff.diff-rq"
    row '`sha256sum -c` of the live release' "$t/verify.sha256sum" "$t/verify.sha256sum"
    row '`persist verify`' "$t/verify.persist" "$t/verify.sha256sum"
    row 'persist deploy, same release again' "$t/persist.again" "$t/persist.again"
    row '`persist recover` of a deploy killed before its release is renamed into place' "$t/recover" "$t/persist.again"
    echo
    echo "Syscalls of one run each (strace -f -c -w: wall-clock time in the calls, summed over threads and processes, waits for another thread or process (futex, wait4) left out; the five most frequent, the three longest):"
    echo
    echo "| run | syscalls | errors | s in syscalls | most frequent | most time (s) |"
    echo "| --- | ---: | ---: | ---: | --- | --- |"
    local f
    for f in cp.first $(for c in "${traced[@]}"; do printf '%s ' "$c.first" "$c.again" "$c.update"; done) recover; do
      c=${f%.*} phase=${f##*.}
      case $f in
        cp.first) label=$(chain_label cp) ;;
        recover) label='`persist recover` of a deploy killed before its release is renamed into place' ;;
        *) label="$(chain_label "$c"), $(phase_label "$phase")" ;;
      esac
      strace_row "$label" "$work/strace/$f.c"
    done
    echo
    echo "Wall clock from bash's clock; user and system CPU from bash's time (the command and its"
    echo "children). Writeback done by the kernel's flusher threads is in nobody's CPU time: sync"
    echo "and persist's syncfs wait for it. The sources were in the page cache (read once before timing)."
  } | tee "$work/results-deploy.md"

  # -------------------------------------------------------------- targets

  local m
  m=$(awk -v a="$(median "$t/persist.first")" -v b="$(median "$t/deployer.first")" 'BEGIN { print a / b }')
  target "first deploy ≤ 1.0× Deployer's algorithm (no sync)" "$m" 1.0
  m=$(awk -v a="$(median "$t/persist.again")" -v b="$(median "$t/deployer.again")" 'BEGIN { print a / b }')
  target "subsequent deploy, same release, ≤ 1.0× Deployer" "$m" 1.0
  m=$(awk -v a="$(median "$t/persist.update")" -v b="$(median "$t/deployer.update")" 'BEGIN { print a / b }')
  target "subsequent deploy, vendor update, ≤ 1.0× Deployer" "$m" 1.0
  if [[ " ${chains[*]} " == *" hardlink "* ]]; then
    for phase in again update; do
      m=$(awk -v a="$(median "$t/hardlink.$phase")" -v b="$(median "$t/deployer.$phase")" 'BEGIN { print a / b }')
      target "\`--dedupe hardlink\`, $(phase_label "$phase"), ≤ 0.5× Deployer" "$m" 0.5
      m=$(awk -v b="${blocks[hardlink.$phase]}" -v f="${blocks[hardlink.first]}" 'BEGIN { print b * 100 / f }')
      target "\`--dedupe hardlink\`, $(phase_label "$phase"): new release ≤ 10% of the first's blocks" "$m" 10 %
    done
  else
    target_missing "\`--dedupe hardlink\` ≤ 0.5× Deployer" "this persist has no --dedupe"
    target_missing "\`--dedupe hardlink\`: new release ≤ 10% of the first's blocks" "this persist has no --dedupe"
  fi
  m=$(awk -v a="$(median "$t/diff.persist")" -v b="$(median "$t/diff.diff-rq")" 'BEGIN { print a / b }')
  target "\`persist diff\` ≤ 0.1× \`diff -rq\`" "$m" 0.1
  m=$(awk -v a="$(median "$t/recover")" -v b="$(median "$t/persist.again")" 'BEGIN { print a / b }')
  target "\`persist recover\` ≤ 0.1× the deploy it undoes" "$m" 0.1
}
