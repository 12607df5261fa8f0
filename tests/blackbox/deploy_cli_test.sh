#!/usr/bin/env bash
# `persist deploy` and the commands around it, through the real binary, seen
# from outside: bad input refused with exit 2 and nothing changed, exit 3
# while a deploy killed halfway waits for `persist recover`, --dry-run,
# `persist classify` (table and --json), a first and a second deploy, a
# rollback, a switch and three undos compared with exact snapshots, and
# `persist verify` on a healthy and on two broken sites.
#
# usage: deploy_cli_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# Environment: VERBOSE=1 prints every passing check.
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace

cd "$WORK" || die "cd $WORK"

# ---------------------------------------------------------------- helpers

# make_release DIR VERSION: a small CodeCanyon-style Laravel release, as a
# vendor ships it: app code, vendor/, public/ with css, js, flags and
# templates (APP), demo uploads (USER), an empty qrcodes/ (RUNTIME),
# storage/, bootstrap/cache/ and .env.example. VERSION changes the app code
# and the demo upload. Fixed past mtimes on every file.
make_release() {
  local d=$1 v=$2
  mkdir -p "$d"/app/Http/Controllers "$d"/config "$d"/routes "$d"/vendor/laravel/framework/src \
    "$d"/public/css "$d"/public/js "$d"/public/flags "$d"/public/templates \
    "$d"/public/uploads/demo "$d"/public/qrcodes "$d"/storage/app/public \
    "$d"/storage/framework/views "$d"/storage/logs "$d"/bootstrap/cache
  printf 'APP_NAME=Invoicly\nAPP_KEY=\nDB_PASSWORD=\n' >"$d"/.env.example
  printf '#!/usr/bin/env php\n<?php // artisan %s\n' "$v" >"$d"/artisan
  chmod 0755 "$d"/artisan
  printf '<?php // HomeController %s\n' "$v" >"$d"/app/Http/Controllers/HomeController.php
  printf '<?php return ["name" => "Invoicly"];\n' >"$d"/config/app.php
  printf '<?php // routes %s\n' "$v" >"$d"/routes/web.php
  printf '<?php // framework %s\n' "$v" >"$d"/vendor/laravel/framework/src/Application.php
  printf '<?php require __DIR__."/../vendor/autoload.php";\n' >"$d"/public/index.php
  printf 'body{color:%s}\n' "$v" >"$d"/public/css/app.css
  printf 'console.log("%s");\n' "$v" >"$d"/public/js/app.js
  printf '<svg/>\n' >"$d"/public/flags/us.svg
  printf '<html>invoice %s</html>\n' "$v" >"$d"/public/templates/invoice.html
  printf 'demo avatar %s\n' "$v" >"$d"/public/uploads/demo/avatar.png
  printf '*\n!.gitignore\n' >"$d"/storage/logs/.gitignore
  printf '*\n!.gitignore\n' >"$d"/bootstrap/cache/.gitignore
  printf '<?php // bootstrap\n' >"$d"/bootstrap/app.php
  local i=0 p
  while IFS= read -r -d '' p; do
    i=$((i + 1))
    touch -h -d "2024-03-04 05:06:$((i % 60)).$((300000000 + i * 2345678)) UTC" "$p"
  done < <(find "$d" ! -type d -print0 | sort -z)
}




# run_count SITE: how many runs the site's journal holds (0 without one).
run_count() {
  [[ -e "$1/.persist" ]] || { echo 0; return; }
  "$PERSIST" log --root "$1" --json 2>/dev/null |
    json_get - '.runs | length'
}

# differs A B: the files A and B differ.
differs() {
  ! cmp -s "$1" "$2"
}

# link_of PATH: the target of the symlink PATH ("" when not a symlink).
link_of() {
  readlink "$1" 2>/dev/null || true
}

# sha_of FILE: its SHA-256.
sha_of() {
  sha256sum "$1" | cut -d' ' -f1
}

