#!/usr/bin/env bash
# Deploy hooks from the profile (before_switch, after_switch): they run in the
# new release with PERSIST_ROOT and PERSIST_RELEASE set, their output is kept
# in the run's record, a failing before-switch hook undoes the deploy exactly,
# and a failing after-switch hook leaves the release live and says so. A hook
# that leaves a process in the background is done when it exits; one that
# overruns hook_timeout is killed with what it started (SIGKILL if it ignores
# SIGTERM) and fails the deploy.
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
run_id=$("$PERSIST" log --root site --json | json_get - '.runs[-1].id')
run_persist show1 show "$run_id" --root site --json
check "the run's record keeps both hooks and their output" json_check show1.out '
  .run.hooks
  | [.[].phase] == ["before_switch", "after_switch"]
    and (.[0].output | contains("before in")) and (.[0].exit_code // 0) == 0'

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

# A hook that starts a process in the background and exits is done when it
# exits: the process keeps the hook's output open, and the deploy must not
# wait for it.
release up3 v3
cat >site/shared/.persistence-config <<'PROFILE'
before_switch: "echo migrated; sleep 12 & echo $! >\"$PERSIST_ROOT/../bg-before.pid\""
after_switch: "sleep 12 & echo $! >\"$PERSIST_ROOT/../bg-after.pid\"; echo queue started"
PROFILE
start=$SECONDS
run_persist d4 deploy up3 --root site --id v3
took=$((SECONDS - start))
check "a deploy whose hooks leave background processes exits 0 (got $rc)" test "$rc" -eq 0 || show_file d4.err
check "it does not wait for them (took ${took}s, they run 12s)" test "$took" -lt 8
check "current points at v3" test "$(readlink site/current)" = releases/v3
check "the hooks' own output was kept" grep -q "migrated" d4.err
check "the after-switch hook's output was kept" grep -q "queue started" d4.err
check "it says a hook left a process holding its output" grep -q "left a process running in the background" d4.err
for f in bg-before.pid bg-after.pid; do
  check "the background process of $f is still running (persist does not kill it)" kill -0 "$(cat $f)"
  kill "$(cat $f)" 2>/dev/null
done
run_persist u4 undo --root site
check "undo of that deploy exits 0 (got $rc)" test "$rc" -eq 0

# A hook that overruns hook_timeout is killed with what it started, and the
# deploy fails: undone before the switch, reported after it.
cat >site/shared/.persistence-config <<'PROFILE'
hook_timeout: 1
before_switch: "echo $$ >\"$PERSIST_ROOT/../hook.pid\"; sleep 30 & echo $! >\"$PERSIST_ROOT/../child.pid\"; wait"
PROFILE
snapshot site before5.snap
start=$SECONDS
run_persist d5 deploy up3 --root site --id v3
took=$((SECONDS - start))
check "a before-switch hook over its timeout fails the deploy with exit 1 (got $rc)" test "$rc" -eq 1
check "it is stopped after about its timeout (took ${took}s)" test "$took" -lt 6
check "the error names the phase and the hook" grep -q 'before-switch hook `echo \$\$ >' d5.err
check "the error names the timeout and hook_timeout" grep -q "did not finish within 1s.*hook_timeout" d5.err
check "the error says the deploy was undone" grep -q "was undone" d5.err
check "the hook's shell was killed" bash -c "! kill -0 $(cat hook.pid) 2>/dev/null"
check "the process it started was killed" bash -c "! kill -0 $(cat child.pid) 2>/dev/null"
snapshot site after5.snap
check "the site is exactly as before the timed-out deploy" same_snapshot before5.snap after5.snap
run_id=$("$PERSIST" log --root site --json | json_get - '.runs[-1].id')
run_persist show5 show "$run_id" --root site --json
check "the run's record says the hook was killed after its timeout" json_check show5.out '
  .run.hooks[0] | .exit_code == -1 and (.output | contains("killed after 1s"))'

# One that ignores SIGTERM gets SIGKILL; after the switch, the release stays.
cat >site/shared/.persistence-config <<'PROFILE'
hook_timeout: 1
after_switch: "trap '' TERM; echo $$ >\"$PERSIST_ROOT/../stubborn.pid\"; sleep 30"
PROFILE
start=$SECONDS
run_persist d6 deploy up3 --root site --id v3
took=$((SECONDS - start))
check "an after-switch hook over its timeout exits 1 (got $rc)" test "$rc" -eq 1
check "one that ignores SIGTERM is killed 5s later (took ${took}s)" test "$took" -lt 10
check "the error names the phase, the timeout and says the release is live" \
  grep -q 'after-switch hook `trap.*did not finish within 1s.*release v3 is live.*persist undo' d6.err
check "the stubborn hook is gone" bash -c "! kill -0 $(cat stubborn.pid) 2>/dev/null"
check "current points at v3" test "$(readlink site/current)" = releases/v3
run_persist u6 undo --root site
check "undo of that deploy exits 0 (got $rc)" test "$rc" -eq 0

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
