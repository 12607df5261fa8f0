#!/usr/bin/env bash
# Deploy hooks from the profile (before_switch, after_switch): they run in the
# new release with PERSIST_ROOT and PERSIST_RELEASE set, their output is kept
# in the run's record, a failing before-switch hook undoes the deploy exactly,
# and a failing after-switch hook leaves the release live and says so.
#
# usage: hooks_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

release() {
  mkdir -p "$1/public/uploads" "$1/storage/logs" "$1/bootstrap/cache"
  printf 'APP_KEY=\n' >"$1/.env.example"
  printf '<?php // %s\n' "$2" >"$1/artisan"
  printf 'demo\n' >"$1/public/uploads/demo.txt"
}
release up1 v1
release up2 v2
mkdir -p site/shared
cat >site/shared/.persistence-config <<'PROFILE'
before_switch: "echo before in $PWD for $PERSIST_RELEASE; test -f artisan"
after_switch: "echo after, root $PERSIST_ROOT"
PROFILE

run_persist d1 deploy up1 --root site --id v1
check "a deploy whose hooks succeed exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
check "the before-switch hook ran in the new release" grep -q "before in $WORK/site/releases/v1 for v1" d1.err
check "the after-switch hook saw the site root" grep -q "after, root $WORK/site" d1.err
run_id=$("$PERSIST" log --root site --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][-1]["id"])')
run_persist show1 show "$run_id" --root site --json
check "the run's record keeps both hooks and their output" python3 -c "
import json, sys
hooks = json.load(open('show1.out'))['run']['hooks']
assert [h['phase'] for h in hooks] == ['before_switch', 'after_switch'], hooks
assert 'before in' in hooks[0]['output'] and hooks[0].get('exit_code', 0) == 0, hooks
"

# A failing before-switch hook: the deploy is undone, the site as before.
cat >site/shared/.persistence-config <<'PROFILE'
before_switch: "echo migration failed >&2; exit 7"
PROFILE
snapshot site before.snap
run_persist d2 deploy up2 --root site --id v2
check "a failing before-switch hook fails the deploy with exit 1 (got $rc)" test "$rc" -eq 1
check "the error names the hook and its exit code" grep -q 'hook `echo migration failed >&2; exit 7` failed with exit 7' d2.err
check "the hook's output is shown" grep -q "migration failed" d2.err
check "the error says the deploy was undone" grep -q "was undone" d2.err
snapshot site after.snap
check "the site is exactly as before the failed deploy" same_snapshot before.snap after.snap
check "current still points at v1" test "$(readlink site/current)" = releases/v1

# A failing after-switch hook: the release is live; undo takes it back.
cat >site/shared/.persistence-config <<'PROFILE'
after_switch: "exit 3"
PROFILE
snapshot site before3.snap
run_persist d3 deploy up2 --root site --id v2
check "a failing after-switch hook exits 1 (got $rc)" test "$rc" -eq 1
check "it says the release is live and how to go back" grep -q "release v2 is live.*persist undo" d3.err
check "current points at v2" test "$(readlink site/current)" = releases/v2
run_persist u3 undo --root site
check "undo of that deploy exits 0 (got $rc)" test "$rc" -eq 0
snapshot site undone.snap
check "undo restores the site exactly" same_snapshot before3.snap undone.snap

finish