make_release rel-v1 v1
make_release rel-v2 v2
printf 'a new feature\n' >rel-v2/app/Http/Controllers/FeatureController.php
touch -h -d "2024-03-05 00:00:00 UTC" rel-v2/app/Http/Controllers/FeatureController.php

# ---------------------------------------------------------------- (a) bad input

# A live site: v1 deployed, a user upload, a private .env.
mkdir site
persist_cmd a_v1 deploy rel-v1 --root site --id v1
expect_rc 0 "(a) the first deploy of v1"
printf 'a photo a user uploaded\n' >site/shared/public/uploads/user-7.jpg
printf 'APP_KEY=base64:c2VjcmV0\n' >site/shared/.env
snapshot site a-before.snap
snapshot rel-v2 a-rel-before.snap
runs_before=$(run_count site)

# refused NAME WHAT ARGS...: `persist ARGS` exits 2, and neither the site,
# nor the release, nor the journal changed.
refused() {
  local name=$1 what=$2
  shift 2
  persist_cmd "$name" "$@"
  expect_rc 2 "(a) $what"
  snapshot site a-after.snap
  check "(a) $what: the site is unchanged" same_snapshot a-before.snap a-after.snap
  snapshot rel-v2 a-rel-after.snap
  check "(a) $what: the release is unchanged" same_snapshot a-rel-before.snap a-rel-after.snap
  check "(a) $what: no run was recorded" test "$(run_count site)" -eq "$runs_before"
}

refused a_missing "a missing SRC" deploy no-such-release --root site
check "(a) missing SRC: stderr names it" has a_missing.err "no-such-release"
check "(a) missing SRC: stderr says what to give" has a_missing.err "give the directory or the archive (.zip, .tar.gz ...) holding the new release"

refused a_inside "SRC inside the site's releases/" deploy site/releases/v1 --root site
check "(a) SRC inside releases/: stderr names the reason" has a_inside.err "inside the site's releases/"
check "(a) SRC inside releases/: stderr says where to upload" has a_inside.err "somewhere else"
ln -s "$WORK/site/releases" alias-of-releases
refused a_alias "SRC inside releases/ reached through a symlink" \
  deploy alias-of-releases/v1 --root site
check "(a) SRC through a symlink: stderr names the reason" has a_alias.err "inside the site's releases/"
refused a_shared "SRC inside the site's shared/" deploy site/shared/public --root site
check "(a) SRC inside shared/: stderr names the reason" has a_shared.err "inside the site's shared/"

# SRC that is the site, or holds it: the copy would copy the site into itself
# until the disk is full. Refused before anything is read or copied.
refused a_self "SRC that is the site itself" deploy site --root site
check "(a) SRC = the site: stderr says so" has a_self.err "$WORK/site is the site"
check "(a) SRC = the site: stderr says where to upload" has a_self.err "outside the site"
refused a_parent "SRC that holds the site" deploy . --root site
check "(a) SRC holds the site: stderr says so" has a_parent.err "$WORK holds the site"
refused a_parent_alias "SRC that holds the site, through a symlink" deploy alias-of-releases/../.. --root site
check "(a) SRC holds the site through a symlink: stderr says so" has a_parent_alias.err "holds the site"

# SRC that is no app: an empty directory, one without artisan, composer.json
# or public/index.php, an archive unpacked one level up. Refused unless --force.
mkdir empty-src
refused a_empty "an empty SRC" deploy empty-src --root site
check "(a) empty SRC: stderr says it is empty" has a_empty.err "$WORK/empty-src is empty"
check "(a) empty SRC: stderr names --force" has a_empty.err "--force"
mkdir -p not-an-app/docs
printf 'notes\n' >not-an-app/docs/README
refused a_not_app "a SRC without artisan, composer.json or public/index.php" deploy not-an-app --root site
check "(a) SRC that is no app: stderr names the markers" \
  has a_not_app.err "none of artisan, composer.json and public/index.php"
