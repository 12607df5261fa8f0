#!/usr/bin/env bash
# persist deploy --update PKG: a vendor's update package (the changed and
# added files, a deleted-files.txt, a VERSION) made into a new release from
# the live one, as an Info-ZIP zip, a GNU tar -z tarball and a plain
# directory (python3's zipfile for the hostile zip).
#
#  1. A full deploy of a release at VERSION 1.0, the users' data in shared/,
#     then the 1.1 update (a zip; the same package as a directory on a twin
#     site): changed files changed, the added one there, the deleted ones
#     gone, everything else the live release's (the same inode with
#     --dedupe hardlink); the live release and shared/ untouched; a deleted
#     path in shared/ kept and one missing counted, in notes; `persist diff`
#     is exactly the package's changes; verify is healthy.
#  2. undo gives back the site exactly; the update applies again.
#  3. A second update as a .tar.gz (--expect-version), a third as a directory
#     with --delete-list (1.10 above 1.2: versions compare by number); the
#     same or a lower VERSION and an --expect-version mismatch are refused
#     (exit 2) with nothing changed.
#  4. A package shipping public/uploads/ and storage/ files (a directory,
#     a zip): never written into shared/; with --merge-new only what shared/
#     lacks is added, and a user's file of the same name is not overwritten.
#  5. A zip slip in the package and a delete list climbing out ("../", "/"):
#     exit 2, the site unchanged.
#  6. --update on a site without a deploy, and --delete-list/--expect-version
#     without --update: exit 2, nothing created.
#
# usage: update_package_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"
for tool in zip tar gzip python3; do
  command -v "$tool" >/dev/null || die "$tool is needed (tools/setup installs it)"
done
export TZ=UTC

# ---------------------------------------------------------------- helpers

# fix_mtimes DIR BASE: whole-second, distinct mtimes on every non-directory.
fix_mtimes() {
  local i=0 p
  while IFS= read -r -d '' p; do
    i=$((i + 1))
    touch -h -d "@$(($2 + i * 61))" "$p"
  done < <(find "$1" ! -type d -print0 | sort -z)
}

# shared_snapshot SITE OUT: shared/ without its .deployment-history.
shared_snapshot() {
  "$SNAPSHOT_TOOL" --exclude .deployment-history "$1/shared" >"$2" || die "snapshot of $1/shared failed"
}

# tree_snapshot DIR OUT [EXCLUDE...]: DIR as it is, less the EXCLUDEd paths.
tree_snapshot() {
  local dir=$1 out=$2 args=() p
  shift 2
  for p in "$@"; do args+=(--exclude "$p"); done
  "$SNAPSHOT_TOOL" "${args[@]}" "$dir" >"$out" || die "snapshot of $dir failed"
}



# healthy SITE WHAT: persist verify exits 0 and says so.
healthy() {
  persist_cmd "verify-$RANDOM" verify --root "$1"
  expect_rc 0 "$2: verify"
  check "$2: verify finds the site healthy" has "$last.out" "the site is healthy"
}

inode() { stat -c %i "$1"; }

# refused NAME SITE WHAT MESSAGE ARGS...: `persist ARGS --root SITE` exits 2
# saying MESSAGE, and the site (snapshot, journal's runs, releases/) is
# exactly as before.
refused() {
  local name=$1 site=$2 what=$3 message=$4
  shift 4
  snapshot "$site" "$name-before.snap"
  "$PERSIST" log --root "$site" >"$name-log-before.txt" 2>&1
  persist_cmd "$name" "$@" --root "$site"
  local deployed=$((rc == 0))
  expect_rc 2 "$what"
  check "$what: the message says: $message" has "$name.err" "$message"
  snapshot "$site" "$name-after.snap"
  check "$what: the site is exactly as before" same_snapshot "$name-before.snap" "$name-after.snap"
  "$PERSIST" log --root "$site" >"$name-log-after.txt" 2>&1
  check "$what: no run was recorded" cmp -s "$name-log-before.txt" "$name-log-after.txt"
  # A wrongful success is taken back, so that the next cases start alike.
  ((deployed == 0)) || "$PERSIST" undo --yes --root "$site" >/dev/null 2>&1 || die "undo on $site failed"
}

