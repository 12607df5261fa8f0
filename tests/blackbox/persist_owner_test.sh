#!/usr/bin/env bash
# root deploys with --allow-root on a site owned by another user: everything
# persist creates in .persist/ (the directory, journal/ with data.mdb and
# lock.mdb, lock, stash/, rescued/, trash/, reserve, and what later runs add)
# belongs to the site's owner, who can then run every command as before.
#
# The site is made under /var/tmp (or /dev/shm), not $TEST_TMPDIR: bazel's
# output tree is beneath /root, which no other user may enter (nor, on some
# machines, /tmp).
#
# usage: persist_owner_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
enter_owner_base persist-owner-test

sample_release up shop
chmod -R a+rX up
mkdir site
chown 65534:65534 site

run_persist d1 deploy up --root site --id v1 --allow-root --empty-trash wait
check "root deploys on the site of uid 65534 with --allow-root (got $rc)" test "$rc" -eq 0 ||
  show_file d1.err
for path in .persist .persist/journal .persist/journal/data.mdb .persist/journal/lock.mdb \
  .persist/lock .persist/stash .persist/rescued .persist/reserve; do
  check "site/$path exists" test -e "site/$path" || continue
  check "site/$path belongs to 65534:65534 (is $(stat -c %u:%g "site/$path"))" \
    test "$(stat -c %u:%g "site/$path")" = "65534:65534"
done
others=$(find site ! -user 65534 -print -o ! -group 65534 -print | head -n 5)
check "nothing in the site belongs to root (not: $others)" test -z "$others"

run_quiet log.out log.err as_owner "$PERSIST" log --root site
check "the site's owner runs persist log after root's deploy (got $rc)" test "$rc" -eq 0 ||
  show_file log.err
check "and sees root's deploy" grep -q " v1 " log.out

printf '<?php // v2\n' >up/app/index.php
chmod a+r up/app/index.php
snapshot site before-v2.snap
run_quiet d2.out d2.err as_owner "$PERSIST" deploy up --root site --id v2 --empty-trash wait
check "the site's owner deploys the next release (got $rc)" test "$rc" -eq 0 || show_file d2.err
run_quiet v.out v.err as_owner "$PERSIST" verify --root site
check "the site's owner runs persist verify (got $rc)" test "$rc" -eq 0 || show_file v.out

# root again: what it adds to .persist/ (a run's stash, the trash) is the
# owner's too, and the owner can undo root's run.
printf '<?php // v3\n' >up/app/index.php
run_persist d3 deploy up --root site --id v3 --allow-root --empty-trash wait
check "root deploys again (got $rc)" test "$rc" -eq 0 || show_file d3.err
others=$(find site ! -user 65534 -print -o ! -group 65534 -print | head -n 5)
check "nothing root's second deploy made belongs to root (not: $others)" test -z "$others"
run_quiet u3.out u3.err as_owner "$PERSIST" undo --root site --empty-trash wait
check "the site's owner undoes root's deploy (got $rc)" test "$rc" -eq 0 || show_file u3.err
run_quiet u2.out u2.err as_owner "$PERSIST" undo --root site --empty-trash wait
check "and its own (got $rc)" test "$rc" -eq 0 || show_file u2.err
snapshot site after-undo.snap
check "the site is as it was before v2" same_snapshot before-v2.snap after-undo.snap

finish