check "(a) SRC that is no app: stderr names --force" has a_not_app.err "add --force"
mkdir wrapped
cp -a rel-v2 wrapped/shop-2.0
persist_cmd a_wrapped deploy wrapped --root site --dry-run
expect_rc 0 "(a) a SRC one level above the app, planned"
check "(a) SRC above the app: the plan is the app's, and says so" \
  has a_wrapped.out "note: deploying shop-2.0 of $WORK/wrapped: it is the one directory"
check "(a) SRC above the app: the classification is of the app's directory" \
  has a_wrapped.out "classification of $WORK/wrapped/shop-2.0:"
rm -rf wrapped not-an-app

refused a_id "--id with a slash" deploy rel-v2 --root site --id a/b
check "(a) --id a/b: stderr names it" has a_id.err '"a/b"'
refused a_taken "--id of an existing release" deploy rel-v2 --root site --id v1
check "(a) --id v1: stderr says choose another" has a_taken.err "choose another --id"
refused a_mode "an unknown --mode" deploy rel-v2 --root site --mode sometimes
check "(a) --mode sometimes: stderr names it" has a_mode.err '"sometimes"'
refused a_keep "--keep 0" deploy rel-v2 --root site --keep 0

# A malformed profile: the error names the file and the line.
cat >site/shared/.persistence-config <<'PROFILE'
# the site's profile
user: "public/gallery/"
runtime: "public/pdf/
keep_releases: 3
PROFILE
snapshot site a-before.snap
refused a_profile "a malformed shared/.persistence-config" deploy rel-v2 --root site
check "(a) malformed profile: stderr names shared/.persistence-config:3:" \
  has a_profile.err "shared/.persistence-config:3:"
check "(a) malformed profile: stderr says to fix it" has a_profile.err "fix the profile"

# A profile pattern that climbs out of the site.
printf '# escapes\nuser: "../x/"\n' >site/shared/.persistence-config
snapshot site a-before.snap
refused a_escape "a profile pattern escaping the site (user: \"../x/\")" deploy rel-v2 --root site
check "(a) escaping pattern: stderr names it" has a_escape.err '../x/'
check "(a) escaping pattern: stderr names the profile" has a_escape.err "shared/.persistence-config"
check "(a) escaping pattern: nothing was made beside the site" test ! -e x
rm site/shared/.persistence-config
snapshot site a-before.snap

# A release whose public/uploads is a symlink leading out of the release
# (DESIGN.md, Safety: refused, not followed). Globs such as public/*upload*/
# match directories only, yet must take this symlink: were it APP code, the
# live release would store user uploads in /etc and serve /etc over HTTP.
make_release rel-etc v2
rm -rf rel-etc/public/uploads
ln -s /etc rel-etc/public/uploads
refused a_etc "a release whose public/uploads -> /etc" deploy rel-etc --root site --id etc
check "(a) public/uploads -> /etc: stderr names the path and its target" \
  has a_etc.err "public/uploads in the release is a symlink (-> /etc)"
check "(a) public/uploads -> /etc: stderr says what to do" has a_etc.err "replace it with the real directory"
check "(a) public/uploads -> /etc: no release was made" test ! -e site/releases/etc
rm -rf rel-etc

make_release rel-storage v2
rm -rf rel-storage/storage
ln -s "$WORK/outside" rel-storage/storage
mkdir -p outside
refused a_storage "a release whose storage is a symlink leading out of it" \
  deploy rel-storage --root site
check "(a) storage symlink: stderr names it and its target" \
  has a_storage.err "storage in the release is a symlink (-> $WORK/outside)"
check "(a) storage symlink: nothing was written outside" test -z "$(ls -A outside)"
rm -rf rel-storage

# ---------------------------------------------------------------- (b) --dry-run

