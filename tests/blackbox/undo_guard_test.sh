#!/usr/bin/env bash
# persist undo names the run it will undo, asks on a terminal, only shows
# with --dry-run, and right after a failed run (undone already) refuses to
# undo the successful run before it unless that run is named.
#
# shared/.deployment-history keeps a line for every run, the undone ones
# and the undo itself included.
#
# usage: undo_guard_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

sample_release rel small
mkdir site
run_persist d1 deploy rel --root site --id v1
check "the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
first=$("$PERSIST" log --root site --json | json_get - '.runs[-1].id')

# --dry-run names the run and changes nothing.
snapshot site before.snap
run_persist dry undo --root site --dry-run
check "undo --dry-run exits 0 (got $rc)" test "$rc" -eq 0 || show_file dry.err
check "it names the run, its kind and release" grep -q "to undo: run $first: deploy of release v1" dry.out
snapshot site after-dry.snap
check "undo --dry-run changes nothing" same_snapshot before.snap after-dry.snap

# On a terminal it asks; anything but yes leaves the site alone.
rc=0
printf 'n\n' | script -qec "'$PERSIST' undo --root site" /dev/null >ask.out 2>&1 || rc=$?
check "a refused prompt exits 2 (got $rc)" test "$rc" -eq 2 || show_file ask.out
check "it asked" grep -q "undo it? \[y/N\]" ask.out
snapshot site after-ask.snap
check "a refused prompt changes nothing" same_snapshot before.snap after-ask.snap

# A deploy that fails (its before-switch hook exits 1) is undone at once.
printf 'before_switch: "exit 1"\n' >site/shared/.persistence-config
snapshot site before-failed.snap
run_persist d2 deploy rel --root site --id v2
check "the failing deploy exits 1 (got $rc)" test "$rc" -eq 1 || show_file d2.err
run_persist typo undo --root site
check "undo right after it is refused with exit 2 (got $rc)" test "$rc" -eq 2 || show_file typo.err
check "the refusal names the failed run and the one it would undo" \
  grep -q "failed and was undone already; an undo now would undo the run before it, $first" typo.err
check "the refusal gives the undo to type for the run before it" \
  has typo.err "name it: \`persist undo $first --root site\`"
snapshot site after-typo.snap
check "the refused undo changes nothing" same_snapshot before-failed.snap after-typo.snap

# The history is appended to by every run, the failed one included.
history=site/shared/.deployment-history
check "the history has the first deploy's line" grep -q "deploy v1 (first) from .*: run $first" "$history"
check "the history has the failed deploy's line" grep -q "deploy v2 (subsequent) from .* failed: " "$history"

# Named, it goes ahead (stdin is not a terminal: no question).
run_persist named undo "$first" --root site
check "undo of the named run exits 0 (got $rc)" test "$rc" -eq 0 || show_file named.err
check "the first deploy is undone" test ! -e site/current
# The first deploy made shared/: its undo takes shared/ away, and the
# history, written after that deploy, is data it did not make: rescued.
check "the history outlives the undo of the deploy that made shared/" \
  grep -q "deploy v2 (subsequent) from .* failed: " "site/.persist/rescued/$first/shared/.deployment-history"

# Undo of a later run leaves the history in place, with the undone run's
# line and the undo's own.
run_persist d3 deploy rel --root site --id v3
run_persist d4 deploy rel --root site --id v4
check "two more deploys exit 0 (got $rc)" test "$rc" -eq 0 || show_file d4.err
last=$("$PERSIST" log --root site --json | json_get - '.runs[-1].id')
run_persist u4 undo "$last" --root site
check "the undo of v4 exits 0 (got $rc)" test "$rc" -eq 0 || show_file u4.err
check "the history keeps the undone deploy's line" grep -q "deploy v4 (subsequent) from .*: run $last" "$history"
check "the undo's own line comes last" sh -c "tail -n 1 '$history' | grep -q 'undo of run $last (deploy of release v4)'"

finish
