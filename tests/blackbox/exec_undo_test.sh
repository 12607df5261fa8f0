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

# json_check FILE PYTHON: runs PYTHON with `d` bound to FILE's JSON; an
# AssertionError (or any error) fails the check and is printed.
json_check() {
  local file=$1 code=$2
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
$code" "$file"
}

# runs_json NAME: persist log --root site --json into NAME.json; checks it.
runs_json() {
  run_quiet "$1.json" "$1.err" "$PERSIST" log --root site --json
  check "persist log --json exits 0 (got $rc)" test "$rc" -eq 0 || show_file "$1.err"
  check "persist log --json is JSON" json_check "$1.json" 'pass'
}

# state_of LOG_JSON RUN: the state of RUN in a `persist log --json`.
state_of() {
  python3 -c '
import json, sys
runs = [r for r in json.load(open(sys.argv[1]))["runs"] if r["id"] == sys.argv[2]]
print(runs[0]["state"] if len(runs) == 1 else "MISSING(%d)" % len(runs))' "$1" "$2"
}

snapshot site s0.snap

# ---------------------------------------------------------------- exec

run_quiet exec1.out exec1.err "$PERSIST" exec design.plan --root site --json
check "exec of the DESIGN.md plan exits 0 (got $rc)" test "$rc" -eq 0 || show_file exec1.err
check "exec --json prints JSON" json_check exec1.out 'assert len(d["runs"]) == 1'
r1=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])' <exec1.out)
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
check "persist log --json: kind, op count, user, host, pid" json_check log1.json "
r = [r for r in d['runs'] if r['id'] == '$r1'][0]
assert r['kind'] == 'exec', r
assert r['op_count'] == 6, r
assert r.get('user') and r.get('host') and r.get('pid'), r
assert int(r['start_ns']) <= int(r['end_ns']), r"
run_quiet log1.txt log1h.err "$PERSIST" log --root site
check "persist log (human) exits 0 and names the run" grep -q "$r1" log1.txt

run_quiet show1.json show1.err "$PERSIST" show "$r1" --root site --json
check "persist show $r1 --json exits 0 (got $rc)" test "$rc" -eq 0 || show_file show1.err
check "persist show --json lists the six ops in order, all applied" json_check show1.json "
kinds = [next(iter(o['op'])) for o in d['ops']]
assert kinds == ['mkdir', 'copy', 'move', 'symlink', 'remove', 'write'], kinds
assert all(o['status'] == 'OP_APPLIED' for o in d['ops']), [o['status'] for o in d['ops']]
assert d['run']['state'] == 'RUN_COMMITTED', d['run']
paths = [s['path'] for o in d['ops'] for s in o['before']]
for p in ['shared/public', 'releases/r2', 'releases/r1/tmp', 'shared/.deployment-history']:
    assert p in paths, (p, paths)"
check "persist show --json records before and after states" json_check show1.json "
for o in d['ops']:
    assert o['before'] and o['after'], o
w = d['ops'][5]
assert w['before'][0]['type'] == 'ABSENT', w['before']
assert w['after'][0]['type'] == 'REGULAR' and int(w['after'][0]['size']) == 12, w['after']
rm = d['ops'][4]
assert rm['before'][0]['type'] == 'DIRECTORY' and rm['after'][0]['type'] == 'ABSENT', rm"
run_quiet show1.txt show1h.err "$PERSIST" show "$r1" --root site
check "persist show (human) exits 0 and names the ops' paths" grep -q 'releases/r1/tmp' show1.txt

# ---------------------------------------------------------------- second run

run_quiet exec2.out exec2.err "$PERSIST" exec second.plan --root site --json
check "exec of a second plan exits 0 (got $rc)" test "$rc" -eq 0 || show_file exec2.err
r2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])' <exec2.out)
check "the second run has its own id ($r2 after $r1)" test -n "$r2" -a "$r2" != "$r1"
check "run ids sort by time" test "$(printf '%s\n' "$r2" "$r1" | sort | head -1)" = "$r1"
check "current -> releases/r2" test "$(readlink site/current)" = releases/r2
snapshot site s2.snap

run_quiet show2.json show2.err "$PERSIST" show "$r2" --root site --json
# The audit promises the SHA-256 of every regular file, before and after.
check "persist show --json: the write op's before state has a SHA-256" json_check show2.json "
w = d['ops'][1]
assert w['before'][0]['type'] == 'REGULAR' and w['before'][0].get('digest'), w['before']"
check "persist show --json: the write op's after state has a SHA-256" json_check show2.json "
w = d['ops'][1]
assert w['after'][0].get('digest'), w['after']"

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
check "persist show --json of an undone run: its ops are OP_UNDONE, the reason is undo" json_check show1u.json "
assert d['run']['state'] == 'RUN_UNDONE', d['run']
assert 'undo' in d['run'].get('undo_reason', ''), d['run']
assert all(o['status'] == 'OP_UNDONE' for o in d['ops']), [o['status'] for o in d['ops']]"

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
check "persist log --json lists three runs" json_check log5.json "assert len(d['runs']) == 3, d"

finish
