#!/usr/bin/env bash
# persist repair: each breakage the blueprint names, made with plain shell
# commands, fixed by one journaled run: current dangling, a shared link
# missing, one pointing elsewhere, public_html pointing elsewhere, a
# world-readable .env, bootstrap/cache not writable, storage/framework/views
# missing, a directory of shared/ the live release links to gone. A file changed in the live release that no other release holds
# is named; one that another release holds with the deployed digest is
# restored from it (and a deleted one too); what it copied over is
# rescued, never deleted, when its stash is purged. Bad input: exit 2. verify then finds only that; `persist undo` of the repair puts the
# broken site back exactly; --dry-run changes nothing; what holds data (a
# real directory where a link belongs) is never repaired over; a healthy
# site has nothing to repair; current at a release copied by hand goes back
# to the newest a deploy completed; a shared directory gone that a run set
# aside comes back from its stash; shared/emergency-recovery.sh repairs too.
#
# usage: repair_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

sample_release rel laravel
mkdir -p rel/storage/framework/views site
persist_cmd d1 deploy "$WORK/rel" --root site --id 1
expect_rc 0 "first deploy"
ln -s current/public site/public_html
persist_cmd healthy repair --root site
expect_rc 0 "repair of a healthy site"
check "it has nothing to repair" has healthy.out "nothing persist can repair"
check "and made no run" bash -c "! '$PERSIST' log --root site | grep -q repair"

# ------------------------------------------------------------ the breakages

rm site/current && ln -s releases/gone site/current
rm site/releases/1/.env
ln -sfn ../../elsewhere site/releases/1/storage
rm site/public_html && ln -s releases/1/public site/public_html
chmod 0644 site/shared/.env
chmod 0555 site/shared/bootstrap/cache
rm -r site/shared/storage/framework/views
rm -r site/shared/public/qrcodes
printf '<?php // changed on the server\n' >>site/releases/1/app/Http/Controllers/HomeController.php
snapshot site broken.snap

persist_cmd verify1 verify --root site
expect_rc 1 "verify of the broken site"
check "verify offers persist repair for what it can fix" has verify1.out "fix: persist repair (by hand: chmod o-rwx shared/.env)"

# With current dangling, no release is live to check against its manifest:
# the changed file shows once current is repaired.
persist_cmd dry repair --root site --dry-run
expect_rc 0 "repair --dry-run"
check "the dry run names what it would repair" has dry.out "would repair: current"
check "and how" has dry.out "symlink current -> releases/1"
snapshot site after-dry.snap
check "the dry run changes nothing" same_snapshot broken.snap after-dry.snap

persist_cmd fix repair --root site
expect_rc 1 "repair (a changed file is left for the operator)"
check "current leads to the release again" test "$(readlink site/current)" = releases/1
check "the .env link is back" test "$(readlink site/releases/1/.env)" = ../../shared/.env
check "the storage link leads into shared/ again" \
  test "$(readlink site/releases/1/storage)" = ../../shared/storage
check "public_html leads to current/public" test "$(readlink site/public_html)" = current/public
check ".env is not world-readable" test "$(stat -c %a site/shared/.env)" = 640
check "bootstrap/cache is writable" test "$(stat -c %a site/shared/bootstrap/cache)" = 755
check "framework/views is there" test -d site/shared/storage/framework/views
check "the missing qrcodes/ of shared/ is there again" test -d site/shared/public/qrcodes
check "the repair says how to undo it" has fix.out "persist undo"
check "the changed file is still named" has fix.out "still wrong:"
check "the changed file is untouched" grep -q "changed on the server" \
  site/releases/1/app/Http/Controllers/HomeController.php
persist_cmd verify2 verify --root site --json
expect_rc 1 "verify after the repair"
check "only the changed file is left" same_text "problems" \
  "$(jq -r '.problems[] | .path' verify2.out)" "releases/1/app/Http/Controllers/HomeController.php"

persist_cmd undo undo --root site --yes
expect_rc 0 "undo of the repair"
snapshot site after-undo.snap
check "undo puts the broken site back exactly" same_snapshot broken.snap after-undo.snap

# ------------------------------------------------ data is never repaired over

persist_cmd fix2 repair --root site
rm site/releases/1/storage
mkdir -p site/releases/1/storage/logs
printf 'written where the link was\n' >site/releases/1/storage/logs/today.log
snapshot site data.snap
persist_cmd data repair --root site
expect_rc 1 "repair with a real directory where the storage link belongs"
check "it names the directory and what to do" \
  has data.out "move what it holds into shared/storage"
snapshot site data-after.snap
check "nothing changed" same_snapshot data.snap data-after.snap
rm -r site/releases/1/storage && ln -s ../../shared/storage site/releases/1/storage

# ---------------------------------- files of the live release, from another

# Release 2 shares artisan and public/css/app.css with release 1; one is
# changed on the server, the other deleted; a file only release 2 ships is
# changed too. The first two come back from release 1, byte for byte; the
# third is named, untouched.
persist_cmd fix3 repair --root site
cp -a rel rel2
printf '<?php // new in 2\n' >rel2/app/New.php
persist_cmd d2 deploy "$WORK/rel2" --root site --id 2
expect_rc 0 "deploy of release 2"
printf '<?php // defaced\n' >site/releases/2/artisan
rm site/releases/2/public/css/app.css
printf '<?php // changed too\n' >site/releases/2/app/New.php
snapshot site tampered.snap
persist_cmd fix4 repair --root site
expect_rc 1 "repair of changed files (one only release 2 holds)"
check "the changed file is restored from release 1" cmp -s site/releases/1/artisan site/releases/2/artisan
check "the deleted file is restored from release 1" \
  cmp -s site/releases/1/public/css/app.css site/releases/2/public/css/app.css || show_file fix4.out