# The live release, 1.0: the shop sample with a VERSION, a kernel the
# update changes, a legacy file and a routes/old/ folder it deletes, files
# it leaves alone (an executable, a private file, a symlink), and a
# storage/ file (seeded into shared/, with the framework/views/ Laravel
# needs) its deleted-files.txt names.
make_v1() {
  sample_release "$1" shop 1.0
  mkdir -p "$1"/app/Http "$1"/app/Legacy "$1"/routes/old "$1"/config "$1"/public/css "$1"/storage/app \
    "$1"/storage/framework/views
  printf '1.0\n' >"$1"/VERSION
  printf '<?php // kernel 1.0\n' >"$1"/app/Http/Kernel.php
  printf '<?php // legacy\n' >"$1"/app/Legacy/Old.php
  printf '<?php // web routes 1.0\n' >"$1"/routes/web.php
  printf '<?php // old api\n' >"$1"/routes/old/api.php
  printf '<?php return ["name" => "shop 1.0"];\n' >"$1"/config/app.php
  printf 'body { color: red }\n' >"$1"/public/css/app.css
  printf '#!/usr/bin/env php\n<?php // artisan\n' >"$1"/artisan
  chmod 0755 "$1"/artisan
  printf 'vendor secret\n' >"$1"/app/secret.key
  chmod 0600 "$1"/app/secret.key
  ln -s index.php "$1"/app/latest.php
  printf 'seed\n' >"$1"/storage/app/seed.txt
  fix_mtimes "$1" 1700000000
}
make_v1 rel10
# Files of the live release the 1.1 update leaves alone.
UNTOUCHED=(.env.example composer.json artisan app/secret.key routes/web.php config/app.php public/css/app.css)

# The 1.1 update, in one top folder as vendors ship it: two files changed,
# one added, and a deleted-files.txt with a comment, a blank line, a "./"
# path, a folder with a trailing "/", a path in shared/ (storage/) and one
# the live release does not have.
mkdir -p pkg11/update-1.1/app/Http/Controllers
printf '<?php // 1.1\n' >pkg11/update-1.1/app/index.php
printf '<?php // kernel 1.1\n' >pkg11/update-1.1/app/Http/Kernel.php
printf '<?php // shop controller\n' >pkg11/update-1.1/app/Http/Controllers/Shop.php
printf '1.1\n' >pkg11/update-1.1/VERSION
printf '# Files removed in 1.1\n\n./app/Legacy/Old.php\nroutes/old/\nstorage/app/seed.txt\napp/Gone/never.php\n' \
  >pkg11/update-1.1/deleted-files.txt
fix_mtimes pkg11 1710000000
(cd pkg11 && zip -qr ../p11.zip update-1.1) || die "zip failed"
P11DIR=$WORK/pkg11/update-1.1
# Paths the 1.1 update changes, adds or deletes.
CHANGED=(app/index.php app/Http/Kernel.php VERSION app/Http/Controllers app/Legacy routes/old deleted-files.txt)
WANT11="added app/Http/Controllers
added app/Http/Controllers/Shop.php
modified VERSION
modified app/Http/Kernel.php
modified app/index.php
removed app/Legacy/Old.php
removed routes/old
removed routes/old/api.php"
WANT11=$(sort <<<"$WANT11")

# live_site SITE: the 1.0 release deployed, then the users' data: an
# upload, an order in storage/ and an edited .env.
live_site() {
  mkdir "$1"
  persist_cmd "$1-d1" deploy rel10 --root "$1" --id r1
  expect_rc 0 "the full deploy of 1.0 into $1"
  check "$1: shared/storage was seeded with storage/app/seed.txt" test -f "$1/shared/storage/app/seed.txt"
  printf 'a user photo\n' >"$1"/shared/public/uploads/user-1.png
  printf 'order 1\n' >"$1"/shared/storage/app/order-1.txt
  printf 'APP_KEY=base64:c2VjcmV0\nDB_PASSWORD=hunter2\n' >"$1"/shared/.env
  touch -d @1720000000 "$1"/shared/public/uploads/user-1.png "$1"/shared/storage/app/order-1.txt "$1"/shared/.env
}

