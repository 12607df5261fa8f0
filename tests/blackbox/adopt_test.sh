#!/usr/bin/env bash
# persist adopt: an app installed in place made a persist site.
#
#  1. Shared hosting: the whole app in ~/public_html (artisan, public/, an
#     .htaccess sending requests on to public/), users' uploads, invoices,
#     a .env and storage/ files in it. adopt (the site: its parent) makes
#     public_html a link to current/public: every file the web server
#     served (public_html/public/X, reached through the .htaccess as X) is
#     the same bytes at public_html/X; every user byte is in shared/; the
#     owner of every file is kept; a normal deploy of the next version
#     works on top and keeps the users' data. Undo of that deploy, then of
#     the adoption: the home directory exactly as it was installed.
#  1b. The app beside a web root of its own (~/example.com, ~/public_html
#     holding its public files and the users' uploads, index.php requiring
#     ../example.com/vendor/autoload.php): adopt --web-root makes the web
#     root the release's public/ with index.php rewritten, and both
#     directories links; the same bytes are served, index.php runs (php)
#     and reaches the same app, the data is in shared/, a deploy works on
#     top, undo gives both directories back exactly. Refused: a web root
#     whose index.php does not name the app, an app whose own public/ holds
#     users' data.
#  2. A VPS directory served from its public/ (/var/www/example.com): the
#     site is the app's directory; public becomes a link to current/public
#     and serves the same files; undo gives the tree back exactly.
#     After an adoption, an in-place change is named by verify and captured:
#     persist diff names exactly the changed and added file.
#     The adopted release, pruned by later deploys, is rescued whole (with
#     a customisation the vendor never shipped) when its pruning run leaves
#     the undo window: never deleted.
#     With the vendor's zip of the installed version (--vendor): the install
#     is compared with it; a module the vendor never shipped stops the
#     adoption (exit 2, nothing touched) until --adopt-unknown release
#     (kept as code) or shared (kept as data: in shared/, linked, named in
#     the profile, linked again by the next deploy; undo exact); the report
#     names the customised, missing and unknown files, never the users'
#     data.
#     Run as root on a site another user owns: refused without --allow-root;
#     with it, what persist creates takes its parent's owner.
#  3. --dry-run prints the plan and changes nothing, no .persist/ made.
#  4. Refused (exit 2, nothing touched, no .persist/ made): the app
#     directory missing, a symlink, not a Laravel app (adopted with
#     --force), already adopted, inside the site's releases/, a persistent
#     path that is a symlink leading out of the app or a mount point (a
#     tmpfs, where the machine allows mounting one), a web root that is a
#     file, inside the app but not its public/, or beside it without an
#     index.php that requires the app.
#
# usage: adopt_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