snapshot site b-before.snap
runs_before=$(run_count site)
persist_cmd b_dry deploy rel-v2 --root site --id v2 --dry-run
expect_rc 0 "(b) deploy --dry-run"
snapshot site b-after.snap
check "(b) --dry-run: the site is unchanged" same_snapshot b-before.snap b-after.snap
check "(b) --dry-run: no run was recorded" test "$(run_count site)" -eq "$runs_before"
check "(b) --dry-run says nothing changed" has b_dry.out "nothing changed"
check "(b) --dry-run prints a subsequent plan" has b_dry.out "subsequent deploy of release v2"
check "(b) --dry-run prints the import" has b_dry.out "import $WORK/rel-v2 -> releases/v2"
check "(b) --dry-run prints the stash of the shipped uploads" has b_dry.out "remove releases/v2/public/uploads"
check "(b) --dry-run prints the link" \
  has b_dry.out "symlink releases/v2/public/uploads -> ../../../shared/public/uploads"
check "(b) --dry-run prints the switch" has b_dry.out "symlink current -> releases/v2"
check "(b) --dry-run prints the classification" \
  grep -qE '^USER +public/uploads/ ' b_dry.out
check "(b) --dry-run reports what the vendor shipped in uploads" \
  has b_dry.out "note: the release ships public/uploads (1 file, 15 bytes)"
persist_cmd b_dry_json deploy rel-v2 --root site --id v2 --dry-run --json
expect_rc 0 "(b) deploy --dry-run --json"
check "(b) --dry-run --json parses and classifies public/uploads as USER" json_check b_dry_json.out '
  (.paths | map({key: .path, value: .class}) | from_entries) as $cls
  | $cls["public/uploads"] == "USER"'
snapshot site b-after.snap
check "(b) --dry-run --json: the site is unchanged" same_snapshot b-before.snap b-after.snap

# ---------------------------------------------------------------- (c) classify

persist_cmd c_table classify rel-v1
expect_rc 0 "(c) classify rel-v1"
# class_of TABLE PATH: the class the table gives PATH (directories end in /).
class_of() {
  awk -v p="$2" '$2 == p { print $1 }' "$1"
}
check "(c) public/templates/ is APP (not RUNTIME by public/*temp*/)" \
  test "$(class_of c_table.out public/templates/)" = APP
check "(c) public/templates/ shows the overruled pattern" \
  grep -qE '^APP +public/templates/ .*overrules public/\*temp\*/' c_table.out