# ---------------------------------------------------------------- 1 and 2. the 1.1 update, undone, again
# update_11 TAG SITE PKG NAME: cases 1 and 2 for the 1.1 package PKG (the
# deploy names it NAME) over SITE's live 1.0.
update_11() {
  local tag=$1 site=$2 pkg=$3 name=$4 f
  live_site "$site"
  snapshot "$site" "$tag-between.snap"
  tree_snapshot "$site/releases/r1" "$tag-r1.snap"
  shared_snapshot "$site" "$tag-shared.snap"

  persist_cmd "$tag-dry" deploy --update "$pkg" --root "$site" --id r2 --dedupe hardlink --dry-run
  expect_rc 0 "(1) $tag: a dry run of the update"
  check "(1) $tag: the plan updates releases/r1 into releases/r2" \
    has "$tag-dry.out" "update releases/r1 with $name, deleting 2 paths -> releases/r2 (hardlink)"
  snapshot "$site" "$tag-dry.snap"
  check "(1) $tag: the dry run changed nothing" same_snapshot "$tag-between.snap" "$tag-dry.snap"

  # The files the package replaces: the update never links them (to unlink
  # them again), so even their ctime stays.
  local replaced=(app/index.php app/Http/Kernel.php VERSION) identity_before identity_after
  identity_before=$(cd "$site/releases/r1" && stat -c '%n %i %h %z' "${replaced[@]}")
  persist_cmd "$tag-up" deploy --update "$pkg" --root "$site" --id r2 --dedupe hardlink
  expect_rc 0 "(1) $tag: the update"
  local updated=$((rc == 0))
  check "(1) $tag: the note says what was updated with what" \
    has "$tag-up.out" "note: updating release r1 (1.0) with $name (1.1): "
  check "(1) $tag: the note counts the 2 paths deleted" has "$tag-up.out" " laid over it, 2 paths deleted"
  check "(1) $tag: the deleted path in shared/ is kept, with a note" \
    has "$tag-up.out" "note: the package deletes storage/app/seed.txt, which is shared data (in shared/): kept"
  check "(1) $tag: the deleted path the live release lacks is counted" \
    has "$tag-up.out" "note: 1 path the package deletes is not in the live release"
  check "(1) $tag: current -> releases/r2" test "$(readlink "$site/current")" = releases/r2
  local r2=$site/releases/r2
  for f in app/index.php app/Http/Kernel.php app/Http/Controllers/Shop.php VERSION; do
    check "(1) $tag: $f is the package's" cmp -s "$P11DIR/$f" "$r2/$f"
  done
  check "(1) $tag: the deleted app/Legacy/Old.php is gone" test ! -e "$r2/app/Legacy/Old.php" -a -e "$r2/app"
  check "(1) $tag: the deleted folder routes/old/ is gone" test ! -e "$r2/routes/old" -a -e "$r2/routes/web.php"
  check "(1) $tag: the package's deleted-files.txt (its instructions, no app file) is not in the release" \
    test ! -e "$r2/deleted-files.txt" -a -e "$r2/app"
  tree_snapshot "$site/releases/r1" "$tag-r1-rest.snap" "${CHANGED[@]}"
  tree_snapshot "$r2" "$tag-r2-rest.snap" "${CHANGED[@]}"
  check "(1) $tag: everything else of releases/r2 is releases/r1's exactly (links into shared/ too)" \
    same_snapshot "$tag-r1-rest.snap" "$tag-r2-rest.snap"
  for f in "${UNTOUCHED[@]}"; do
    check "(1) $tag: --dedupe hardlink: $f is releases/r1's inode" \
      test "$(inode "$site/releases/r1/$f")" = "$(inode "$r2/$f" 2>/dev/null)"
  done
  check "(1) $tag: the changed app/index.php is a file of its own" \
    test "$(inode "$site/releases/r1/app/index.php")" != "$(inode "$r2/app/index.php" 2>/dev/null)"
  tree_snapshot "$site/releases/r1" "$tag-r1-after.snap"
  check "(1) $tag: releases/r1 is untouched, byte for byte" same_snapshot "$tag-r1.snap" "$tag-r1-after.snap"
  check "(1) $tag: releases/r1/app/index.php still holds 1.0" grep -q '1.0' "$site/releases/r1/app/index.php"
  identity_after=$(cd "$site/releases/r1" && stat -c '%n %i %h %z' "${replaced[@]}")
  check "(1) $tag: the files of releases/r1 the package replaces keep their inode, links and ctime" \
    same_text "stat of ${replaced[*]}" "$identity_after" "$identity_before"
  shared_snapshot "$site" "$tag-shared-after.snap"
  check "(1) $tag: shared/ (storage/app/seed.txt included) is untouched" \
    same_snapshot "$tag-shared.snap" "$tag-shared-after.snap"
  check "(1) $tag: persist diff r1 r2 is exactly the package's changes" \
    same_text "diff r1 r2" "$(changes "$site" r1 r2 | grep -v ' deleted-files.txt$')" "$WANT11"
  check "(1) $tag: persist diff r1 r2 does not list deleted-files.txt" \
    test -z "$(changes "$site" r1 r2 | grep ' deleted-files.txt$')"
  healthy "$site" "(1) $tag: after the update"
  tree_snapshot "$r2" "$tag-r2.snap"

  if ((updated == 0)); then
    fail "(2) $tag: undo and the update again not checked: the update failed"
    return
  fi
  persist_cmd "$tag-undo" undo --yes --root "$site"
  expect_rc 0 "(2) $tag: undo of the update"
  snapshot "$site" "$tag-undone.snap"
  check "(2) $tag: undo gives back the site exactly" same_snapshot "$tag-between.snap" "$tag-undone.snap"
  check "(2) $tag: releases/r2 is gone" test ! -e "$r2"
  persist_cmd "$tag-again" deploy --update "$pkg" --root "$site" --id r2 --dedupe hardlink
  expect_rc 0 "(2) $tag: the update again"
  tree_snapshot "$r2" "$tag-r2-again.snap"
  check "(2) $tag: it makes the same releases/r2" same_snapshot "$tag-r2.snap" "$tag-r2-again.snap"
  check "(2) $tag: current -> releases/r2 again" test "$(readlink "$site/current")" = releases/r2
  healthy "$site" "(2) $tag: after the update again"
}
update_11 zip site1 p11.zip "$WORK/p11.zip: update-1.1"
update_11 dir site1d "$P11DIR" "$P11DIR"

