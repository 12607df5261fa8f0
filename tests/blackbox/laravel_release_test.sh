#!/usr/bin/env bash
# A realistic Laravel site through the real binary: its vendor/ holds the
# real PHP files of Debian's php-laravel-framework (/usr/share/php/Illuminate,
# over a thousand files), beside app/, public/ with demo uploads, qrcodes/,
# templates/ and invoices/, storage/, bootstrap/cache/ and .env.example.
#
# The site lives: a first deploy (from the vendor's zip, documentation/ beside
# the app, as CodeCanyon delivers it), users upload files and the app
# generates an invoice (through current/, as PHP would), two vendor updates
# (v2, a full release, changes vendor files and the demo uploads; v3, an
# update package, adds a file), a rollback, then an undo of every run in
# reverse order. Then v1 installed in place in a public_html, adopted
# (compared with the vendor's zip), v2 deployed on top, both undone. After each step every byte of user
# data is checked (SHA-256 of each user file in shared/), and each undo must
# restore the site's snapshot exactly (DESIGN.md promise 7).
#
# usage: laravel_release_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# Needs php-laravel-framework (tools/setup installs it): without it the test
# fails, never skips.
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"

ILLUMINATE=/usr/share/php/Illuminate
if [[ ! -f "$ILLUMINATE/Foundation/Application.php" ]]; then
  die "$ILLUMINATE/Foundation/Application.php is missing: the Debian package php-laravel-framework is not installed; run tools/setup, which installs it"
fi
framework_files=$(find "$ILLUMINATE" -type f | wc -l)
((framework_files > 500)) ||
  die "$ILLUMINATE holds only $framework_files files: reinstall php-laravel-framework (tools/setup)"

cd "$WORK" || die "cd $WORK"

# ---------------------------------------------------------------- helpers

link_of() {
  readlink "$1" 2>/dev/null || true
}

# fix_mtimes DIR STAMP: fixed past mtimes on every non-directory under DIR
# that is not under vendor/ (vendor keeps the package's own mtimes).
fix_mtimes() {
  local d=$1 stamp=$2 i=0 p
  while IFS= read -r -d '' p; do
    i=$((i + 1))
    touch -h -d "$stamp:$((i % 60)).$((100000000 + i * 3456789)) UTC" "$p"
  done < <(find "$d" -path "$d/vendor" -prune -o ! -type d -print0 | sort -z)
}

# make_laravel DIR: release v1 of "Invoicly", a CodeCanyon-style app.
make_laravel() {
  local d=$1
  mkdir -p "$d"/app/Http/Controllers "$d"/app/Models "$d"/config "$d"/routes \
    "$d"/resources/views "$d"/database/migrations \
    "$d"/vendor/laravel/framework/src "$d"/vendor/composer \
    "$d"/public/css "$d"/public/js "$d"/public/uploads/demo/avatars "$d"/public/qrcodes \
    "$d"/public/templates "$d"/public/invoices \
    "$d"/storage/app/public "$d"/storage/framework/cache "$d"/storage/framework/sessions \
    "$d"/storage/framework/views "$d"/storage/logs "$d"/bootstrap/cache
  cp -a "$ILLUMINATE" "$d"/vendor/laravel/framework/src/Illuminate
  printf '<?php\nrequire __DIR__."/composer/autoload_real.php";\n' >"$d"/vendor/autoload.php
  printf '<?php // composer autoloader for Invoicly\n' >"$d"/vendor/composer/autoload_real.php
  cat >"$d"/.env.example <<'ENV'
APP_NAME=Invoicly
APP_ENV=production
APP_KEY=
APP_URL=https://invoicly.example
DB_CONNECTION=mysql
DB_PASSWORD=
ENV
  printf '#!/usr/bin/env php\n<?php\nrequire __DIR__."/vendor/autoload.php";\n' >"$d"/artisan
  chmod 0755 "$d"/artisan
  printf '{"name": "codecanyon/invoicly", "version": "1.0.0"}\n' >"$d"/composer.json
  printf '<?php\nnamespace App\\Http\\Controllers;\nclass InvoiceController {} // v1\n' \
    >"$d"/app/Http/Controllers/InvoiceController.php
  printf '<?php\nnamespace App\\Models;\nclass User {}\n' >"$d"/app/Models/User.php
  printf '<?php return ["name" => env("APP_NAME")];\n' >"$d"/config/app.php
  printf '<?php Route::get("/", fn () => view("welcome"));\n' >"$d"/routes/web.php
  printf '<h1>Invoicly</h1>\n' >"$d"/resources/views/welcome.blade.php
  printf '<?php // create_invoices_table\n' >"$d"/database/migrations/2024_01_01_000000_create_invoices_table.php
  printf '<?php\nrequire __DIR__."/../vendor/autoload.php";\n' >"$d"/public/index.php
  printf 'body{font-family:sans-serif}\n' >"$d"/public/css/app.css
  printf 'console.log("invoicly v1");\n' >"$d"/public/js/app.js
  printf '<html><body>{{ invoice }} v1</body></html>\n' >"$d"/public/templates/invoice.html
  head -c 20000 "$ILLUMINATE/Support/Str.php" >"$d"/public/uploads/demo/banner.jpg
  printf 'demo avatar of the v1 package\n' >"$d"/public/uploads/demo/avatars/jane.png
  printf '' >"$d"/public/qrcodes/.gitkeep
  printf '' >"$d"/public/invoices/.gitkeep
  printf '*\n!.gitignore\n' >"$d"/storage/logs/.gitignore
  printf '*\n!.gitignore\n' >"$d"/storage/framework/views/.gitignore
  printf '*\n!.gitignore\n' >"$d"/bootstrap/cache/.gitignore
  printf '<?php\n$app = new Illuminate\\Foundation\\Application(dirname(__DIR__));\n' \
    >"$d"/bootstrap/app.php
  fix_mtimes "$d" "2024-06-01 10:00"
}

