#!/usr/bin/env bash
# Kills the real persist binary with SIGKILL at the entry of its Nth call of
# each syscall it mutates the filesystem or the journal with, for every N,
# and checks that `persist recover` then leaves the site exactly as it was
# before the run, or exactly as an uninterrupted run leaves it (when the kill
# landed after the run committed); the same with --intents per-op at the
# journal's and the renames' syscalls. The plan also makes a release from
# an update package over v1, unpacks one from a zip, and records the
# manifest of a release in place (as persist adopt does). Then it crashes `persist recover`
# itself at each of its renameat2 calls (after exec was killed at each of
# its own), and at each call of every other mutating syscall (after exec was
# killed at its last renameat2), and checks that recovering again restores
# the exact before-state (DESIGN.md promises 4, 5 and 7).
#
# usage: kill_at_every_syscall_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# The kill is strace's fault injection (-e inject=SC:signal=KILL:when=N): the
# Nth call of SC never runs and the process dies as in an OOM kill. The page
# cache survives, so this tests the logic of recovery, not fsync durability.
#
# The campaign's functions (kill_campaign, kill_points, reference_after...)
# are lib.sh's, for every kill test.
#
# Environment: VERBOSE=1 prints every passing check; MAX_EXHAUSTIVE,
# SAMPLE_STEP and OPEN_STEP (lib.sh kill_points) set the sampling.
#
# strace counts when=N per thread, so the tree copy's files are copied on the
# main thread here (PERSIST_COPY_WORKERS=1): the Nth call is then the Nth of
# the process, and every kill point is reached. The workers' own crash
# points are covered by the crash campaigns, whose fault Env counts calls
# across threads.
#
# What recover sets aside in .persist/trash/ is left there (PERSIST_EMPTY_TRASH
# =later): an emptier started in the background would be traced too (strace
# -f), adding its own calls to the counts the kill points come from.
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace
export PERSIST_COPY_WORKERS=1
export PERSIST_EMPTY_TRASH=later

cd "$WORK" || die "cd $WORK"
make_site template
# First a release made from v1 and an update package (a zip of v2's files
# and a deleted path), hard-linked as `persist deploy --update PKG --dedupe
# hardlink` makes it; then the mixed ops; then a release unpacked from a
# vendor's zip (Info-ZIP), its app a folder down, as `persist deploy
# shop.zip` unpacks it; and the manifest of v1 recorded as it stands, as
# `persist adopt` records an adopted release's.
(cd template/incoming && zip -qry "$WORK/shop.zip" v2) || die "zip failed"
mtime=$(stat -c %.9Y shop.zip)
archive="archive: \"$WORK/shop.zip\" archive_size: $(stat -c %s shop.zip) archive_mtime_ns: ${mtime/./}"
cat >plan <<PLAN
op { update { base: "releases/v1" package_archive { $archive dir: "v2" }
              deleted: "app/secret.key" to: "releases/v2-update" dedupe: DEDUPE_HARDLINK } }
PLAN
write_mixed_plan plan.mixed
cat plan.mixed >>plan
cat >>plan <<PLAN
op { unpack { $archive dir: "v2" to: "releases/v2-zip" } }
op { record { release: "releases/v1" } }
PLAN
snapshot template before.snap

# ---------------------------------------------------------------- reference

# Two uninterrupted runs; the first, traced, counts each syscall of
# KILL_SYSCALLS (lib.sh reference_after).
reference_after ref1.trace exec plan --root site

# ---------------------------------------------------------------- exec

count_calls ref1.trace "${KILL_SYSCALLS[@]}"
((${#count[@]} > 0)) || die "strace saw no mutating syscall in the reference run"
((${count[renameat2]:-0} > 0)) || die "the reference run made no renameat2 call"
exec_renames=${count[renameat2]}
kill_campaign "exec" ref1.trace "" exec plan --root site

# The same with each op's intent journaled just before it (--intents
# per-op), at the syscalls that write the journal or make an op visible.
reference_run ref3.trace exec plan --root site --intents per-op
snapshot site after3.snap
check "--intents per-op leaves the same site as grouped" \
  same_snapshot after.snap <(mask_mtimes after3.snap volatile.txt)
count_calls ref3.trace renameat2 pwrite64 fdatasync
kill_campaign "exec --intents per-op" ref3.trace "" exec plan --root site --intents per-op

# ---------------------------------------------------------------- recover

# kill_exec_at K: site/ is a fresh copy killed at exec's Kth renameat2.
kill_exec_at() {
  kill_at renameat2 "$1" exec plan --root site
}

# kill_recover_campaign K SYSCALLS...: kills exec at its Kth renameat2;
# counts the calls of SYSCALLS that recover makes from there; then for each
# syscall and each N: redoes the exec kill on a fresh copy, kills recover at
# the Nth call, recovers again, and expects the exact before-state.
recover_kills=0
kill_recover_campaign() {
  local k=$1 sc n what
  shift
  check "exec killed at renameat2 #$k" kill_exec_at "$k" || return 0
  run_quiet recover.out recover.err strace -f -qq -o recover.trace \
    -e trace="$(IFS=,; echo "$*")" "$PERSIST" recover --root site
  check "exec killed at renameat2 #$k: recover exits 0 (got $rc)" test "$rc" -eq 0 ||
    { show_file recover.err; return 0; }
  count_calls recover.trace "$@"
  echo "recover after exec killed at renameat2 #$k: $(for sc in $(printf '%s\n' "${!count[@]}" | sort); do
    printf '%s=%d ' "$sc" "${count[$sc]}"; done)"
  for sc in $(printf '%s\n' "${!count[@]}" | sort); do
    for n in $(kill_points "$sc" recover.trace); do
      recover_kills=$((recover_kills + 1))
      what="exec killed at renameat2 #$k, recover killed at its $sc #$n of ${count[$sc]}"
      check "$what: exec" kill_exec_at "$k" || continue
      run_quiet recover1.out recover1.err strace -f -o /dev/null -e trace="$sc" \
        -e "inject=$sc:signal=KILL:when=$n" "$PERSIST" recover --root site
      check "$what: recover dies of SIGKILL (got $rc)" test "$rc" -eq 137 ||
        { show_file recover1.err; continue; }
      run_quiet recover2.out recover2.err "$PERSIST" recover --root site
      check "$what: the second recover exits 0 (got $rc)" test "$rc" -eq 0 ||
        { show_file recover2.err; continue; }
      snapshot site site-after.snap
      check "$what: the site is exactly the before-state" \
        same_snapshot before.snap site-after.snap
      check "$what: persist log exits 0 and shows no unfinished run" log_is_settled site
    done
  done
}

# Recover crashed at each of its renameat2 calls, after exec was killed at
# each of its own.
for ((k = 1; k <= exec_renames; k++)); do
  kill_recover_campaign "$k" renameat2
done
# Recover crashed at each call of every other syscall it mutates with, after
# exec was killed at its last renameat2 (the most to undo).
recover_set=()
for sc in "${KILL_SYSCALLS[@]}"; do
  [[ $sc == renameat2 || $sc == openat || $sc == openat2 || $sc == write ]] || recover_set+=("$sc")
done
kill_recover_campaign "$exec_renames" "${recover_set[@]}"
echo "recover: $recover_kills kills"

finish