# ---------------------------------------------------------------- 3. a .tar.gz, a directory, versions
# site1d is at 1.1 (r2). The 1.2 update as a tarball of its top (members
# "./routes/web.php" ...), no deleted-files.txt, for 1.1 exactly.
mkdir -p pkg12/app/Models pkg12/routes
printf '<?php // web routes 1.2\n' >pkg12/routes/web.php
printf '<?php // order model\n' >pkg12/app/Models/Order.php
printf '1.2\n' >pkg12/VERSION
fix_mtimes pkg12 1711000000
tar -C pkg12 -czf p12.tar.gz . || die "tar -czf failed"
tree_snapshot site1d/releases/r2 s3-r2.snap
shared_snapshot site1d s3-shared.snap
persist_cmd c3tgz deploy --update p12.tar.gz --root site1d --id r3 --expect-version 1.1
expect_rc 0 "(3) the 1.2 update, a .tar.gz, --expect-version 1.1"
check "(3) tgz: the note names the tarball and both versions" \
  has c3tgz.out "note: updating release r2 (1.1) with $WORK/p12.tar.gz (1.2): "
check "(3) tgz: current -> releases/r3" test "$(readlink site1d/current)" = releases/r3
for f in routes/web.php app/Models/Order.php VERSION; do
  check "(3) tgz: $f is the package's" cmp -s "pkg12/$f" "site1d/releases/r3/$f"
done
check "(3) tgz: app/index.php is still 1.1's" cmp -s "$P11DIR/app/index.php" site1d/releases/r3/app/index.php
check "(3) tgz: persist diff r2 r3 is exactly the package's changes" \
  same_text "diff r2 r3" "$(changes site1d r2 r3)" "$(sort <<<"added app/Models