# user_manifest OUT: "sha256  path" of every user file in the site's
# shared/ (uploads, generated invoices and QR codes, logs, .env), sorted.
# Persist's own exports (.deployment-history, the helper scripts) are not
# user data.
user_manifest() {
  (
    cd site/shared || exit 1
    find .env public storage -type f -print0 | sort -z | xargs -0r sha256sum
  ) >"$1" || die "user_manifest: cannot read site/shared"
}

# user_data_intact WHEN: the user files in shared/ are byte for byte those
# the users wrote.
user_data_intact() {
  user_manifest "now.manifest"
  same_snapshot user.manifest now.manifest
}

# same_tree A B: A and B hold the same files with the same content.
same_tree() {
  diff -r --no-dereference "$1" "$2" >tree.diff 2>&1 && return 0
  head -n 20 tree.diff >&2
  return 1
}

# ---------------------------------------------------------------- releases

t0=$SECONDS
make_laravel rel-v1

# v2: the vendor's update: framework files changed and removed, app code
# changed, new demo uploads and a changed demo banner.
cp -a rel-v1 rel-v2
fw=rel-v2/vendor/laravel/framework/src/Illuminate
printf '\n// patched in Invoicly 2.0\n' >>"$fw"/Foundation/Application.php
printf '\n// patched in Invoicly 2.0\n' >>"$fw"/Support/Str.php
printf '\n// patched in Invoicly 2.0\n' >>"$fw"/Routing/Router.php
rm "$fw"/Support/Js.php
printf '<?php\nnamespace App\\Http\\Controllers;\nclass InvoiceController {} // v2\n' \
  >rel-v2/app/Http/Controllers/InvoiceController.php
printf '{"name": "codecanyon/invoicly", "version": "2.0.0"}\n' >rel-v2/composer.json
head -c 30000 "$ILLUMINATE/Routing/Router.php" >rel-v2/public/uploads/demo/banner.jpg
printf 'demo avatar of the v2 package\n' >rel-v2/public/uploads/demo/avatars/jane.png
printf 'a new demo avatar in v2\n' >rel-v2/public/uploads/demo/avatars/john.png
fix_mtimes rel-v2 "2024-07-01 10:00"
touch -d "2024-07-01 10:00 UTC" "$fw"/Foundation/Application.php "$fw"/Support/Str.php \
  "$fw"/Routing/Router.php

