#!/usr/bin/env bash
# persist custom add: a path the app writes to becomes persistent in one run
# (the profile for every later deploy, and shared/ plus a link in the live
# release now); a later deploy keeps it linked; running it again changes
# nothing; undo restores the site exactly; bad input changes nothing.
#
# usage: custom_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

sample_release up1 shop v1
sample_release up2 shop v2
mkdir site
run_persist d1 deploy up1 --root site --id v1
check "first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
mkdir -p site/current/public/gallery
printf 'a photo\n' >site/current/public/gallery/p1.jpg
snapshot site before.snap

run_persist c1 custom add public/gallery/ --root site
check "custom add exits 0 (got $rc)" test "$rc" -eq 0 || show_file c1.err
check "the profile lists it" grep -qx 'custom: "public/gallery/"' site/shared/.persistence-config
check "the live release links it into shared" test "$(readlink site/current/public/gallery)" = ../../../shared/public/gallery
check "the photo moved to shared, intact" test "$(cat site/shared/public/gallery/p1.jpg)" = "a photo"
snapshot site added.snap
run_persist c2 custom add public/gallery/ --root site
check "adding it again exits 0 (got $rc)" test "$rc" -eq 0
snapshot site again.snap
check "adding it again changes nothing" same_snapshot added.snap again.snap

run_persist d2 deploy up2 --root site --id v2
check "the next deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d2.err
check "the next release links the custom path too" test "$(readlink site/releases/v2/public/gallery)" = ../../../shared/public/gallery

# Bad input: nothing changes.
snapshot site bad-before.snap
run_persist b1 custom add ../outside/ --root site
check "a path escaping the site exits 2 (got $rc)" test "$rc" -eq 2
run_persist b2 custom remove public/gallery/ --root site
check "an unknown subcommand exits 2 (got $rc)" test "$rc" -eq 2
mkdir -p site/current/public/album site/shared/public/album
printf 'mine\n' >site/current/public/album/x.jpg
printf 'theirs\n' >site/shared/public/album/y.jpg
snapshot site bad-before.snap
run_persist b3 custom add public/album/ --root site
check "a path held by both the release and shared/ is refused with exit 2 (got $rc)" test "$rc" -eq 2
check "the refusal says to merge by hand" grep -q "merge them by hand" b3.err
snapshot site bad-after.snap
check "bad input changed nothing" same_snapshot bad-before.snap bad-after.snap
rm -rf site/current/public/album site/shared/public/album

run_persist u1 undo --root site
run_persist u2 undo --root site
check "undo of the deploy and of custom add exit 0 (got $rc)" test "$rc" -eq 0
snapshot site undone.snap
check "undo restores the site exactly" same_snapshot before.snap undone.snap

finish
