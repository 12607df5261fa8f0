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
# Environment: VERBOSE=1 prints every passing check.
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

# The syscalls that could change the site or the journal. Those the binary
# really calls (counted on an uninterrupted run) are the kill points; openat
# and openat2 too, at their creating calls (see kill_points).
candidates=(
  renameat2 renameat rename mkdirat mkdir symlinkat symlink unlinkat unlink rmdir linkat link
  openat openat2 open creat write writev pwrite64 pwritev pwritev2
  fsync fdatasync syncfs sync sync_file_range msync
  fchmod fchmodat chmod fchown fchownat lchown utimensat futimesat utimes
  copy_file_range sendfile ftruncate truncate fallocate flock
)
MAX_EXHAUSTIVE=${MAX_EXHAUSTIVE:-200}
SAMPLE_STEP=${SAMPLE_STEP:-7}

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

# Two uninterrupted runs: the first, traced, counts each candidate syscall;
# comparing both tells which mtimes are the run's own (a new symlink, a
# written file), masked when a recovered site is compared with "after".
cp -a template ref1
cp -a template ref2
trace_set=$(IFS=,; echo "${candidates[*]}")
run_quiet ref1.out ref1.err strace -f -qq -o ref1.trace -e trace="$trace_set" \
  "$PERSIST" exec plan --root ref1
((rc == 0)) || { show_file ref1.err; die "the uninterrupted reference run exited $rc"; }
run_quiet ref2.out ref2.err "$PERSIST" exec plan --root ref2
((rc == 0)) || { show_file ref2.err; die "the second reference run exited $rc"; }
snapshot ref1 after1.snap
snapshot ref2 after2.snap
volatile_paths after1.snap after2.snap >volatile.txt
mask_mtimes after1.snap volatile.txt >after.snap
mask_mtimes after2.snap volatile.txt >after2.masked
check "two uninterrupted runs leave the same site (mtimes of new paths aside)" \
  same_snapshot after.snap after2.masked
if cmp -s before.snap after1.snap; then
  die "the plan changed nothing: the test would prove nothing"
fi
echo "paths whose mtime is the run's own: $(tr '\n' ' ' <volatile.txt)"

# kill_points SC TRACE: the N at which to kill SC, from a reference TRACE.
# Every call, except that
# - openat and openat2, mostly read-only (the loader's libraries, reading a
#   tree to copy or hash), are killed at every call that can create or write
#   (O_CREAT, O_WRONLY, O_RDWR, O_TRUNC, O_TMPFILE: strace cannot filter on
#   flags, but the reference trace tells their numbers, and runs are
#   deterministic), plus the first and last 3 and every OPEN_STEP-th call;
# - a syscall called more than MAX_EXHAUSTIVE times is sampled: its first
#   and last 5 calls and every SAMPLE_STEP-th in between. None is today.
OPEN_STEP=${OPEN_STEP:-10}
kill_points() {
  local sc=$1 trace=$2 total=${count[$1]}
  case $sc in
    openat | openat2)
      {
        grep -E "^([0-9]+ +)?$sc\\(" "$trace" |
          grep -nE 'O_CREAT|O_WRONLY|O_RDWR|O_TRUNC|O_TMPFILE' | cut -d: -f1
        seq 1 3
        seq "$OPEN_STEP" "$OPEN_STEP" "$total"
        seq $((total > 3 ? total - 2 : 1)) "$total"
      } | sort -nu
      ;;
    *)
      if ((total <= MAX_EXHAUSTIVE)); then
        seq 1 "$total"
      else
        { seq 1 5; seq 5 "$SAMPLE_STEP" "$total"; seq $((total - 4)) "$total"; } | sort -nu
      fi
      ;;
  esac
}

# matches_before_or_after SNAP: prints "before" or "after", or fails.
matches_before_or_after() {
  if cmp -s before.snap "$1"; then
    echo before
  elif mask_mtimes "$1" volatile.txt | cmp -s after.snap -; then
    echo after
  else
    return 1
  fi
}

# log_is_settled DIR: `persist log` exits 0 and shows no run still applying
# or undoing.
log_is_settled() {
  run_quiet log.json log.err "$PERSIST" log --root "$1" --json
  if ((rc != 0)); then
    echo "persist log --root $1 --json exited $rc" >&2
    show_file log.err
    return 1
  fi
  if grep -qE 'RUN_APPLYING|RUN_UNDOING' log.json; then
    echo "a run is still unfinished after recover:" >&2
    show_file log.json
    return 1
  fi
}

# fresh_site: site/ becomes a copy of the template, checked by snapshot.
fresh_site() {
  rm -rf site
  cp -a template site
  snapshot site site-before.snap
  same_snapshot before.snap site-before.snap
}