# v3: adds a file.
cp -a rel-v2 rel-v3
fw3=rel-v3/vendor/laravel/framework/src/Illuminate
printf '<?php\nnamespace Illuminate\\Support;\nclass InvoiclyHelper {}\n' >"$fw3"/Support/InvoiclyHelper.php
touch -d "2024-08-01 10:00 UTC" "$fw3"/Support/InvoiclyHelper.php
# The vendor's zip of v1, and v3 as the vendor's update package over v2.
mkdir -p download/documentation
printf '<h1>Invoicly: installation</h1>\n' >download/documentation/index.html
cp -a rel-v1 download/invoicly
(cd download && zip -qry ../invoicly-v1.zip documentation invoicly) || die "zip of v1 failed"
mkdir -p update-v3/vendor/laravel/framework/src/Illuminate/Support
cp -a "$fw3"/Support/InvoiclyHelper.php update-v3/vendor/laravel/framework/src/Illuminate/Support/
zip -qry invoicly-update-v3.zip update-v3 || die "zip of the v3 update failed"
echo "three releases of $(find rel-v1 -type f | wc -l) files each built in $((SECONDS - t0))s"

# ---------------------------------------------------------------- classify

persist_cmd classify classify rel-v1 --json
expect_rc 0 "classify the Laravel release"
check "classify: uploads USER, invoices and qrcodes RUNTIME, templates and vendor APP" json_check classify.out '
  (.paths | map({key: .path, value: .class}) | from_entries) as $cls
  | {"public/uploads": "USER", "public/invoices": "RUNTIME", "public/qrcodes": "RUNTIME",
     "public/templates": "APP", "vendor": "APP", "storage": "SHARED",
     "bootstrap/cache": "SHARED", "public/css": "APP"}
  | to_entries | all($cls[.key] == .value)'

# ---------------------------------------------------------------- first deploy

mkdir site
snapshot site s0.snap
t=$SECONDS
persist_cmd d1 deploy "$WORK/invoicly-v1.zip" --root site --id r1
expect_rc 0 "the first deploy of v1, from the vendor's zip"
check "the deploy names the app it found in the zip" grep -q 'deploying .*invoicly-v1.zip: invoicly' d1.out
echo "first deploy: $((SECONDS - t))s"
check "current -> releases/r1" test "$(link_of site/current)" = releases/r1
check "the release's vendor/ is byte for byte the package's" \
  same_tree rel-v1/vendor site/releases/r1/vendor
check "the release's app/ is the vendor's" same_tree rel-v1/app site/releases/r1/app
check "public/invoices is shared (RUNTIME): a link in the release" \
  test "$(link_of site/releases/r1/public/invoices)" = ../../../shared/public/invoices
check "shared/public/invoices is a directory" test -d site/shared/public/invoices -a ! -L site/shared/public/invoices
check "public/uploads is shared: a link in the release" \
  test "$(link_of site/releases/r1/public/uploads)" = ../../../shared/public/uploads
check "public/qrcodes is shared: a link in the release" \
  test "$(link_of site/releases/r1/public/qrcodes)" = ../../../shared/public/qrcodes
check "storage is shared" test "$(link_of site/releases/r1/storage)" = ../../shared/storage
check "bootstrap/cache is shared" \
  test "$(link_of site/releases/r1/bootstrap/cache)" = ../../../shared/bootstrap/cache
check "public/templates stays app code in the release" \
  test -d site/releases/r1/public/templates -a ! -L site/releases/r1/public/templates
check "the demo uploads of v1 were kept whole in shared/" \
  same_tree rel-v1/public/uploads site/shared/public/uploads
check "shared/.env was seeded from .env.example, mode 0600" \
  test "$(stat -c %a site/shared/.env)" = 600 -a "$(cat site/shared/.env)" = "$(cat rel-v1/.env.example)"
persist_cmd verify1 verify --root site
expect_rc 0 "verify after the first deploy"
snapshot site s1.snap

# ---------------------------------------------------------------- users

# What the live app writes, through current/ as PHP would.
printf 'APP_NAME=Invoicly\nAPP_KEY=base64:bXkgc2VjcmV0IGtleQ==\nDB_PASSWORD=hunter2\n' >site/current/.env
mkdir -p site/current/public/uploads/users/42 site/current/public/uploads/users/43
head -c 65536 /dev/urandom >site/current/public/uploads/users/42/passport.jpg
head -c 12345 /dev/urandom >site/current/public/uploads/users/43/logo.png
printf 'a user replaced the demo banner\n' >site/current/public/uploads/demo/banner.jpg
head -c 40000 /dev/urandom >site/current/public/invoices/INV-2024-0001.pdf
printf 'qr of INV-2024-0001\n' >site/current/public/qrcodes/INV-2024-0001.png
printf '[2024-09-01] production.INFO: invoice INV-2024-0001 sent\n' >site/current/storage/logs/laravel.log
printf 'a user file in storage/app/public\n' >site/current/storage/app/public/contract.txt
check "the writes through current/ landed in shared/" \
  test -f site/shared/public/invoices/INV-2024-0001.pdf -a -f site/shared/public/uploads/users/42/passport.jpg