added app/Models/Order.php
modified VERSION
modified routes/web.php")"
tree_snapshot site1d/releases/r2 s3-r2-after.snap
check "(3) tgz: releases/r2 is untouched" same_snapshot s3-r2.snap s3-r2-after.snap
shared_snapshot site1d s3-shared-after.snap
check "(3) tgz: shared/ is untouched" same_snapshot s3-shared.snap s3-shared-after.snap
healthy site1d "(3) tgz: after the update"

# 1.10, a directory with its app one folder down beside a README, and the
# deleted paths in a --delete-list of the operator's (which the package's
# own deleted-files.txt gives way to). 1.10 is above 1.2 and 1.9.
mkdir -p pkg110/shop-1.10/config
printf 'How to update: unpack over your install.\n' >pkg110/README.txt
printf '<?php return ["name" => "shop 1.10"];\n' >pkg110/shop-1.10/config/app.php
printf '1.10\n' >pkg110/shop-1.10/VERSION
printf 'routes/web.php\n' >pkg110/shop-1.10/deleted-files.txt
printf '# by hand\n\napp/Http/Controllers/Shop.php\n' >dl110.txt
fix_mtimes pkg110 1712000000
prev=$(basename "$(readlink site1d/current)")
tree_snapshot "site1d/releases/$prev" s3-prev.snap
persist_cmd c3dir deploy --update pkg110 --root site1d --id r4 --delete-list dl110.txt
expect_rc 0 "(3) the 1.10 update, a directory, over $prev"
check "(3) dir: the package's root is found one folder down" \
  has c3dir.out "with $WORK/pkg110/shop-1.10 (1.10): "
check "(3) dir: config/app.php is the package's" cmp -s pkg110/shop-1.10/config/app.php site1d/releases/r4/config/app.php
check "(3) dir: the --delete-list path is gone" test ! -e site1d/releases/r4/app/Http/Controllers/Shop.php -a -e site1d/releases/r4/app
check "(3) dir: the package's own deleted-files.txt was not used" test -e site1d/releases/r4/routes/web.php
check "(3) dir: the README beside the app stays out" test ! -e site1d/releases/r4/README.txt
check "(3) dir: persist diff $prev r4 is exactly the changes" \
  same_text "diff $prev r4" "$(changes site1d "$prev" r4 | grep -v ' deleted-files.txt$')" "$(sort <<<"modified VERSION
modified config/app.php
removed app/Http/Controllers/Shop.php")"
tree_snapshot "site1d/releases/$prev" s3-prev-after.snap
check "(3) dir: releases/$prev is untouched" same_snapshot s3-prev.snap s3-prev-after.snap
healthy site1d "(3) dir: after the update"

# Refusals at 1.10: the same version, lower ones (1.9; the 1.1 zip), and a
# live release not at --expect-version.
mkdir -p pkg19/app pkg111/app
printf '1.9\n' >pkg19/VERSION
printf '<?php // 1.9\n' >pkg19/app/index.php
printf '1.11\n' >pkg111/VERSION
printf '<?php // 1.11\n' >pkg111/app/index.php
refused c3same site1d "(3) the 1.10 update again (the same VERSION)" \
  "brings version 1.10, but the live release r4 is at 1.10 already; an update never goes back" \
  deploy --update pkg110 --id r5 --delete-list dl110.txt
refused c3lower site1d "(3) a 1.9 update over 1.10" \
  "brings version 1.9, but the live release r4 is at 1.10 already; an update never goes back" \
  deploy --update pkg19 --id r5
refused c3zip site1d "(3) the 1.1 zip over 1.10" \
  "$WORK/p11.zip: update-1.1 brings version 1.1, but the live release r4 is at 1.10 already; an update never goes back" \
  deploy --update p11.zip --id r5
refused c3expect site1d "(3) --expect-version 1.2 with the live release at 1.10" \
  "the package is for version 1.2, but the live release r4 is at 1.10" \
  deploy --update pkg111 --id r5 --expect-version 1.2
persist_cmd c3ok deploy --update pkg111 --root site1d --id r5 --expect-version 1.10
expect_rc 0 "(3) the 1.11 update with --expect-version 1.10"
check "(3) 1.11: app/index.php is the package's" cmp -s pkg111/app/index.php site1d/releases/r5/app/index.php

