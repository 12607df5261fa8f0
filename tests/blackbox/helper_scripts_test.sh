#!/usr/bin/env bash
# shared/health-check.sh and shared/emergency-recovery.sh: they find persist
# where it last ran on the site when it is not on PATH, and the recovery
# script never reports success on a site persist verify finds broken.
#
# usage: helper_scripts_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

sample_release rel small
mkdir home
mkdir site
run_persist d1 deploy rel --root site --id v1
check "the deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
check "it records where persist ran" test "$(cat site/.persist/persist-binary)" = "$PERSIST"
lacks() { ! grep -qF "$1" "$2"; }
check "the scripts name no build path of their own" lacks "$(dirname "$PERSIST")" site/shared/health-check.sh

# persist is not on PATH here: the record leads to it.
# A PATH with the shell's tools and no persist.
mkdir tools
for tool in dirname cat; do ln -s "$(command -v "$tool")" "tools/$tool"; done
without_persist() { env -i PATH="$WORK/tools" HOME="$WORK/home" /bin/sh "$@"; }
rc=0
(cd / && without_persist "$WORK/site/shared/health-check.sh") >hc.out 2>&1 || rc=$?
check "health-check.sh runs from anywhere without persist on PATH (got $rc)" test "$rc" -eq 0 || show_file hc.out
check "it reports a healthy site" grep -q "the site is healthy" hc.out

rc=0
without_persist site/shared/emergency-recovery.sh >er.out 2>&1 || rc=$?
check "emergency-recovery.sh on a healthy site exits 0 (got $rc)" test "$rc" -eq 0 || show_file er.out

# current points at a release that is gone: nothing to recover, but broken.
mv site/releases/v1 site/v1-elsewhere
rc=0
without_persist site/shared/emergency-recovery.sh >broken.out 2>&1 || rc=$?
check "emergency-recovery.sh on a broken site exits 1 (got $rc)" test "$rc" -eq 1 || show_file broken.out
check "it shows verify's report" grep -q "problem: current" broken.out
mv site/v1-elsewhere site/releases/v1

# No persist anywhere: a clear error, exit 2.
rm site/.persist/persist-binary
rc=0
without_persist site/shared/health-check.sh >none.out 2>&1 || rc=$?
check "without persist anywhere the script exits 2 (got $rc)" test "$rc" -eq 2 || show_file none.out
check "it says what to do" grep -q "persist is not on PATH.*install it, or put it on PATH" none.out

finish