user_manifest user.manifest
echo "user data: $(wc -l <user.manifest) files in shared/"
snapshot site s1u.snap

# ---------------------------------------------------------------- v2, v3

t=$SECONDS
persist_cmd d2 deploy rel-v2 --root site --id r2
expect_rc 0 "the vendor update to v2"
echo "second deploy: $((SECONDS - t))s"
check "v2: every byte of user data is intact" user_data_intact
check "v2: current -> releases/r2" test "$(link_of site/current)" = releases/r2
check "v2: the release's vendor/ is v2's" same_tree rel-v2/vendor site/releases/r2/vendor
check "v2: the removed framework file is gone from the live release" \
  test ! -e site/current/vendor/laravel/framework/src/Illuminate/Support/Js.php
check "v2: the v1 release still has it (rollback possible)" \
  test -f site/releases/r1/vendor/laravel/framework/src/Illuminate/Support/Js.php
check "v2: the demo banner the user replaced was not overwritten" \
  test "$(cat site/shared/public/uploads/demo/banner.jpg)" = "a user replaced the demo banner"
check "v2: v2's new demo avatar was not merged in (no --merge-new)" \
  test ! -e site/shared/public/uploads/demo/avatars/john.png
check "v2: the deploy reports what the vendor shipped in uploads" grep -q "the release ships public/uploads" d2.out
check "v2: public/invoices links to shared" \
  test "$(link_of site/releases/r2/public/invoices)" = ../../../shared/public/invoices
persist_cmd verify2 verify --root site
expect_rc 0 "verify after v2"
snapshot site s2.snap

t=$SECONDS
persist_cmd d3 deploy --update "$WORK/invoicly-update-v3.zip" --root site --id r3 --dedupe hardlink
expect_rc 0 "the vendor update to v3, as an update package"
echo "third deploy: $((SECONDS - t))s"
check "v3: every byte of user data is intact" user_data_intact
check "v3: the added framework file is live" \
  test -f site/current/vendor/laravel/framework/src/Illuminate/Support/InvoiclyHelper.php
check "v3: the release's vendor/ is v3's" same_tree rel-v3/vendor site/releases/r3/vendor
check "v3: an unchanged framework file is v2's own (hard-linked)" test \
  "$(stat -c %i site/releases/r2/vendor/laravel/framework/src/Illuminate/Support/Str.php)" = \
  "$(stat -c %i site/releases/r3/vendor/laravel/framework/src/Illuminate/Support/Str.php)"
persist_cmd diff3 diff r2 r3 --root site
expect_rc 0 "persist diff r2 r3"
check "v3: persist diff names the one file the package added" \
  test "$(grep -c . diff3.out)" = 2 -a "$(head -n 1 diff3.out | tr -s ' ')" = \
  "added vendor/laravel/framework/src/Illuminate/Support/InvoiclyHelper.php"
snapshot site s3.snap

# ---------------------------------------------------------------- rollback

persist_cmd rb rollback --root site
expect_rc 0 "rollback"
check "rollback: current -> releases/r2" test "$(link_of site/current)" = releases/r2
check "rollback: every byte of user data is intact" user_data_intact
check "rollback: the live vendor/ is v2's again" same_tree rel-v2/vendor site/current/vendor/
persist_cmd verify4 verify --root site
expect_rc 0 "verify after the rollback"
snapshot site s4.snap

# ---------------------------------------------------------------- undo

t=$SECONDS
persist_cmd u1 undo --root site
expect_rc 0 "undo of the rollback"
snapshot site u1.snap
check "undo of the rollback restores the site exactly" same_snapshot s3.snap u1.snap
check "after undo of the rollback: every byte of user data is intact" user_data_intact