# served_files DIR OUT: every file beneath DIR (followed through links), as
# "PATH SHA256" lines: what a web server serving DIR can send.
served_files() {
  (cd "$1" && find -L . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$2" ||
    die "listing the files served from $1 failed"
}


# ---------------------------------------------- 1. shared hosting, public_html

mkdir home
install_app home/public_html
# Files the web server's user owns, where this test may give them away.
other_owner=''
if chown 65534:65534 home/public_html/public/uploads/avatars/user-42.jpg home/public_html/artisan 2>/dev/null; then
  other_owner=65534:65534
else
  echo "note: chown is not permitted here; owners are not checked" >&2
fi
snapshot home home-before.snap
served_files home/public_html/public served-before.txt
cp -a home/public_html original-app
persist_cmd adopt1 adopt "$WORK/home/public_html" --id 1
expect_rc 0 "adopt of public_html"
check "the site is public_html's parent: it has the journal" test -d home/.persist
check "public_html is a link to current/public" test "$(readlink home/public_html)" = current/public
check "current points at the adopted release" test "$(readlink home/current)" = releases/1
served_files home/public_html served-after.txt
check "public_html serves, path for path, the bytes the app's public/ served" \
  cmp -s served-before.txt served-after.txt
check "the users' upload is in shared/" \
  cmp -s original-app/public/uploads/avatars/user-42.jpg home/shared/public/uploads/avatars/user-42.jpg
check "the invoice is in shared/" \
  cmp -s original-app/public/invoices/INV-0007.pdf home/shared/public/invoices/INV-0007.pdf
check "the .env is in shared/, byte for byte" cmp -s original-app/.env home/shared/.env
check "the .env is not world-readable" test "$(stat -c %a home/shared/.env)" = 600
check "the log is in shared/" cmp -s original-app/storage/logs/laravel.log home/shared/storage/logs/laravel.log
check "the release's storage is its link into shared/" \
  test "$(readlink home/releases/1/storage)" = ../../shared/storage
check "the app's code is the release's, renamed: artisan is there" cmp -s original-app/artisan home/releases/1/artisan
if [[ -n "$other_owner" ]]; then
  check "an upload owned by another user keeps its owner" \
    test "$(stat -c %u:%g home/shared/public/uploads/avatars/user-42.jpg)" = "$other_owner"
  check "a code file owned by another user keeps its owner" \
    test "$(stat -c %u:%g home/releases/1/artisan)" = "$other_owner"
fi
check "adopt says how to take it back" has adopt1.out "persist undo"
persist_cmd verify1 verify --root home
expect_rc 0 "verify of the adopted site"
check "verify checks the adopted release against a manifest" has verify1.out "checked against its manifest"

# The next vendor version is one ordinary deploy.
sample_release v2 laravel
printf '<?php // v2\n' >v2/app/version.php
persist_cmd deploy2 deploy "$WORK/v2" --root home --id 2
expect_rc 0 "a deploy on top of the adopted site"
check "it is a subsequent deploy" has deploy2.out "subsequent deploy"
check "the users' upload is still served" \
  cmp -s original-app/public/uploads/avatars/user-42.jpg home/public_html/uploads/avatars/user-42.jpg
check "the .env is still the live one" cmp -s original-app/.env home/current/.env

persist_cmd undo-deploy undo --yes --root home
expect_rc 0 "undo of the deploy"
persist_cmd undo-adopt undo --yes --root home
expect_rc 0 "undo of the adoption"
snapshot home home-after.snap
check "undo puts the installed app back exactly" same_snapshot home-before.snap home-after.snap
check "public_html is a directory again" test -d home/public_html -a ! -L home/public_html

# ------------------------ 1b. the app beside a web root of its own

# ~/example.com holds the app; ~/public_html the public files it serves,
# copied there at install, with the users' uploads and invoices, an
# index.php rewritten to require the app through ../example.com/, and a
# cron job that names ~/example.com/artisan. The app's own public/ is the
# stale copy nobody serves.
mkdir beside
install_app beside/example.com
mkdir beside/public_html
cp -a beside/example.com/public/. beside/public_html/
rm -r beside/example.com/public/uploads beside/example.com/public/invoices
printf '<?php echo "autoloaded\\n";\n' >beside/example.com/vendor/autoload.php
printf '<?php return "the shop";\n' >beside/example.com/bootstrap/app.php
cat >beside/public_html/index.php <<'PHP'
<?php
require __DIR__.'/../example.com/vendor/autoload.php';
$app = require_once __DIR__.'/../example.com/bootstrap/app.php';
echo $app, "\n";
PHP
mkdir -p beside/example.com/storage/framework/views
snapshot beside beside-before.snap
served_files beside/public_html beside-served-before.txt
(cd beside/public_html && php index.php) >beside-php-before.txt 2>&1 ||
  die "the install's index.php does not run: $(cat beside-php-before.txt)"
persist_cmd beside-dry adopt "$WORK/beside/example.com" --web-root "$WORK/beside/public_html" \
  --dry-run
expect_rc 0 "adopt --dry-run of an app beside its web root"
check "the plan makes the web root the release's public/" \
  has beside-dry.out "move public_html -> releases/"
check "the plan names the rewrite of index.php" \
  has beside-dry.out 'public_html/index.php: 2 path(s) through "/../example.com/" now "/../"'
snapshot beside beside-after-dry.snap
check "the dry run changes nothing" same_snapshot beside-before.snap beside-after-dry.snap
persist_cmd beside-adopt adopt "$WORK/beside/example.com" --web-root "$WORK/beside/public_html" \
  --id 1
expect_rc 0 "adopt of an app beside its web root"
check "the site is the directory holding both" test -d beside/.persist
check "public_html is a link to current/public" \
  test "$(readlink beside/public_html)" = current/public
check "example.com is a link to current, for the cron job" \
  test "$(readlink beside/example.com)" = current
check "artisan is where the cron job looks for it" test -f beside/example.com/artisan
check "the app's own public/ is kept in the release" \
  test -f beside/releases/1/public.before-adopt/index.php
served_files beside/public_html beside-served-after.txt
check "public_html serves the same bytes, index.php aside" \
  same_text "served files" "$(grep -v ' \./index.php$' beside-served-after.txt)" \
  "$(grep -v ' \./index.php$' beside-served-before.txt)"
check "index.php requires the app as a release lays it out" \
  grep -qF "require __DIR__.'/../vendor/autoload.php';" beside/public_html/index.php
(cd beside/public_html && php index.php) >beside-php-after.txt 2>&1
check "index.php runs and reaches the same app" cmp -s beside-php-before.txt beside-php-after.txt ||
  show_file beside-php-after.txt
check "the users' upload is in shared/" \
  test -f beside/shared/public/uploads/avatars/user-42.jpg
check "the invoice is in shared/" test -f beside/shared/public/invoices/INV-0007.pdf
persist_cmd beside-verify verify --root beside
expect_rc 0 "verify of the site adopted from beside its web root"
sample_release beside-v2 laravel
persist_cmd beside-deploy deploy "$WORK/beside-v2" --root beside --id 2
expect_rc 0 "the vendor's next release deployed on top"
check "the upload is still served" test -f beside/public_html/uploads/avatars/user-42.jpg
persist_cmd beside-undo1 undo --root beside --yes
expect_rc 0 "undo of that deploy"
persist_cmd beside-undo2 undo --root beside --yes
expect_rc 0 "undo of the adoption"
snapshot beside beside-after-undo.snap
check "undo gives back both directories exactly" same_snapshot beside-before.snap beside-after-undo.snap

# Refused with nothing touched: a web root whose index.php does not name
# the app, and an app whose own public/ holds users' data.
mkdir -p other/public_html
install_app other/shop
cp -a other/shop/public/. other/public_html/
printf '<?php require __DIR__."/../vendor/autoload.php";\n' >other/public_html/index.php
snapshot other other-before.snap
persist_cmd other-index adopt "$WORK/other/shop" --web-root "$WORK/other/public_html"
expect_rc 2 "a web root whose index.php does not name the app"
check "it says what index.php lacks" has other-index.err 'requires the app through "/../shop/"'
printf '<?php require __DIR__."/../shop/vendor/autoload.php";\n' >other/public_html/index.php
snapshot other other-before.snap
persist_cmd other-data adopt "$WORK/other/shop" --web-root "$WORK/other/public_html"
expect_rc 2 "the app's own public/ holding users' uploads"
check "it names the uploads and where they belong" \
  has other-data.err "other/shop/public/invoices holds 1 file(s) of the site's data"
snapshot other other-after.snap
check "nothing changed" same_snapshot other-before.snap other-after.snap
check "no journal was made" test ! -e other/.persist

# ------------------------------------------------ 2. a VPS directory, public/

mkdir www
install_app www/example.com
snapshot www/example.com vps-before.snap
served_files www/example.com/public vps-served-before.txt
persist_cmd adopt2 adopt "$WORK/www/example.com" --id 1
expect_rc 0 "adopt of a VPS directory"
check "the site is the app's directory" test -d www/example.com/.persist
check "public is a link to current/public" test "$(readlink www/example.com/public)" = current/public
served_files www/example.com/public vps-served-after.txt
check "public serves the same bytes" cmp -s vps-served-before.txt vps-served-after.txt
check "nothing of the app is left beside the site's own names" \
  test "$(cd www/example.com && LC_ALL=C ls -A | tr '\n' ' ')" = ".persist current public releases shared "
persist_cmd undo2 undo --yes --root www/example.com
expect_rc 0 "undo of the VPS adoption"
snapshot www/example.com vps-after.snap
check "undo gives the VPS directory back exactly" same_snapshot vps-before.snap vps-after.snap

# ------------------------------------- an in-place change, after adoption

mkdir cap
install_app cap/public_html
persist_cmd adopt-cap adopt "$WORK/cap/public_html" --id 1
expect_rc 0 "adopt before an in-place change"
printf '<?php // patched from the admin panel\n' >cap/current/app/Http/Controllers/HomeController.php
printf '<?php // a module the admin panel installed\n' >cap/current/app/Module.php
persist_cmd verify-drift verify --root cap
expect_rc 1 "verify after the in-place change"
check "verify names the changed file" has verify-drift.out "app/Http/Controllers/HomeController.php"
persist_cmd capture capture --root cap --id 2
expect_rc 0 "capture of the adopted release"
same_text "persist diff 1 2 names exactly the in-place change" "$(changes cap 1 2)" \
  "$(printf '%s\n' 'added app/Module.php' 'modified app/Http/Controllers/HomeController.php')" ||
  fail "persist diff 1 2 names exactly the in-place change"
persist_cmd verify-captured verify --root cap
expect_rc 0 "verify after the capture"

# ------------------------- the adopted release, pruned, is never deleted

# A customisation the vendor never shipped, in the app's code: pruning the
# adopted release and purging that run's stash must keep all of it.
mkdir pruned
install_app pruned/public_html
printf '%s\n' "<?php // the client's own report, written in place" >pruned/public_html/app/ClientReport.php
persist_cmd adopt-pruned adopt "$WORK/pruned/public_html" --id 1
expect_rc 0 "adopt of the install to prune"
for v in 2 3 4 5 6 7 8 9; do
  persist_cmd "prune-deploy-$v" deploy "$WORK/v2" --root pruned --id "v$v" --keep 2
  expect_rc 0 "deploy v$v over the adopted site"
done
check "the adopted release is pruned" test ! -e pruned/releases/1
kept=$(find pruned/.persist/rescued -path '*/releases/1/app/ClientReport.php' 2>/dev/null | head -1)
check "once its pruning run leaves the undo window, the adopted release is rescued whole" \
  test -n "$kept"
[[ -z "$kept" ]] || check "the client's file is kept byte for byte" \
  grep -q "the client's own report" "$kept"
[[ -z "$kept" ]] || check "so is the vendor's code it was installed with" \
  test -f "${kept%/app/ClientReport.php}/artisan"

# ------------------------------------------ against the vendor's original

# The vendor's zip of the installed version (Info-ZIP, the app in a folder
# beside its documentation), and the install: a file customised in place,
# a module the admin panel installed, a file deleted, users' uploads.
sample_release vendor-dl/shop laravel
mkdir -p vendor-dl/documentation
printf '<h1>Installation</h1>\n' >vendor-dl/documentation/index.html
(cd vendor-dl && zip -qry ../shop-1.0.zip shop documentation) || die "zip of the vendor's release failed"
mkdir ven
cp -a vendor-dl/shop ven/public_html
printf '<?php // customised for the client\n' >ven/public_html/app/Http/Controllers/HomeController.php
mkdir -p ven/public_html/app/Modules/Shop ven/public_html/public/uploads
printf '<?php // a module from the admin panel\n' >ven/public_html/app/Modules/Shop/Shop.php
printf 'user photo\n' >ven/public_html/public/uploads/user-1.jpg
mkdir -p ven/public_html/storage/framework/views
rm ven/public_html/public/css/app.css
snapshot ven ven-before.snap
persist_cmd ven-ask adopt "$WORK/ven/public_html" --vendor "$WORK/shop-1.0.zip"
expect_rc 2 "adopt --vendor with files the vendor never shipped"
check "it names the module the vendor never shipped" has ven-ask.err "app/Modules/"
check "it says how to go on" has ven-ask.err "--adopt-unknown release"
snapshot ven ven-after-ask.snap
check "nothing changed" same_snapshot ven-before.snap ven-after-ask.snap
check "no journal was made" test ! -e ven/.persist
persist_cmd ven-dry adopt "$WORK/ven/public_html" --vendor "$WORK/shop-1.0.zip" --adopt-unknown release \
  --dry-run
expect_rc 0 "adopt --vendor --dry-run"
check "the report counts the vendor's files" has ven-dry.out "1 modified in place, 1 never shipped, 1 missing"
check "the report names the customised file" \
  has ven-dry.out "modified in place (kept in the release): app/Http/Controllers/HomeController.php"
check "the report names the missing file" has ven-dry.out "the install lacks it: public/css/app.css"
check "the report gives the custom add line" has ven-dry.out "persist custom add app/Modules"
check "the users' uploads are data, not in the report" bash -c '! grep -qF user-1.jpg ven-dry.out'
persist_cmd ven-json adopt "$WORK/ven/public_html" --vendor "$WORK/shop-1.0.zip" \
  --adopt-unknown release --dry-run --json
expect_rc 0 "adopt --vendor --dry-run --json"
check "the JSON report lists the comparison path by path" same_text "vendor report" \
  "$(jq -c '.vendor | [.modified, .unknown, .missing]' ven-json.out)" \
  '[["app/Http/Controllers/HomeController.php"],["app/Modules/"],["public/css/app.css"]]'
check "the JSON plan moves the app into its release" \
  jq -e '.ops | index("move public_html -> releases/" + $id)' --arg id "$(jq -r .release ven-json.out)" \
  ven-json.out
persist_cmd ven-adopt adopt "$WORK/ven/public_html" --vendor "$WORK/shop-1.0.zip" --adopt-unknown release \
  --id 1
expect_rc 0 "adopt --vendor --adopt-unknown release"
check "the module stays in the release" test -f ven/releases/1/app/Modules/Shop/Shop.php
check "the customisation stays in the release" grep -q "customised for the client" \
  ven/releases/1/app/Http/Controllers/HomeController.php
persist_cmd ven-again adopt "$WORK/ven/public_html" --vendor "$WORK/shop-1.0.zip" --adopt-unknown shared
expect_rc 2 "adopting the adopted site again"
persist_cmd ven-undo undo --root ven --yes
expect_rc 0 "undo of the adoption that kept the module as code"
snapshot ven ven-after-undo.snap
check "the install is back as it was" same_snapshot ven-before.snap ven-after-undo.snap

# The module kept as the site's data instead: moved into shared/, linked,
# and named in the profile, so that the vendor's next release (which does
# not ship it either) gets it linked too.
persist_cmd ven-shared adopt "$WORK/ven/public_html" --vendor "$WORK/shop-1.0.zip" \
  --adopt-unknown shared --id 1
expect_rc 0 "adopt --vendor --adopt-unknown shared"
check "the report says the module is kept as data" \
  has ven-shared.out "never shipped by the vendor: app/Modules/ (kept as data: moved into shared/"
check "the module is in shared/" grep -q "a module from the admin panel" \
  ven/shared/app/Modules/Shop/Shop.php
check "the release links it" test "$(readlink ven/releases/1/app/Modules)" = ../../../shared/app/Modules
check "the profile names it as custom" grep -qx 'custom: "app/Modules/"' ven/shared/.persistence-config
check "the customised vendor file stays in the release, as code" \
  test -f ven/releases/1/app/Http/Controllers/HomeController.php -a \
  ! -L ven/releases/1/app/Http/Controllers/HomeController.php
persist_cmd ven-verify verify --root ven
expect_rc 0 "verify after adopting with --adopt-unknown shared"
persist_cmd ven-deploy deploy "$WORK/shop-1.0.zip" --root ven --id 2
expect_rc 0 "the vendor's release deployed on top"
check "the next release links the module too" grep -q "a module from the admin panel" \
  ven/current/app/Modules/Shop/Shop.php
persist_cmd ven-undo2 undo --root ven --yes
expect_rc 0 "undo of that deploy"
persist_cmd ven-undo3 undo --root ven --yes
expect_rc 0 "undo of the adoption"
snapshot ven ven-after-undo-shared.snap
check "the install is back exactly, module in place, no profile left" \
  same_snapshot ven-before.snap ven-after-undo-shared.snap
persist_cmd ven-novendor adopt "$WORK/ven/public_html" --adopt-unknown release
expect_rc 2 "--adopt-unknown without --vendor"
persist_cmd ven-badword adopt "$WORK/ven/public_html" --vendor "$WORK/shop-1.0.zip" --adopt-unknown data
expect_rc 2 "--adopt-unknown data"
check "it says the words it takes" has ven-badword.err "--adopt-unknown takes release or shared"

# ------------------------------------- a site another user owns, as root

mkdir owned
install_app owned/public_html
if [[ $(id -u) == 0 ]] && chown -R 65534:65534 owned 2>/dev/null; then
  snapshot owned owned-before.snap
  persist_cmd owned-refused adopt "$WORK/owned/public_html"
  expect_rc 2 "root adopting a site another user owns, without --allow-root"
  check "the message names the owner and --allow-root" has owned-refused.err "--allow-root"
  snapshot owned owned-after.snap
  check "nothing changed" same_snapshot owned-before.snap owned-after.snap
  persist_cmd owned-adopt adopt "$WORK/owned/public_html" --allow-root --id 1
  expect_rc 0 "root adopting it with --allow-root"
  for p in owned/releases owned/releases/1 owned/shared owned/shared/storage owned/current \
    owned/public_html owned/.persist; do
    check "$p takes its parent's owner" test "$(stat -c %u:%g "$p")" = 65534:65534
  done
else
  echo "SKIP: not root, or chown refused here: the ownership of an adopted site is not checked" >&2
fi

# --------------------------------------------------------------- 3. dry run

mkdir dry
install_app dry/public_html
snapshot dry dry-before.snap
persist_cmd dry adopt "$WORK/dry/public_html" --dry-run
expect_rc 0 "adopt --dry-run"
check "the plan moves the app into a release" has dry.out "move public_html -> releases/"
check "the plan moves the uploads into shared/" has dry.out "public/uploads -> shared/public/uploads"
snapshot dry dry-after.snap
check "the dry run changes nothing" same_snapshot dry-before.snap dry-after.snap
check "the dry run makes no journal" test ! -e dry/.persist

# ------------------------------------------------------------ 4. refusals

# refused NAME DIR WHAT MESSAGE ARGS...: `persist adopt ARGS` exits 2 saying
# MESSAGE; DIR is exactly as before and holds no new .persist/.
refused() {
  local name=$1 dir=$2 what=$3 message=$4 had_journal=no
  shift 4
  [[ -e "$dir/.persist" ]] && had_journal=yes
  snapshot "$dir" "$name-before.snap"
  persist_cmd "$name" adopt "$@"
  expect_rc 2 "$what"
  check "$what: the message says: $message" has "$name.err" "$message"
  snapshot "$dir" "$name-after.snap"
  check "$what: nothing changed" same_snapshot "$name-before.snap" "$name-after.snap"
  [[ $had_journal == yes ]] || check "$what: no journal was made" test ! -e "$dir/.persist"
}

mkdir bad
refused missing bad "a missing app directory" "cannot be found" "$WORK/bad/public_html"
install_app bad/real
ln -s real bad/public_html
refused symlink bad "an app directory that is a symlink" "is a symlink" "$WORK/bad/public_html"
rm bad/public_html
mkdir -p bad/notes/public_html
printf 'my notes\n' >bad/notes/public_html/todo.txt
refused not-laravel bad/notes "a directory that is no Laravel app" "no Laravel app" \
  "$WORK/bad/notes/public_html"
persist_cmd forced adopt "$WORK/bad/notes/public_html" --force
expect_rc 0 "adopt --force of a directory without the app's markers"
install_app bad/notes/another
refused again bad/notes "an app in a site adopted already" "is a persist site already" \
  "$WORK/bad/notes/another" --root "$WORK/bad/notes"
refused in-releases bad/notes "a directory inside the site's releases/" "lies in the site's releases/" \
  "$WORK/bad/notes/$(readlink bad/notes/current)" --root "$WORK/bad/notes"

mkdir -p outside/logs
install_app bad/linked
rm -rf bad/linked/storage
ln -s "$WORK/outside" bad/linked/storage
refused storage-link bad "a persistent path that is a symlink out of the app" "storage" \
  "$WORK/bad/linked" --root "$WORK/bad/linked"
# A persistent path on a disk of its own: no rename moves a mount point.
install_app bad/mounted
if mount -t tmpfs -o size=8m tmpfs bad/mounted/storage 2>/dev/null; then
  trap 'umount "$WORK/bad/mounted/storage" 2>/dev/null' EXIT
  printf 'log on its own disk\n' >bad/mounted/storage/laravel.log
  refused mount-point bad "a persistent path that is a mount point" "is a mount point" \
    "$WORK/bad/mounted" --root "$WORK/bad/mounted"
  umount bad/mounted/storage
  trap - EXIT
else
  echo "SKIP: no tmpfs mount here (not root, or no CAP_SYS_ADMIN): the mount point refusal is not checked" >&2
fi
printf 'not a directory\n' >bad/served.txt
refused web-root-file bad "a web root that is a file" "web root" \
  "$WORK/bad/real" --web-root "$WORK/bad/served.txt"
refused web-root-elsewhere bad "a web root beside the app that does not serve it" \
  "has no index.php that requires the app" "$WORK/bad/real" --web-root "$WORK/bad/notes"
refused web-root-inside bad "a web root inside the app, not its public/" "lies in the app's directory" \
  "$WORK/bad/real" --web-root "$WORK/bad/real/app"

finish