# ---------------------------------------------------------------- 4. persistent paths in the package
# The vendor ships a new demo upload, its own user-1.png (the user's has
# the same name) and a storage/ file: none of it may reach shared/ unasked.
# As a directory, and as an Info-ZIP zip of it.
mkdir -p pkgup/app pkgup/public/uploads pkgup/storage/app/public
printf '<?php // 1.1 with uploads\n' >pkgup/app/index.php
printf 'vendor demo png\n' >pkgup/public/uploads/new.png
printf 'vendor user-1 png\n' >pkgup/public/uploads/user-1.png
printf 'vendor banner\n' >pkgup/storage/app/public/banner.txt
printf '1.1\n' >pkgup/VERSION
fix_mtimes pkgup 1713000000
(cd pkgup && zip -qr ../pup.zip .) || die "zip failed"
uploaded=$(($(stat -c %s pkgup/public/uploads/new.png) + $(stat -c %s pkgup/public/uploads/user-1.png)))

# persistent_update TAG PKG: case 4 for PKG, on a site of its own.
persistent_update() {
  local tag=$1 pkg=$2 s=site4-$1 up
  live_site "$s"
  snapshot "$s" "$tag-4-before.snap"
  shared_snapshot "$s" "$tag-4-shared.snap"
  persist_cmd "$tag-4dry" deploy --update "$pkg" --root "$s" --id r2 --dry-run
  expect_rc 0 "(4) $tag: a dry run of the update shipping public/uploads/ and storage/ files"
  check "(4) $tag: the dry run says shared/public/uploads is kept as it is" \
    has "$tag-4dry.out" "note: the release ships public/uploads (2 files, $uploaded bytes); shared/public/uploads is kept as it is (--merge-new adds files it lacks)"
  check "(4) $tag: the dry run says shared/storage is kept as it is" has "$tag-4dry.out" "shared/storage is kept as it is"
  snapshot "$s" "$tag-4-dry.snap"
  check "(4) $tag: the dry run changed nothing" same_snapshot "$tag-4-before.snap" "$tag-4-dry.snap"

  persist_cmd "$tag-4" deploy --update "$pkg" --root "$s" --id r2
  expect_rc 0 "(4) $tag: an update shipping public/uploads/ and storage/ files"
  up=$((rc == 0))
  check "(4) $tag: it keeps shared/public/uploads as it is, like a full release's copy" \
    has "$tag-4.out" "note: the release ships public/uploads (2 files, $uploaded bytes); shared/public/uploads is kept as it is"
  check "(4) $tag: it keeps shared/storage as it is" has "$tag-4.out" "shared/storage is kept as it is"
  shared_snapshot "$s" "$tag-4-shared-after.snap"
  check "(4) $tag: shared/ is untouched" same_snapshot "$tag-4-shared.snap" "$tag-4-shared-after.snap"
  check "(4) $tag: new.png is not in shared/" test ! -e "$s/shared/public/uploads/new.png"
  check "(4) $tag: releases/r2/public/uploads is still the link into shared/" \
    test "$(readlink "$s/releases/r2/public/uploads")" = ../../../shared/public/uploads
  check "(4) $tag: releases/r2/storage is still the link into shared/" \
    test "$(readlink "$s/releases/r2/storage")" = ../../shared/storage
  check "(4) $tag: app/index.php is the package's" cmp -s pkgup/app/index.php "$s/releases/r2/app/index.php"
  healthy "$s" "(4) $tag: after the update"
  if ((up)); then
    persist_cmd "$tag-4u" undo --yes --root "$s"
    expect_rc 0 "(4) $tag: undo of the update"
  fi
  snapshot "$s" "$tag-4-undone.snap"
  check "(4) $tag: the site is back as before the update" same_snapshot "$tag-4-before.snap" "$tag-4-undone.snap"

  persist_cmd "$tag-4m" deploy --update "$pkg" --root "$s" --id r2 --merge-new
  expect_rc 0 "(4) $tag: the same update with --merge-new"
  up=$((rc == 0))
  check "(4) $tag: --merge-new: new.png is added to shared/" \
    cmp -s pkgup/public/uploads/new.png "$s/shared/public/uploads/new.png"
  check "(4) $tag: --merge-new: storage/app/public/banner.txt is added to shared/" \
    cmp -s pkgup/storage/app/public/banner.txt "$s/shared/storage/app/public/banner.txt"
  check "(4) $tag: --merge-new: the user's user-1.png is not overwritten" \
    grep -qx 'a user photo' "$s/shared/public/uploads/user-1.png"
  shared_snapshot "$s" "$tag-4m-shared.snap"
  grep -v -e '^\./public/uploads/new\.png	' -e '^\./storage/app/public[/	]' "$tag-4m-shared.snap" \
    >"$tag-4m-shared-rest.snap"
  check "(4) $tag: --merge-new: nothing else of shared/ changed" \
    same_snapshot "$tag-4-shared.snap" "$tag-4m-shared-rest.snap"
  check "(4) $tag: --merge-new: releases/r2/public/uploads is still the link into shared/" \
    test "$(readlink "$s/releases/r2/public/uploads")" = ../../../shared/public/uploads
  healthy "$s" "(4) $tag: after the update with --merge-new"
  if ((up)); then
    persist_cmd "$tag-4mu" undo --yes --root "$s"
    expect_rc 0 "(4) $tag: undo of the update with --merge-new"
  fi
  snapshot "$s" "$tag-4m-undone.snap"
  check "(4) $tag: undo takes the merged files back out of shared/ exactly" \
    same_snapshot "$tag-4-before.snap" "$tag-4m-undone.snap"
}
persistent_update dir "$WORK/pkgup"
persistent_update zip pup.zip

