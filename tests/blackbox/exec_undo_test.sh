#!/usr/bin/env bash
# The DESIGN.md example plan through the real binary: exec, the audit
# (`persist log --json`, `persist show --json`), and exact undo, newest run
# first (DESIGN.md promises 4 and 7, README "Audit").
#
# usage: exec_undo_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"

cd "$WORK" || die "cd $WORK"
make_design_site site
write_design_plan design.plan
cat >second.plan <<'PLAN'
op { symlink { target: "releases/r2" path: "current" } }
op { write   { path: "shared/.deployment-history" content: "r2 deployed\nr2 live\n" } }
op { chmod   { path: "releases/r2/artisan" mode: 0700 } }
PLAN

# runs_json NAME: persist log --root site --json into NAME.json; checks it.
runs_json() {
  run_quiet "$1.json" "$1.err" "$PERSIST" log --root site --json
  check "persist log --json exits 0 (got $rc)" test "$rc" -eq 0 || show_file "$1.err"
  check "persist log --json is JSON" json_check "$1.json" 'true'
}

# state_of LOG_JSON RUN: the state of RUN in a `persist log --json`.
state_of() {
  json_get "$1" '[.runs[] | select(.id == $id)]
    | if length == 1 then .[0].state else "MISSING(\(length))" end' --arg id "$2"
}

snapshot site s0.snap

# ---------------------------------------------------------------- exec

run_quiet exec1.out exec1.err "$PERSIST" exec design.plan --root site --json
check "exec of the DESIGN.md plan exits 0 (got $rc)" test "$rc" -eq 0 || show_file exec1.err
check "exec --json prints JSON" json_check exec1.out '.runs | length == 1'
r1=$(json_get exec1.out '.runs[0].id')
check "exec --json names the run ($r1)" test -n "$r1"
snapshot site s1.snap

# What the plan did, seen from outside.
check "releases/r2/public/uploads is the relative link into shared/" \
  test "$(readlink site/releases/r2/public/uploads)" = ../../../shared/public/uploads
check "the vendor's demo upload moved into shared/public/uploads" \
  test -f site/shared/public/uploads/demo/avatar.png
check "releases/r1/tmp is gone" test ! -e site/releases/r1/tmp
check "shared/.deployment-history was written" \
  test "$(cat site/shared/.deployment-history)" = "r2 deployed"
check "current still points at r1" test "$(readlink site/current)" = releases/r1
# copy keeps types, modes, sizes, mtimes, link targets and content: the copy's
# snapshot lines equal the source's, but for the moved uploads.
grep -F './incoming/v2' s1.snap | sed 's#\./incoming/v2#./X#' | grep -v '\./X/public/uploads' | sort >copy-src.txt
grep -F './releases/r2' s1.snap | sed 's#\./releases/r2#./X#' | grep -v '\./X/public/uploads' | sort >copy-dst.txt
check "releases/r2 is an exact copy of incoming/v2 (modes 0600/0755, mtimes, symlinks, content)" \
  same_snapshot copy-src.txt copy-dst.txt

# ---------------------------------------------------------------- audit

runs_json log1
check "persist log --json lists $r1 as RUN_COMMITTED" test "$(state_of log1.json "$r1")" = RUN_COMMITTED
# (start_ns and end_ns are compared as decimal strings: a double would round them.)
check "persist log --json: kind, op count, user, host, pid" json_check log1.json '
  [.runs[] | select(.id == $id)][0]
  | (.start_ns | tostring) as $s | (.end_ns | tostring) as $e
  | .kind == "exec" and .op_count == 6
    and (.user | length > 0) and (.host | length > 0) and .pid != null and .pid != 0
    and (($s | length) < ($e | length) or (($s | length) == ($e | length) and $s <= $e))' \
  --arg id "$r1"
run_quiet log1.txt log1h.err "$PERSIST" log --root site
check "persist log (human) exits 0 and names the run" grep -q "$r1" log1.txt

run_quiet show1.json show1.err "$PERSIST" show "$r1" --root site --json
check "persist show $r1 --json exits 0 (got $rc)" test "$rc" -eq 0 || show_file show1.err
check "persist show --json lists the six ops in order, all applied" json_check show1.json '
  [.ops[].op | keys_unsorted[0]] == ["mkdir", "copy", "move", "symlink", "remove", "write"]
  and all(.ops[]; .status == "OP_APPLIED")
  and .run.state == "RUN_COMMITTED"
  and (["shared/public", "releases/r2", "releases/r1/tmp", "shared/.deployment-history"]
       - [.ops[].before[].path]) == []'
check "persist show --json records before and after states" json_check show1.json '
  all(.ops[]; (.before | length > 0) and (.after | length > 0))
  and (.ops[5] | .before[0].type == "ABSENT"
                 and .after[0].type == "REGULAR" and (.after[0].size | tonumber) == 12)
  and (.ops[4] | .before[0].type == "DIRECTORY" and .after[0].type == "ABSENT")'
