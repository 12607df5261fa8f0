#!/usr/bin/env bash
# persist capture: the live release, with what was written into it in place
# (an app's self-update from its admin panel, a hotfix over SSH), made a new
# release of its own.
#
#  1. A deploy, then in place: a PHP file edited, a file added, a file
#     deleted. verify names the drift. capture makes release 2 from the
#     live tree: it holds exactly what the live release holds (through its
#     links into shared/), verify is clean again, `persist diff 1 2` names
#     exactly the three paths, release 1 and shared/ are untouched, and
#     with --dedupe hardlink the unchanged files are the same inodes.
#  2. undo: current is back at release 1 with the drift still in it, the
#     whole site byte for byte as before the capture; capture runs again.
#  3. --dry-run plans the capture and changes nothing.
#  4. capture where there is nothing to capture: a directory that is no
#     site (exit 2, nothing created), a site whose current points at no
#     release (exit 2, the site unchanged); a positional argument and a bad
#     --dedupe are usage errors.
#
# usage: capture_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

# ------------------------------------------------------- 1. drift captured

sample_release rel1 shop 1.0
mkdir -p rel1/app/Http rel1/routes
printf '<?php // kernel 1.0\n' >rel1/app/Http/Kernel.php
printf '<?php // web routes\n' >rel1/routes/web.php
printf '<?php // legacy helper\n' >rel1/app/helpers.php
mkdir site
persist_cmd deploy1 deploy "$WORK/rel1" --root site --id 1
expect_rc 0 "deploy of release 1"
printf 'user upload\n' >site/shared/public/uploads/photo.jpg

# The app updates itself in place.
printf '<?php // kernel 1.0, patched by the admin panel\n' >site/releases/1/app/Http/Kernel.php
printf '<?php // added by the admin panel\n' >site/releases/1/app/Module.php
rm site/releases/1/app/helpers.php
persist_cmd verify-drift verify --root site
expect_rc 1 "verify of the drifted release"
check "verify names the edited file" has verify-drift.out "app/Http/Kernel.php"
check "verify names the added file" has verify-drift.out "app/Module.php"

snapshot site before-capture.snap
"$SNAPSHOT_TOOL" --follow-links --no-mtimes site/releases/1 >live1.snap || die "snapshot of release 1"
"$SNAPSHOT_TOOL" --exclude .deployment-history site/shared >shared-before.snap || die "snapshot of shared/"
kernel_inode_before=$(stat -c %i site/releases/1/app/Http/Kernel.php)
persist_cmd capture capture --root site --id 2 --dedupe hardlink
expect_rc 0 "capture"
check "current points at the captured release" test "$(readlink site/current)" = releases/2
"$SNAPSHOT_TOOL" --follow-links --no-mtimes site/releases/2 >live2.snap || die "snapshot of release 2"
check "the captured release holds what the live one held, through its links into shared/" \
  same_snapshot live1.snap live2.snap
check "the captured release's storage is the link into shared/" \
  test "$(readlink site/releases/2/storage)" = "$(readlink site/releases/1/storage)"
check "the edited file is in the captured release" \
  grep -q "patched by the admin panel" site/releases/2/app/Http/Kernel.php
check "the added file is in the captured release" test -f site/releases/2/app/Module.php
check "the deleted file is not" test ! -e site/releases/2/app/helpers.php
check "with --dedupe hardlink an unchanged file is the live one's inode" \
  test "$(stat -c %i site/releases/2/routes/web.php)" = "$(stat -c %i site/releases/1/routes/web.php)"
check "release 1 was not written (the edited file keeps its inode)" \
  test "$(stat -c %i site/releases/1/app/Http/Kernel.php)" = "$kernel_inode_before"
"$SNAPSHOT_TOOL" --exclude .deployment-history site/shared >shared-after.snap || die "snapshot of shared/"
check "shared/ is untouched" same_snapshot shared-before.snap shared-after.snap
persist_cmd verify-captured verify --root site
expect_rc 0 "verify after the capture"
check "verify is clean again" has verify-captured.out "the site is healthy"
same_text "persist diff 1 2 names exactly the in-place changes" "$(changes site 1 2)" \
  "$(printf '%s\n' 'added app/Module.php' 'modified app/Http/Kernel.php' 'removed app/helpers.php')" ||
  fail "persist diff 1 2 names exactly the in-place changes"
check "the capture says what it took" has capture.out "capturing release 1 as it is now"

# ------------------------------------------------------- 2. undo is exact

persist_cmd undo undo --yes --root site
expect_rc 0 "undo of the capture"
snapshot site after-undo.snap
check "undo gives back the site exactly, the drift still in release 1" \
  same_snapshot before-capture.snap after-undo.snap
check "current is back at release 1" test "$(readlink site/current)" = releases/1
persist_cmd capture-again capture --root site --id 2
expect_rc 0 "capture after the undo"
check "the edited file is in the release captured again" \
  grep -q "patched by the admin panel" site/releases/2/app/Http/Kernel.php

# ---------------------------------------------------------- 3. --dry-run

snapshot site before-dry.snap
persist_cmd dry capture --root site --dry-run
expect_rc 0 "capture --dry-run"
check "the dry run shows the capture op" has dry.out "capture releases/2 as it is now"
snapshot site after-dry.snap
check "the dry run changes nothing" same_snapshot before-dry.snap after-dry.snap

# ------------------------------------------------- 4. nothing to capture

mkdir plain
snapshot plain plain-before.snap
persist_cmd no-site capture --root plain
expect_rc 2 "capture in a directory that is no site"
check "the message says there is no live release to capture" has no-site.err "no live release to capture"
snapshot plain plain-after.snap
check "the directory is as before" same_snapshot plain-before.snap plain-after.snap
check "no journal was made" test ! -e plain/.persist

sample_release rel0 small
mkdir noswitch
persist_cmd noswitch deploy "$WORK/rel0" --root noswitch --id 1 --no-switch
expect_rc 0 "deploy without a switch"
snapshot noswitch noswitch-before.snap
persist_cmd no-live capture --root noswitch
expect_rc 2 "capture on a site whose current points at no release"
check "the message says there is no live release" has no-live.err "has no live release to capture"
snapshot noswitch noswitch-after.snap
check "that site is as before" same_snapshot noswitch-before.snap noswitch-after.snap

persist_cmd positional capture extra --root site
expect_rc 2 "capture with a positional argument"
persist_cmd bad-dedupe capture --root site --dedupe sometimes
expect_rc 2 "capture with a bad --dedupe"
check "the message names the flag" has bad-dedupe.err "--dedupe"

finish