# ---------------------------------------------------------------- exec

# count_calls TRACE SYSCALLS...: fills the array `count` with how many times
# each of SYSCALLS appears in TRACE (those with none are left out).
count_calls() {
  local trace=$1 sc n
  shift
  count=()
  for sc in "$@"; do
    n=$(grep -cE "^([0-9]+ +)?$sc\(" "$trace" || true)
    ((n > 0)) && count[$sc]=$n
  done
  return 0
}

# kill_exec_campaign LABEL TRACE EXEC_ARGS...: for each syscall in `count`
# and each of its kill points N (see kill_points; TRACE is the reference
# run's), kills `persist exec plan --root site EXEC_ARGS` at its Nth call,
# recovers, and checks the outcome.
kill_exec_campaign() {
  local label=$1 trace=$2 sc n what where
  shift 2
  local -A to_before=() to_after=()
  local kills=0
  for sc in $(printf '%s\n' "${!count[@]}" | sort); do
    to_before[$sc]=0
    to_after[$sc]=0
    for n in $(kill_points "$sc" "$trace"); do
      kills=$((kills + 1))
      what="$label killed at $sc #$n of ${count[$sc]}"
      check "$what: a fresh copy of the site equals the template" fresh_site || continue
      run_quiet exec.out exec.err strace -f -o /dev/null -e trace="$sc" \
        -e "inject=$sc:signal=KILL:when=$n" "$PERSIST" exec plan --root site "$@"
      # 137 = 128 + SIGKILL: strace dies of the signal that killed its tracee.
      check "$what: persist dies of SIGKILL (exit 137, got $rc)" test "$rc" -eq 137 ||
        { show_file exec.err; continue; }
      run_quiet recover.out recover.err "$PERSIST" recover --root site
      check "$what: persist recover exits 0 (got $rc)" test "$rc" -eq 0 ||
        { show_file recover.err; continue; }
      snapshot site site-after.snap
      if where=$(matches_before_or_after site-after.snap); then
        pass "$what: the site is exactly the $where-state"
        if [[ $where == before ]]; then
          to_before[$sc]=$((to_before[$sc] + 1))
        else
          to_after[$sc]=$((to_after[$sc] + 1))
        fi
      else
        fail "$what: after recover the site is neither the before- nor the after-state; against before:"
        same_snapshot before.snap site-after.snap || true
        show_file recover.out
      fi
      check "$what: persist log exits 0 and shows no unfinished run" log_is_settled site
    done
  done
  echo "$label: $kills kills"
  for sc in $(printf '%s\n' "${!count[@]}" | sort); do
    printf '  %-16s %4d calls, %3d killed: recovered to the before-state %3d times, to the after-state %d\n' \
      "$sc" "${count[$sc]}" $((to_before[$sc] + to_after[$sc])) "${to_before[$sc]}" "${to_after[$sc]}"
  done
}

declare -A count=()
count_calls ref1.trace "${candidates[@]}"
((${#count[@]} > 0)) || die "strace saw no mutating syscall in the reference run"
((${count[renameat2]:-0} > 0)) || die "the reference run made no renameat2 call"
exec_renames=${count[renameat2]}
kill_exec_campaign "exec" ref1.trace

# The same with each op's intent journaled just before it (--intents
# per-op), at the syscalls that write the journal or make an op visible.
cp -a template ref3
run_quiet ref3.out ref3.err strace -f -qq -o ref3.trace -e trace="$trace_set" \
  "$PERSIST" exec plan --root ref3 --intents per-op
((rc == 0)) || { show_file ref3.err; die "the reference run with --intents per-op exited $rc"; }
snapshot ref3 after3.snap
check "--intents per-op leaves the same site as grouped" \
  same_snapshot after.snap <(mask_mtimes after3.snap volatile.txt)
count_calls ref3.trace renameat2 pwrite64 fdatasync
kill_exec_campaign "exec --intents per-op" ref3.trace --intents per-op

# ---------------------------------------------------------------- recover

# kill_exec_at K: site/ is a fresh copy killed at exec's Kth renameat2.
kill_exec_at() {
  fresh_site || return 1
  run_quiet exec.out exec.err strace -f -o /dev/null -e trace=renameat2 \
    -e "inject=renameat2:signal=KILL:when=$1" "$PERSIST" exec plan --root site
  ((rc == 137)) || { echo "exec killed at renameat2 #$1 exited $rc, not 137" >&2; return 1; }
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
for sc in "${candidates[@]}"; do
  [[ $sc == renameat2 || $sc == openat || $sc == openat2 || $sc == write ]] || recover_set+=("$sc")
done
kill_recover_campaign "$exec_renames" "${recover_set[@]}"
echo "recover: $recover_kills kills"

finish