run_quiet show1.txt show1h.err "$PERSIST" show "$r1" --root site
check "persist show (human) exits 0 and names the ops' paths" grep -q 'releases/r1/tmp' show1.txt

# ---------------------------------------------------------------- second run

run_quiet exec2.out exec2.err "$PERSIST" exec second.plan --root site --json
check "exec of a second plan exits 0 (got $rc)" test "$rc" -eq 0 || show_file exec2.err
r2=$(json_get exec2.out '.runs[0].id')
check "the second run has its own id ($r2 after $r1)" test -n "$r2" -a "$r2" != "$r1"
check "run ids sort by time" test "$(printf '%s\n' "$r2" "$r1" | sort | head -1)" = "$r1"
check "current -> releases/r2" test "$(readlink site/current)" = releases/r2
snapshot site s2.snap

run_quiet show2.json show2.err "$PERSIST" show "$r2" --root site --json
# The audit promises the SHA-256 of every regular file, before and after.
check "persist show --json: the write op's before state has a SHA-256" json_check show2.json '
  .ops[1].before[0] | .type == "REGULAR" and (.digest | length > 0)'
check "persist show --json: the write op's after state has a SHA-256" json_check show2.json '
  .ops[1].after[0].digest | length > 0'

runs_json log2
check "both runs are RUN_COMMITTED" \
  test "$(state_of log2.json "$r1") $(state_of log2.json "$r2")" = "RUN_COMMITTED RUN_COMMITTED"

# ---------------------------------------------------------------- undo

run_quiet undo-old.out undo-old.err "$PERSIST" undo "$r1" --root site
check "undo of the older run $r1 while $r2 is live is refused (exit 2, got $rc)" test "$rc" -eq 2 ||
  show_file undo-old.err
snapshot site s2-again.snap
check "the refused undo touched nothing" same_snapshot s2.snap s2-again.snap

run_quiet undo2.out undo2.err "$PERSIST" undo --root site
check "undo (the latest run, $r2) exits 0 (got $rc)" test "$rc" -eq 0 || show_file undo2.err
check "undo names the run it undid" grep -q "$r2" undo2.out
snapshot site s1-again.snap
check "after undo of $r2 the site is exactly as after $r1" same_snapshot s1.snap s1-again.snap
runs_json log3
check "$r2 is RUN_UNDONE, $r1 still RUN_COMMITTED" \
  test "$(state_of log3.json "$r2") $(state_of log3.json "$r1")" = "RUN_UNDONE RUN_COMMITTED"

run_quiet undo1.out undo1.err "$PERSIST" undo "$r1" --root site
check "undo $r1 (now the latest not undone) exits 0 (got $rc)" test "$rc" -eq 0 || show_file undo1.err
snapshot site s0-again.snap
check "after undo of $r1 the site is exactly as before both runs" same_snapshot s0.snap s0-again.snap
runs_json log4
check "both runs are RUN_UNDONE" \
  test "$(state_of log4.json "$r1") $(state_of log4.json "$r2")" = "RUN_UNDONE RUN_UNDONE"
run_quiet show1u.json show1u.err "$PERSIST" show "$r1" --root site --json
check "persist show --json of an undone run: its ops are OP_UNDONE, the reason is undo" json_check show1u.json '
  .run.state == "RUN_UNDONE"
  and (.run.undo_reason // "" | contains("undo"))
  and all(.ops[]; .status == "OP_UNDONE")'

run_quiet undo0.out undo0.err "$PERSIST" undo --root site
check "undo with nothing left exits 2 (got $rc)" test "$rc" -eq 2 || show_file undo0.err

# ---------------------------------------------------------------- again

# The same plan again, with intents journaled op by op, and its undo.
run_quiet exec3.out exec3.err "$PERSIST" exec design.plan --root site --intents per-op
check "exec --intents per-op exits 0 (got $rc)" test "$rc" -eq 0 || show_file exec3.err
snapshot site s1-per-op.snap
volatile_paths s1.snap s1-per-op.snap >volatile.txt
check "--intents per-op leaves the same site as grouped (mtimes of new paths aside)" \
  same_snapshot <(mask_mtimes s1.snap volatile.txt) <(mask_mtimes s1-per-op.snap volatile.txt)
# (The written file is shared/.deployment-history, which no snapshot compares.)
check "only the new symlink's mtime is the run's own" \
  test "$(tr '\n' ' ' <volatile.txt)" = "./releases/r2/public/uploads "
run_quiet undo3.out undo3.err "$PERSIST" undo --root site
check "its undo exits 0 (got $rc)" test "$rc" -eq 0 || show_file undo3.err
snapshot site s0-third.snap
check "after it the site is exactly as at the start" same_snapshot s0.snap s0-third.snap
runs_json log5
check "persist log --json lists three runs" json_check log5.json '.runs | length == 3'

finish
