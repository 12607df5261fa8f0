#!/usr/bin/env bash
# A site on a read-only mount: the commands that only read (log, show, diff,
# verify) work there exactly as on the writable mount, and the ones that
# would change it (deploy, undo) are refused with exit 2, naming a
# read-only filesystem and the remount, with nothing changed.
#
# usage: readonly_mount_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
source "$(dirname "$0")/mounts.sh"
cd "$WORK" || die "cd $WORK"
require_mounts ext4

sample_release up shop
mount_image ext4 32 mnt
mkdir mnt/site
run_persist d1 deploy up --root mnt/site --id v1
check "the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
printf '<?php // v2\n' >up/app/index.php
printf 'new\n' >up/app/new.php
run_persist d2 deploy up --root mnt/site --id v2
check "the second deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d2.err
"$PERSIST" log --root mnt/site >log-rw.out 2>/dev/null
run=$(awk '$4 == "v2" || $3 == "v2" { print $1 }' log-rw.out | tail -n 1)
[[ -n "$run" ]] || die "no run of v2 in persist log: $(cat log-rw.out)"

# Each reading command on the writable mount, then on the read-only one.
reads=("log" "log --json" "show $run" "diff v1 v2" "verify")
i=0
for cmd in "${reads[@]}"; do
  # shellcheck disable=SC2086
  run_persist "rw$i" $cmd --root mnt/site
  echo "$rc" >"rw$i.rc"
  i=$((i + 1))
done

remount mnt ro
touch mnt/site/probe 2>/dev/null && die "the mount is still writable after remount,ro"
snapshot mnt/site before.snap
(cd mnt/site/.persist && find . -printf '%p %s %T@\n' | sort) >before-state.txt

i=0
for cmd in "${reads[@]}"; do
  # shellcheck disable=SC2086
  run_persist "ro$i" $cmd --root mnt/site
  check "persist $cmd on a read-only mount exits as on a writable one ($(cat "rw$i.rc"), got $rc)" \
    test "$rc" -eq "$(cat "rw$i.rc")" || show_file "ro$i.err"
  check "persist $cmd prints what it printed on the writable mount" same_snapshot "rw$i.out" "ro$i.out"
  i=$((i + 1))
done
check "persist verify finds the site healthy there (exit 0)" test "$(cat rw4.rc)" -eq 0 || show_file rw4.out

printf '<?php // v3\n' >up/app/index.php
for cmd in "deploy up --id v3" "undo"; do
  # shellcheck disable=SC2086
  run_persist refused $cmd --root mnt/site
  check "persist $cmd on a read-only mount is exit 2 (got $rc)" test "$rc" -eq 2 || show_file refused.err
  check "persist $cmd names the read-only filesystem and the remount" \
    grep -q "is on a read-only filesystem: remount it read-write" refused.err || show_file refused.err
  check "persist $cmd does not blame permissions" bash -c '! grep -q "site.s owner" refused.err'
done
snapshot mnt/site after.snap
check "the site is exactly as it was" same_snapshot before.snap after.snap
(cd mnt/site/.persist && find . -printf '%p %s %T@\n' | sort) >after-state.txt
check "and so is its .persist/" same_snapshot before-state.txt after-state.txt

remount mnt rw
run_persist d3 deploy up --root mnt/site --id v3
check "once remounted read-write, the deploy works (got $rc)" test "$rc" -eq 0 || show_file d3.err

finish
