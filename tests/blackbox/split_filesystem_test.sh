#!/usr/bin/env bash
# shared/ on another filesystem than .persist/ (a second loop-mounted ext4
# at SITE/shared, as an NFS share or a bind mount for uploads would be):
# every deploy works, not only the first; what a run replaces in shared/
# (here the profile, rewritten by persist custom add) waits in
# shared/.persist-stash/ on shared/'s own filesystem, since it cannot be
# renamed into .persist/stash/; undo puts it back, leaving the site byte for
# byte as before and no .persist-stash behind; a run leaving the undo window
# takes its stash there along.
#
# usage: split_filesystem_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
source "$(dirname "$0")/mounts.sh"
cd "$WORK" || die "cd $WORK"
require_mounts ext4

sample_release up shop
printf 'demo\n' >up/public/uploads/demo.txt
mkdir -p site/shared
mount_image ext4 32 site/shared
check "shared/ is on another filesystem than the site" \
  test "$(stat -c %d site)" != "$(stat -c %d site/shared)"

run_persist d1 deploy up --root site --id v1 --empty-trash wait
check "the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
printf 'a user upload\n' >site/shared/public/uploads/photo.jpg
printf "# the operator's profile\n" >site/shared/.persistence-config
snapshot site after-v1.snap
profile_v1=$(cat site/shared/.persistence-config)

run_persist c2 custom add public/gallery/ --root site --empty-trash wait
check "custom add, which rewrites the profile, exits 0 (got $rc)" test "$rc" -eq 0 || show_file c2.err
check "the profile it replaced waits on shared/'s own filesystem" \
  bash -c 'ls site/shared/.persist-stash/*/*/old >/dev/null 2>&1'
check "with the content it had" \
  bash -c 'cmp -s <(cat site/shared/.persist-stash/*/*/old) <(printf "%s\n" "$0")' "$profile_v1"
snapshot site after-c2.snap
printf '<?php // v3\n' >up/app/index.php
run_persist d3 deploy up --root site --id v3 --empty-trash wait
check "the next deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d3.err

run_persist u3 undo --root site --empty-trash wait
check "undo of the deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file u3.err
snapshot site after-u3.snap
check "it leaves the site exactly as after custom add" same_snapshot after-c2.snap after-u3.snap
run_persist u2 undo --root site --empty-trash wait
check "undo of custom add exits 0 (got $rc)" test "$rc" -eq 0 || show_file u2.err
snapshot site after-u2.snap
check "it leaves the site exactly as after the first deploy, with no .persist-stash" \
  same_snapshot after-v1.snap after-u2.snap
run_persist v verify --root site
check "persist verify finds the site healthy (got $rc)" test "$rc" -eq 0 || show_file v.out

# Eight more rounds of a profile rewrite and a deploy: the oldest runs leave
# the undo window (five runs), and their stashes in shared/.persist-stash go
# with them.
for n in 4 5 6 7 8 9 10 11; do
  run_persist "c$n" custom add "public/g$n/" --root site --empty-trash wait
  check "custom add public/g$n/ exits 0 (got $rc)" test "$rc" -eq 0 || show_file "c$n.err"
  printf '<?php // v%s\n' "$n" >up/app/index.php
  run_persist "d$n" deploy up --root site --id "v$n" --keep 3 --empty-trash wait
  check "deploy v$n exits 0 (got $rc)" test "$rc" -eq 0 || show_file "d$n.err"
done
kept=$(find site/shared/.persist-stash -mindepth 1 -maxdepth 1 -type d | wc -l)
check "shared/.persist-stash keeps the stashes of the five runs in the undo window only ($kept)" \
  test "$kept" -le 5
check "the user's upload is still there" grep -q "a user upload" site/shared/public/uploads/photo.jpg
snapshot site before-u11.snap
printf '<?php // v12\n' >up/app/index.php
run_persist d12 deploy up --root site --id v12 --keep 3 --empty-trash wait
run_persist u12 undo --root site --empty-trash wait
check "undo of the latest deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file u12.err
snapshot site after-u12.snap
# shared/.persist-stash is persist's own, as .persist/ is: deploying v12
# purged the oldest run's stash there, and its undo does not bring it back.
grep -v '/\.persist-stash' before-u11.snap >before-u11.site
grep -v '/\.persist-stash' after-u12.snap >after-u12.site
check "and leaves the site exactly as before it, persist's own stash aside" \
  same_snapshot before-u11.site after-u12.site

# A release that brings a new persistent path with demo content
# (public/media/): the deploy seeds it into shared/, across filesystems, as
# a copy. An upload written into it meanwhile is not the run's: undo cannot
# rename it into .persist/rescued/ (another filesystem), so it waits in
# shared/.persist-rescued/RUN/ on shared/'s own filesystem, named by the
# undo; the rest of the site is exactly as before.
cp -a up media-up
mkdir media-up/public/media
printf 'demo banner\n' >media-up/public/media/banner.jpg
printf '<?php // v13\n' >media-up/app/index.php
snapshot site before-d13.snap
run_persist d13 deploy media-up --root site --id v13 --keep 3 --empty-trash wait
check "a deploy seeding public/media/ exits 0 (got $rc)" test "$rc" -eq 0 || show_file d13.err
check "the demo banner is seeded into shared/" grep -q "demo banner" site/shared/public/media/banner.jpg
printf 'a user photo\n' >site/shared/public/media/photo.jpg
run_persist u13 undo --root site --empty-trash wait
check "its undo exits 0 (got $rc)" test "$rc" -eq 0 || show_file u13.err
run13=$(jq -r '.runs | map(select(.release == "v13")) | .[0].id' <("$PERSIST" log --root site --json))
rescued=site/shared/.persist-rescued/$run13/shared/public/media/photo.jpg
check "the upload waits on shared/'s filesystem, in $rescued" grep -q "a user photo" "$rescued"
check "the undo names where it is" has u13.out "shared/.persist-rescued/$run13/shared/public/media/photo.jpg"
snapshot site after-u13.snap
grep -v '/\.persist-stash\|/\.persist-rescued' before-d13.snap >before-d13.site
grep -v '/\.persist-stash\|/\.persist-rescued' after-u13.snap >after-u13.site
check "and the site is exactly as before the deploy, the rescued upload aside" \
  same_snapshot before-d13.site after-u13.site

finish
