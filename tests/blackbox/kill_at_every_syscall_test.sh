#!/usr/bin/env bash
# Kills the real persist binary with SIGKILL at the entry of its Nth call of
# each syscall it mutates the filesystem or the journal with, for every N,
# and checks that `persist recover` then leaves the site exactly as it was
# before the run, or exactly as an uninterrupted run leaves it (when the kill
# landed after the run committed). Then it crashes `persist recover` itself
# at each of its renameat2 calls and checks that recovering again restores
# the exact before-state (DESIGN.md promises 4, 5 and 7).
#
# usage: kill_at_every_syscall_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# The kill is strace's fault injection: the syscall never runs, the process
# dies as from a power cut or an OOM kill (the page cache survives, so this
# tests the logic of recovery, not the durability of fsync).
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace

# The syscalls that could change the site or the journal. The ones the binary
# really calls (counted on an uninterrupted run) are the ones the kills aim
# at. openat and openat2 are included: their O_CREAT calls cannot be told
# apart by strace's filter, so every call is a kill point (read-only opens
# too, which is harmless and cheap at this plan's size).
candidates=(
  renameat2 renameat rename mkdirat mkdir symlinkat symlink unlinkat unlink rmdir linkat link
  openat openat2 open creat write writev pwrite64 pwritev pwritev2
  fsync fdatasync syncfs sync sync_file_range msync
  fchmod fchmodat chmod fchown fchownat lchown utimensat futimesat utimes
  copy_file_range sendfile ftruncate truncate fallocate flock
)
# A syscall called more often than this is sampled: the first and last 5
# calls and every SAMPLE_STEP-th in between (see sample_points). With the
# mixed plan below no syscall reaches it today (openat is the most frequent,
# about 110 calls), so every call of every syscall is a kill point.
MAX_EXHAUSTIVE=${MAX_EXHAUSTIVE:-150}
SAMPLE_STEP=${SAMPLE_STEP:-7}

cd "$WORK" || die "cd $WORK"
make_site template
write_mixed_plan plan
snapshot template before.snap

# ---------------------------------------------------------------- reference

# Two uninterrupted runs: the first, traced, counts each candidate syscall;
# comparing both tells which mtimes are the run's own (a new symlink, a
# written file), masked when a recovered site is compared with "after".
cp -a template ref1
cp -a template ref2
trace_set=$(IFS=,; echo "${candidates[*]}")
strace -f -qq -o ref1.trace -e trace="$trace_set" "$PERSIST" exec plan --root ref1 \
  >ref1.out 2>ref1.err || { show_file ref1.err; die "the uninterrupted reference run failed"; }
"$PERSIST" exec plan --root ref2 >ref2.out 2>ref2.err ||
  { show_file ref2.err; die "the second reference run failed"; }
snapshot ref1 after1.snap
snapshot ref2 after2.snap
volatile_paths after1.snap after2.snap >volatile.txt
mask_mtimes after1.snap volatile.txt >after.snap
mask_mtimes after2.snap volatile.txt >after2.masked
check "two uninterrupted runs leave the same site (mtimes of $(wc -l <volatile.txt) new paths aside)" \
  same_snapshot after.snap after2.masked
if same_snapshot before.snap after1.snap 2>/dev/null; then
  die "the plan changed nothing: the test would prove nothing"
fi
echo "paths whose mtime is the run's own: $(tr '\n' ' ' <volatile.txt)"

declare -A count=()
for sc in "${candidates[@]}"; do
  n=$(grep -cE "^([0-9]+ +)?$sc\(" ref1.trace || true)
  ((n > 0)) && count[$sc]=$n