check "the repair says where from" has fix4.out "copy releases/1/artisan -> releases/2/artisan"
check "the file no other release holds is named" has fix4.out "still wrong:"
check "and left as it was" grep -q "changed too" site/releases/2/app/New.php
persist_cmd undo4 undo --root site --yes
expect_rc 0 "undo of that repair"
snapshot site tampered-after-undo.snap
check "undo puts the changed and deleted files back exactly" \
  same_snapshot tampered.snap tampered-after-undo.snap

# What a repair displaced is never deleted: the changed file it copied over
# waits in the repair's stash, and once five later runs push that run out of
# the undo window, the purge moves it to .persist/rescued/ instead.
printf '<?php // a hotfix made on the server\n' >site/releases/2/artisan
persist_cmd fix5 repair --root site
check "the hotfixed artisan is restored from release 1" cmp -s site/releases/1/artisan site/releases/2/artisan
repair_run=$("$PERSIST" log --root site --json | jq -r '[.runs[] | select(.kind == "repair")][-1].id')
for target in 1 2 1 2 1 2; do
  persist_cmd "sw-$target" switch "$target" --root site
done
rescued="site/.persist/rescued/$repair_run/releases/2/artisan"
check "the purge rescued the hotfix the repair displaced" grep -q "a hotfix made on the server" "$rescued"

# current pointing at a release no deploy completed (copied by hand): back
# to the newest one a deploy completed, and undo points it back.
live=$(readlink site/current)
cp -a site/releases/2 site/releases/by-hand
ln -sfn releases/by-hand site/current
snapshot site by-hand.snap
persist_cmd vh verify --root site
expect_rc 1 "verify with current at a release made by hand"
check "verify names it" has vh.out "points at release by-hand, which no deploy completed"
persist_cmd fixh repair --root site
check "repair relinks current (the file no release holds stays named)" \
  has fixh.out "repaired: current: points at release by-hand"
check "current points at the newest completed release again"   test "$(readlink site/current)" = "releases/$(basename "$live")"
persist_cmd undoh undo --root site --yes
expect_rc 0 "undo of that repair"
snapshot site by-hand-again.snap
check "undo points current back at the release made by hand" same_snapshot by-hand.snap by-hand-again.snap
ln -sfn "$live" site/current
rm -r site/releases/by-hand

# A directory of shared/ gone that a run still holds in its stash: a
# restore from a backup made before it existed set it aside; repair copies
# it back from that stash, which stays as it was.
rm -r site/shared/public/qrcodes
persist_cmd bk backup --root site --out "$WORK/before-qrcodes.tar"
expect_rc 0 "a backup without qrcodes/"
mkdir site/shared/public/qrcodes && printf 'qr 1\n' >site/shared/public/qrcodes/q1.png
persist_cmd rs restore "$WORK/before-qrcodes.tar" --root site
expect_rc 0 "the restore of that backup"
check "qrcodes/ is gone with it" test ! -e site/shared/public/qrcodes
restore_run=$("$PERSIST" log --root site --json | jq -r '[.runs[] | select(.kind == "restore")][-1].id')
persist_cmd fixq repair --root site
check "repair copies qrcodes/ back from the restore's stash" \
  has fixq.out "copies it back from the stash of run $restore_run"
check "with what it held" test "$(cat site/shared/public/qrcodes/q1.png 2>&1)" = "qr 1"
check "the stash still holds it" test -f "site/.persist/stash/$restore_run/0/old/public/qrcodes/q1.png"

# A dry run exits 0 when the repair would leave nothing: a link of the live
# release gone is also a file missing since deploy (by the manifest), which
# making the link again repairs too.
sample_release small-rel small
persist_cmd ds deploy "$WORK/small-rel" --root small --id 1
expect_rc 0 "deploy of a small site"
rm small/releases/1/storage
persist_cmd dsr repair --root small --dry-run
expect_rc 0 "repair --dry-run of a site whose storage link is gone"
check "it would make the link again" has dsr.out "symlink releases/1/storage"
check "and names nothing left for the operator" bash -c "! grep -q 'left for you' dsr.out"
persist_cmd dsr2 repair --root small
expect_rc 0 "the repair itself"

# Bad input: refused, exit 2.
persist_cmd extra repair something --root site
expect_rc 2 "repair with an argument"
persist_cmd nosite repair --root "$WORK/no-such-site"
expect_rc 2 "repair of a directory that is not there"
check "it names the directory" has nosite.err "no-such-site"

# -------------------------------------------- the emergency script repairs too

chmod 0644 site/shared/.env
rc=0
PATH="$(dirname "$PERSIST"):$PATH" /bin/sh site/shared/emergency-recovery.sh >er.out 2>&1 || rc=$?
check "emergency-recovery.sh repairs .env (is $(stat -c %a site/shared/.env))" \
  test "$(stat -c %a site/shared/.env)" = 640 || show_file er.out
finish