check "(c) public/uploads/ is USER" test "$(class_of c_table.out public/uploads/)" = USER
check "(c) public/qrcodes/ is RUNTIME" test "$(class_of c_table.out public/qrcodes/)" = RUNTIME
check "(c) public/css/ is APP" test "$(class_of c_table.out public/css/)" = APP
check "(c) storage/ is SHARED" test "$(class_of c_table.out storage/)" = SHARED
check "(c) bootstrap/cache/ is SHARED" test "$(class_of c_table.out bootstrap/cache/)" = SHARED
check "(c) vendor/ is APP" test "$(class_of c_table.out vendor/)" = APP
persist_cmd c_json classify rel-v1 --json
expect_rc 0 "(c) classify rel-v1 --json"
check "(c) classify --json parses, with a class and a rule for every path" json_check c_json.out '
  .paths as $rows
  | ($rows | map({key: .path, value: .class}) | from_entries) as $cls
  | ($rows | all(.rule | type == "string" and length > 0))
    and $cls["public/templates"] == "APP"
    and $cls["public/uploads"] == "USER"
    and $cls["public/qrcodes"] == "RUNTIME"
    and $cls["storage"] == "SHARED" and $cls[".env.example"] == "APP"
    and ([$rows[] | select(.path == "public/templates")][0].conflict // "" | contains("*temp*"))'
persist_cmd c_missing classify no-such-app
expect_rc 2 "(c) classify of a missing directory"
check "(c) classify of a missing directory names it" has c_missing.err "no-such-app"

# ---------------------------------------------------------------- (d) interrupted

rm -rf site-k
cp -a site site-k
snapshot site-k d-before.snap
run_quiet d_killed.out d_killed.err strace -f -o /dev/null -e trace=renameat2 \
  -e inject=renameat2:signal=KILL:when=3 "$PERSIST" deploy rel-v2 --root site-k --id v2
check "(d) the deploy was killed at its 3rd renameat2 (exit 137, got $rc)" test "$rc" -eq 137 ||
  show_file d_killed.err
snapshot site-k d-killed.snap
check "(d) the kill left the site half changed (else this proves nothing)" \
  differs d-before.snap d-killed.snap
for cmd in "deploy rel-v2 --id v2b" "switch v1" "rollback" "undo"; do
  # shellcheck disable=SC2086
  persist_cmd d_refused $cmd --root site-k
  expect_rc 3 "(d) persist $cmd while a deploy is interrupted"
  check "(d) persist $cmd: stderr says to run persist recover" has d_refused.err "persist recover"
done
snapshot site-k d-after-refusals.snap
check "(d) the refused commands touched nothing" same_snapshot d-killed.snap d-after-refusals.snap
persist_cmd d_verify verify --root site-k
expect_rc 1 "(d) verify while a deploy is interrupted"
check "(d) verify names the interrupted run and persist recover" has d_verify.out "persist recover"
persist_cmd d_recover recover --root site-k
expect_rc 0 "(d) recover"
snapshot site-k d-recovered.snap
check "(d) recover restores the site exactly" same_snapshot d-before.snap d-recovered.snap
persist_cmd d_again deploy rel-v2 --root site-k --id v2
expect_rc 0 "(d) the deploy again after recover"
rm -rf site-k

# ---------------------------------------------------------------- (e) deploy, rollback, switch, undo

mkdir site-e
snapshot site-e e0.snap
persist_cmd e_v1 deploy rel-v1 --root site-e --id v1
expect_rc 0 "(e) the first deploy"
check "(e) it says first deploy" has e_v1.out "first deploy"
check "(e) current -> releases/v1" test "$(link_of site-e/current)" = releases/v1
check "(e) releases/v1/storage -> ../../shared/storage" \
  test "$(link_of site-e/releases/v1/storage)" = ../../shared/storage
check "(e) releases/v1/.env -> ../../shared/.env" test "$(link_of site-e/releases/v1/.env)" = ../../shared/.env
check "(e) shared/.env was seeded from .env.example" cmp -s site-e/shared/.env rel-v1/.env.example
check "(e) shared/.env is 0600" test "$(stat -c %a site-e/shared/.env)" = 600
check "(e) the demo upload was kept in shared/" cmp -s site-e/shared/public/uploads/demo/avatar.png \
  rel-v1/public/uploads/demo/avatar.png
check "(e) public/templates stayed in the release" test -d site-e/releases/v1/public/templates -a \
  ! -L site-e/releases/v1/public/templates
check "(e) the history has a line" grep -q "deploy v1 (first)" site-e/shared/.deployment-history
# The site in use: a user upload, a generated QR code, a real .env.
printf 'user photo\n' >site-e/shared/public/uploads/user-1.jpg
printf 'qr\n' >site-e/shared/public/qrcodes/order-1.png
printf 'APP_KEY=base64:c2VjcmV0\n' >site-e/shared/.env
snapshot site-e e1.snap

persist_cmd e_v2 deploy rel-v2 --root site-e --id v2
expect_rc 0 "(e) the second deploy"
check "(e) it says subsequent deploy" has e_v2.out "subsequent deploy"
check "(e) current -> releases/v2" test "$(link_of site-e/current)" = releases/v2
check "(e) v2's app code is live" grep -q v2 site-e/current/app/Http/Controllers/HomeController.php
check "(e) the user upload is intact" test "$(cat site-e/shared/public/uploads/user-1.jpg)" = "user photo"
check "(e) the v1 demo upload was not overwritten by v2's" \
  test "$(cat site-e/shared/public/uploads/demo/avatar.png)" = "demo avatar v1"
check "(e) .env was not touched" test "$(cat site-e/shared/.env)" = "APP_KEY=base64:c2VjcmV0"
check "(e) releases/v2/public/uploads is the link" \
  test "$(link_of site-e/releases/v2/public/uploads)" = ../../../shared/public/uploads
snapshot site-e e2.snap

persist_cmd e_rollback rollback --root site-e
expect_rc 0 "(e) rollback"
check "(e) rollback: current -> releases/v1" test "$(link_of site-e/current)" = releases/v1
check "(e) rollback: the history has a line" grep -q "rollback to v1 from v2" site-e/shared/.deployment-history
snapshot site-e e3.snap
check "(e) rollback kept every user file" \
  same_snapshot <(grep ' ./shared/public/' e2.snap) <(grep ' ./shared/public/' e3.snap)

persist_cmd e_switch switch v2 --root site-e
expect_rc 0 "(e) switch v2"
check "(e) switch: current -> releases/v2" test "$(link_of site-e/current)" = releases/v2
persist_cmd e_switch_again switch v2 --root site-e
expect_rc 0 "(e) switch to the live release again"
check "(e) it says there is nothing to do" has e_switch_again.out "nothing to do"
persist_cmd e_switch_bad switch v9 --root site-e
expect_rc 2 "(e) switch to a release that does not exist"
check "(e) it names v9" has e_switch_bad.err v9

persist_cmd e_undo1 undo --root site-e
expect_rc 0 "(e) undo of the switch"
snapshot site-e e-undo1.snap
check "(e) undo of the switch restores the site after the rollback exactly" \
  same_snapshot e3.snap e-undo1.snap
persist_cmd e_undo2 undo --root site-e
expect_rc 0 "(e) undo of the rollback"
snapshot site-e e-undo2.snap
check "(e) undo of the rollback restores the site after the second deploy exactly" \
  same_snapshot e2.snap e-undo2.snap
persist_cmd e_undo3 undo --root site-e
expect_rc 0 "(e) undo of the second deploy"
snapshot site-e e-undo3.snap
check "(e) undo of the second deploy restores the site as the user left it exactly" \
  same_snapshot e1.snap e-undo3.snap
check "(e) releases/v2 is gone after the undo" test ! -e site-e/releases/v2

# --force deploys what is not an app, an empty directory too.
mkdir site-force
persist_cmd e_force deploy empty-src --root site-force --id empty --force
expect_rc 0 "(e) deploy --force of an empty SRC"
check "(e) --force: releases/empty is there, with no file of its own" test -d site-force/releases/empty -a \
  -z "$(find site-force/releases/empty ! -type d ! -type l)"
check "(e) --force: current -> releases/empty" test "$(link_of site-force/current)" = releases/empty
rm -rf site-force

# ---------------------------------------------------------------- (f) verify

mkdir site-f
persist_cmd f_deploy deploy rel-v1 --root site-f --id v1
expect_rc 0 "(f) a fresh deploy"
persist_cmd f_ok verify --root site-f
expect_rc 0 "(f) verify of a fresh deploy"
check "(f) it says the site is healthy" has f_ok.out "the site is healthy"
persist_cmd f_ok_json verify --root site-f --json
expect_rc 0 "(f) verify --json of a fresh deploy"
check "(f) verify --json parses and says healthy" \
  json_check f_ok_json.out '.healthy == true and .problems == []'

chmod 644 site-f/shared/.env
persist_cmd f_env verify --root site-f
expect_rc 1 "(f) verify with shared/.env 0644"
check "(f) it names shared/.env" has f_env.out "problem: shared/.env"
check "(f) it gives the fix" has f_env.out "chmod o-rwx shared/.env"
persist_cmd f_env_json verify --root site-f --json
expect_rc 1 "(f) verify --json with shared/.env 0644"
check "(f) verify --json names shared/.env" \
  json_check f_env_json.out '.healthy == false and [.problems[].path] == ["shared/.env"]'
chmod 600 site-f/shared/.env
persist_cmd f_ok2 verify --root site-f
expect_rc 0 "(f) verify after chmod 600"

rm site-f/releases/v1/public/uploads
mkdir site-f/releases/v1/public/uploads
persist_cmd f_link verify --root site-f
expect_rc 1 "(f) verify with a directory where the uploads link belongs"
check "(f) it names releases/v1/public/uploads" has f_link.out "problem: releases/v1/public/uploads"
check "(f) its fix names the link target" has f_link.out "../../../shared/public/uploads"

finish