persist_cmd u2 undo --root site
expect_rc 0 "undo of v3"
snapshot site u2.snap
check "undo of v3 restores the site exactly" same_snapshot s2.snap u2.snap
check "after undo of v3: every byte of user data is intact" user_data_intact

persist_cmd u3 undo --root site
expect_rc 0 "undo of v2"
snapshot site u3.snap
check "undo of v2 restores the site exactly" same_snapshot s1u.snap u3.snap
check "after undo of v2: every byte of user data is intact" user_data_intact

# The first deploy moved the demo content into shared/, where users have
# written since: undoing it restores the empty site exactly, and what the
# users wrote is not lost but kept in .persist/rescued/.
persist_cmd u4 undo --root site
expect_rc 0 "undo of the first deploy"
snapshot site u4.snap
check "undo of the first deploy restores the empty site exactly" same_snapshot s0.snap u4.snap
find site/.persist/rescued -type f -print0 2>/dev/null | xargs -0r sha256sum >rescued.manifest
# rescued_has SHA REL: a file with digest SHA is under .persist/rescued/.
rescued_has() {
  grep -q "^$1 " rescued.manifest && return 0
  echo "    $2 (sha256 $1) is in neither shared/ nor .persist/rescued/" >&2
  return 1
}
while read -r sha rel; do
  case $rel in
    public/uploads/demo/avatars/jane.png | public/invoices/.gitkeep | public/qrcodes/.gitkeep | \
      storage/logs/.gitignore | storage/framework/views/.gitignore)
      continue ;;  # the vendor's own files, which the undone import takes back
  esac
  check "after undo of the first deploy: the user's $rel is kept in .persist/rescued/" rescued_has "$sha" "$rel"
done <user.manifest
echo "four undos: $((SECONDS - t))s"

# ---------------------------------------------------------------- adopt

# The same v1 unpacked in place into a shared host's public_html, with an
# .htaccess sending requests on to public/, a .env and users' files: adopted,
# the vendor's zip compared with it, v2 deployed on top, both undone.
t=$SECONDS
mkdir hosting
cp -a rel-v1 hosting/public_html
printf '<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteRule ^(.*)$ public/$1 [L]\n</IfModule>\n' \
  >hosting/public_html/.htaccess
printf 'APP_KEY=base64:in-place\n' >hosting/public_html/.env
chmod 0600 hosting/public_html/.env
printf 'an in-place user avatar\n' >hosting/public_html/public/uploads/user-7.png
printf 'INV-0042\n' >hosting/public_html/public/invoices/INV-0042.pdf
snapshot hosting h0.snap
(cd hosting/public_html/public && find -L . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >served0.txt
persist_cmd a0 adopt "$WORK/hosting/public_html" --vendor "$WORK/invoicly-v1.zip" --id v1
expect_rc 2 "adopt against the vendor's zip, with a file it never shipped"
check "the refusal names the .htaccess the host added" has a0.err "never shipped, in the app's code: .htaccess"
persist_cmd a1 adopt "$WORK/hosting/public_html" --vendor "$WORK/invoicly-v1.zip" \
  --adopt-unknown release --id v1
expect_rc 0 "adopt of Laravel installed in public_html, against the vendor's zip"
check "every other vendor file is as shipped (the users' files are data, not compared)" \
  has a1.out "0 modified in place, 1 never shipped, 0 missing"
(cd hosting/public_html && find -L . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >served1.txt
check "public_html serves the same files, byte for byte, as the app's public/ did" cmp -s served0.txt served1.txt
check "the user's avatar is in shared/" grep -q "in-place user avatar" hosting/shared/public/uploads/user-7.png
check "the vendor's framework is the release's" \
  test -f hosting/releases/v1/vendor/laravel/framework/src/Illuminate/Foundation/Application.php
persist_cmd a2 deploy "$WORK/rel-v2" --root hosting --id v2
expect_rc 0 "v2 deployed on top of the adopted site"
check "the user's avatar is still served" grep -q "in-place user avatar" hosting/public_html/uploads/user-7.png
persist_cmd a3 undo --root hosting
expect_rc 0 "undo of v2 on the adopted site"
persist_cmd a4 undo --root hosting
expect_rc 0 "undo of the adoption"
snapshot hosting h1.snap
check "undo of the adoption restores the install in place exactly" same_snapshot h0.snap h1.snap
echo "adoption, deploy and two undos: $((SECONDS - t))s"

finish