# ---------------------------------------------------------------- 5. hostile packages
python3 - h-slip.zip <<'PY' || die "python3 failed"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("upd/VERSION", "9.0\n")
    z.writestr("upd/app/index.php", "<?php // 9.0\n")
    z.writestr("upd/../../evil.php", "<?php system($_GET[1]);\n")
PY
refused c5slip site1d "(5) an update zip with a \"..\" member" "upd/../../evil.php" deploy --update h-slip.zip --id r9
check "(5) nothing was written beside the zip" test ! -e "$WORK/../evil.php" -a ! -e "$WORK/evil.php"
mkdir -p pkg20/app
printf '2.0\n' >pkg20/VERSION
printf '<?php // 2.0\n' >pkg20/app/index.php
printf '# cleanup\napp/Http/Kernel.php\n../etc/passwd\n' >dl-bad.txt
refused c5dl site1d "(5) a --delete-list line ../etc/passwd" "$WORK/dl-bad.txt line 3: ../etc/passwd" \
  deploy --update pkg20 --id r9 --delete-list dl-bad.txt
mkdir -p pkg20b/app
printf '2.0\n' >pkg20b/VERSION
printf '<?php // 2.0\n' >pkg20b/app/index.php
printf 'app/Http/Kernel.php\n/etc/passwd\n' >pkg20b/deleted-files.txt
refused c5abs site1d "(5) a deleted-files.txt line /etc/passwd" "deleted-files.txt line 2: /etc/passwd" \
  deploy --update pkg20b --id r9
check "(5) /etc/passwd is still there" test -s /etc/passwd

# ---------------------------------------------------------------- 6. no live release
mkdir site6
persist_cmd c6 deploy --update "$P11DIR" --root site6 --id r1
expect_rc 2 "(6) --update on a site without a deploy"
check "(6) the message says there is no live release" has c6.err "has no live release"
persist_cmd c6z deploy --update p11.zip --root site6 --id r1
expect_rc 2 "(6) --update of a zip on a site without a deploy"
persist_cmd c6dl deploy rel10 --root site6 --id r1 --delete-list dl110.txt
expect_rc 2 "(6) --delete-list without --update"
persist_cmd c6ev deploy rel10 --root site6 --id r1 --expect-version 1.0
expect_rc 2 "(6) --expect-version without --update"
check "(6) nothing was created in the site (no .persist/ either)" test -z "$(ls -A site6)" || ls -A site6 >&2

finish