done
((${#count[@]} > 0)) || die "strace saw no mutating syscall in the reference run"
((${count[renameat2]:-0} > 0)) || die "the reference run made no renameat2 call"
echo "mutating syscalls of one run: $(for sc in "${!count[@]}"; do printf '%s=%d ' "$sc" "${count[$sc]}"; done)"

# sample_points COUNT: the kill points 1..COUNT, or a sample of them.
sample_points() {
  local total=$1 n
  if ((total <= MAX_EXHAUSTIVE)); then
    seq 1 "$total"
    return
  fi
  {
    seq 1 5
    seq 5 "$SAMPLE_STEP" "$total"
    seq $((total - 4)) "$total"
  } | sort -nu
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

# no_unfinished_run DIR: `persist log --json` exits 0 and shows no run that
# is still applying or undoing.
no_unfinished_run() {
  local rc=0
  "$PERSIST" log --root "$1" --json >log.json 2>log.err || rc=$?
  if ((rc != 0)); then
    echo "persist log --root $1 exited $rc" >&2
    show_file log.err
    return 1
  fi
  python3 -c 'import json,sys; json.load(sys.stdin)' <log.json || {
    echo "persist log --json is not JSON" >&2
    return 1
  }
  if grep -qE 'RUN_APPLYING|RUN_UNDOING' log.json; then
    echo "a run is still unfinished after recover:" >&2
    show_file log.json
    return 1
  fi
}

# ---------------------------------------------------------------- exec

declare -A outcome_before=() outcome_after=()
total_kills=0
for sc in $(printf '%s\n' "${!count[@]}" | sort); do
  outcome_before[$sc]=0
  outcome_after[$sc]=0
  for n in $(sample_points "${count[$sc]}"); do
    total_kills=$((total_kills + 1))
    what="exec killed at $sc #$n of ${count[$sc]}"
    rm -rf site
    cp -a template site
    snapshot site site-before.snap
    check "$what: the fresh copy equals the template" same_snapshot before.snap site-before.snap ||
      continue
    rc=0
    strace -f -o /dev/null -e trace="$sc" -e "inject=$sc:signal=KILL:when=$n" \
      "$PERSIST" exec plan --root site >exec.out 2>exec.err || rc=$?
    # 137 = 128 + SIGKILL: strace dies of the signal that killed its tracee.
    if ! check "$what: persist was killed (exit 137, got $rc)" test "$rc" -eq 137; then
      show_file exec.err
      continue
    fi
    rc=0
    "$PERSIST" recover --root site >recover.out 2>recover.err || rc=$?
    if ! check "$what: persist recover exits 0 (got $rc)" test "$rc" -eq 0; then
      show_file recover.err
      continue
    fi
    snapshot site site-after.snap
    if where=$(matches_before_or_after site-after.snap); then
      pass "$what: site is exactly $where"
      if [[ $where == before ]]; then
        outcome_before[$sc]=$((outcome_before[$sc] + 1))
      else
        outcome_after[$sc]=$((outcome_after[$sc] + 1))
      fi
    else
      fail "$what: after recover the site is neither the before- nor the after-state"
      echo "  difference from before:" >&2
      same_snapshot before.snap site-after.snap || true
      cat recover.out >&2
    fi
    check "$what: persist log afterwards" no_unfinished_run site
  done
done

echo "exec kills: $total_kills"
for sc in $(printf '%s\n' "${!count[@]}" | sort); do
  printf '  %-16s %4d calls: recovered to before %d times, to after %d times\n' \
    "$sc" "${count[$sc]}" "${outcome_before[$sc]}" "${outcome_after[$sc]}"
done

# ---------------------------------------------------------------- recover

# Kill exec at its Kth renameat2 (every K but the last few that may land
# after commit), then kill recover at each of its renameat2 calls in turn,
# then recover again: the site must be exactly as before the run.
recover_kills=0
for ((k = 1; k <= count[renameat2]; k++)); do
  # Count recover's renameat2 calls after a kill at exec's renameat2 #k.
  rm -rf site
  cp -a template site
  rc=0
  strace -f -o /dev/null -e trace=renameat2 -e "inject=renameat2:signal=KILL:when=$k" \
    "$PERSIST" exec plan --root site >exec.out 2>exec.err || rc=$?
  ((rc == 137)) || { fail "exec killed at renameat2 #$k: exit $rc, not 137"; continue; }
  rc=0
  strace -f -qq -o recover.trace -e trace=renameat2 "$PERSIST" recover --root site \
    >recover.out 2>recover.err || rc=$?
  check "recover after exec killed at renameat2 #$k exits 0 (got $rc)" test "$rc" -eq 0 ||
    { show_file recover.err; continue; }
  r=$(grep -cE '^([0-9]+ +)?renameat2\(' recover.trace || true)
  ((r > 0)) || continue  # nothing to undo by rename at this point
  for ((n = 1; n <= r; n++)); do
    recover_kills=$((recover_kills + 1))
    what="exec killed at renameat2 #$k, recover killed at its renameat2 #$n of $r"
    rm -rf site
    cp -a template site
    rc=0
    strace -f -o /dev/null -e trace=renameat2 -e "inject=renameat2:signal=KILL:when=$k" \
      "$PERSIST" exec plan --root site >exec.out 2>exec.err || rc=$?
    check "$what: exec exit 137 (got $rc)" test "$rc" -eq 137 || continue
    rc=0
    strace -f -o /dev/null -e trace=renameat2 -e "inject=renameat2:signal=KILL:when=$n" \
      "$PERSIST" recover --root site >recover1.out 2>recover1.err || rc=$?
    check "$what: recover exit 137 (got $rc)" test "$rc" -eq 137 || { show_file recover1.err; continue; }
    rc=0
    "$PERSIST" recover --root site >recover2.out 2>recover2.err || rc=$?
    check "$what: the second recover exits 0 (got $rc)" test "$rc" -eq 0 ||
      { show_file recover2.err; continue; }
    snapshot site site-after.snap
    check "$what: the site is exactly the before-state" same_snapshot before.snap site-after.snap
    check "$what: persist log afterwards" no_unfinished_run site
  done
done
echo "recover kills: $recover_kills"

finish
