#!/usr/bin/env bash
# web_root: "stub" (planner/web_root.h): for hosts that refuse a symlinked
# web root, public_html stays a real directory whose generated index.php
# requires ../current/public/index.php, the release's other public entries
# linked through current or, with copy_assets, copied.
#  1. A first deploy makes the stub; PHP run on public_html/index.php
#     answers as the release (its __DIR__ is the release's public/); a file
#     the operator keeps in public_html (a search engine's verification
#     file) stays through every switch, and one in the way of a release's
#     entry is stashed and named, never lost.
#  2. deploy v2, rollback, undo: each leaves the stub forwarding to the
#     live release (v1's old.txt goes and comes back; v2's new.js comes and
#     goes); undo of the rollback gives back the tree after v2's deploy,
#     byte for byte; undo of everything gives back the site before the first
#     deploy, the operator's files included.
#  3. A site served through a symlinked public_html that turns to
#     web_root: "stub": verify names public_html, repair replaces the link
#     by the stub in one exchange, and undo of the repair puts the link back.
#  4. copy_assets: copies, not links (shared/ links straight to shared/);
#     a switch copies the new release's; a copy changed on the server is
#     named by verify and put back by repair; undo of the repair gives the
#     changed copy back exactly.
#  5. Bad input, refused with exit 2 and nothing changed: a web_root that is
#     neither mode, copy_assets without the stub, public_html a file, the
#     name the stub is built under taken.
#
# usage: web_root_stub_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

# release DIR VERSION: a small Laravel-shaped app whose public/index.php
# answers "release VERSION" from app/, outside public/.
release() {
  local dir=$1 version=$2
  mkdir -p "$dir/app" "$dir/public/css" "$dir/public/uploads" \
    "$dir/storage/framework/views" "$dir/bootstrap/cache"
  printf '<?php // artisan\n' >"$dir/artisan"
  printf 'APP_KEY=\n' >"$dir/.env.example"
  printf '<?php echo "release %s\\n";\n' "$version" >"$dir/app/version.php"
  printf "<?php require __DIR__ . '/../app/version.php';\n" >"$dir/public/index.php"
  printf 'RewriteEngine On\nRewriteRule ^ index.php [L]\n# %s\n' "$version" >"$dir/public/.htaccess"
  printf 'body { color: %s }\n' "$version" >"$dir/public/css/app.css"
  printf 'User-agent: *\n' >"$dir/public/robots.txt"
}
release v1 v1
printf 'only in v1\n' >v1/public/old.txt
release v2 v2
mkdir -p v2/public/js && printf 'new in v2\n' >v2/public/js/new.js

answer() { php "$1/public_html/index.php" 2>&1; }
profile() { mkdir -p "$1/shared" && printf '%s\n' "${@:2}" >"$1/shared/.persistence-config"; }

# ------------------------------------------------------------ 1. first deploy

mkdir -p site/public_html/.well-known/acme-challenge
printf 'google-site-verification\n' >site/public_html/google123.html
printf 'token\n' >site/public_html/.well-known/acme-challenge/t1
printf 'the operator robots\n' >site/public_html/robots.txt
profile site 'web_root: "stub"'
snapshot site empty.snap

persist_cmd d1 deploy "$WORK/v1" --root site --id v1
expect_rc 0 "first deploy with web_root: stub"
check "public_html is a real directory" test -d site/public_html -a ! -L site/public_html
check "its index.php is the stub" has site/public_html/index.php \
  "readlink(__DIR__ . '/../current')"
check "PHP through the stub answers as v1" same_text "answer" "$(answer site)" "release v1"
check "css is a link through current" \
  test "$(readlink site/public_html/css)" = ../current/public/css
check ".htaccess is a copy of the release's" cmp site/public_html/.htaccess v1/public/.htaccess
check ".htaccess is no link" test ! -L site/public_html/.htaccess
check "uploads is a link through current" \
  test "$(readlink site/public_html/uploads)" = ../current/public/uploads
check "the operator's verification file stays" test -f site/public_html/google123.html
check "the operator's robots.txt, in the way of the release's, was named" \
  has d1.out "public_html/robots.txt did not come from a release"
check "...and public_html/robots.txt is the release's now" \
  test "$(readlink site/public_html/robots.txt)" = ../current/public/robots.txt
check "the notes name what public_html holds that no release ships" \
  has d1.out "google123.html"
persist_cmd v1 verify --root site
expect_rc 0 "verify of the stub"
check "verify checked the stub" has v1.out "public_html/ forwards to current/public (web_root: stub)"
snapshot site after-v1.snap

# ------------------------------------------------------------ 2. switches

persist_cmd d2 deploy "$WORK/v2" --root site --id v2
expect_rc 0 "deploy of v2"
check "PHP through the stub answers as v2" same_text "answer" "$(answer site)" "release v2"
check "v1's old.txt is gone from public_html" test ! -e site/public_html/old.txt -a ! -L site/public_html/old.txt
check "v2's js is linked" test "$(cat site/public_html/js/new.js)" = "new in v2"
check ".htaccess is v2's" cmp site/public_html/.htaccess v2/public/.htaccess
check "the operator's file is still there" test -f site/public_html/google123.html
snapshot site after-v2.snap

persist_cmd rb rollback --root site --json
expect_rc 0 "rollback to v1"
check "rollback --json notes the operator's file the stub keeps" \
  jq -e '.notes | any(contains("google123.html"))' rb.out
check "PHP answers as v1 again" same_text "answer" "$(answer site)" "release v1"
check "old.txt is back" test "$(cat site/public_html/old.txt)" = "only in v1"
check "js is gone" test ! -e site/public_html/js -a ! -L site/public_html/js
check ".htaccess is v1's" cmp site/public_html/.htaccess v1/public/.htaccess
persist_cmd v2 verify --root site
expect_rc 0 "verify after the rollback"

persist_cmd u1 undo --root site --yes
expect_rc 0 "undo of the rollback"
snapshot site undone-rb.snap
check "the site is exactly as after v2's deploy" same_snapshot after-v2.snap undone-rb.snap
check "PHP answers as v2" same_text "answer" "$(answer site)" "release v2"

persist_cmd u2 undo --root site --yes
expect_rc 0 "undo of v2's deploy"
snapshot site undone-v2.snap
check "the site is exactly as after v1's deploy" same_snapshot after-v1.snap undone-v2.snap
persist_cmd u3 undo --root site --yes
expect_rc 0 "undo of the first deploy"
snapshot site undone-v1.snap
check "the site is exactly as before it, the operator's files included" \
  same_snapshot empty.snap undone-v1.snap

# ------------------------------------------------------------ 3. link -> stub

mkdir -p linked/public_html
persist_cmd l1 deploy "$WORK/v1" --root linked --id v1
expect_rc 0 "deploy with the default web root"
check "public_html is a link" test "$(readlink linked/public_html)" = current/public
profile linked 'web_root: "stub"'
snapshot linked linked.snap
persist_cmd lv verify --root linked
expect_rc 1 "verify once the profile asks for a stub"
check "verify names public_html" has lv.out "problem: public_html"
persist_cmd lr repair --root linked
expect_rc 0 "repair makes the stub"
check "public_html is a real directory now" test -d linked/public_html -a ! -L linked/public_html
check "PHP answers as v1 through it" same_text "answer" "$(answer linked)" "release v1"
check "nothing is left beside it" test ! -e linked/.public_html.persist-stub
persist_cmd lv2 verify --root linked
expect_rc 0 "verify after the repair"
persist_cmd lu undo --root linked --yes
expect_rc 0 "undo of the repair"
snapshot linked linked-undone.snap
check "the link is back, the site exactly as before" same_snapshot linked.snap linked-undone.snap

# ------------------------------------------------------------ 4. copy_assets

mkdir copied
profile copied 'web_root: "stub"' 'copy_assets: true'
persist_cmd c1 deploy "$WORK/v1" --root copied --id v1
expect_rc 0 "deploy with copy_assets"
check "css is a copy" test -d copied/public_html/css -a ! -L copied/public_html/css
check "...of v1's" cmp copied/public_html/css/app.css v1/public/css/app.css
check "uploads is a link straight to shared/" \
  test "$(readlink copied/public_html/uploads)" = ../shared/public/uploads
check "PHP answers as v1" same_text "answer" "$(answer copied)" "release v1"
persist_cmd c2 deploy "$WORK/v2" --root copied --id v2
expect_rc 0 "deploy of v2 with copy_assets"
check "css is v2's copy" cmp copied/public_html/css/app.css v2/public/css/app.css
check "PHP answers as v2" same_text "answer" "$(answer copied)" "release v2"
persist_cmd cv verify --root copied
expect_rc 0 "verify of the copies"
check "verify says they are copies" has cv.out "web_root: stub, assets copied"

printf 'defaced\n' >copied/public_html/robots.txt
snapshot copied defaced.snap
persist_cmd cv2 verify --root copied
expect_rc 1 "verify of a changed copy"
check "verify names it" has cv2.out "robots.txt is missing or out of date"
persist_cmd cr repair --root copied
expect_rc 0 "repair of the copy"
check "the copy is v2's again" cmp copied/public_html/robots.txt v2/public/robots.txt
persist_cmd cv3 verify --root copied
expect_rc 0 "verify after the repair"
persist_cmd cu undo --root copied --yes
expect_rc 0 "undo of the repair"
snapshot copied defaced-again.snap
check "undo gives the changed copy back exactly" same_snapshot defaced.snap defaced-again.snap

# ------------------------------------------------------------ 5. bad input

# refused NAME SITE WHAT ARGS...: persist ARGS exits 2 naming WHAT, and
# SITE is unchanged.
refused() {
  local name=$1 site=$2 what=$3
  shift 3
  snapshot "$site" "$name-before.snap"
  persist_cmd "$name" "$@"
  expect_rc 2 "$name is refused"
  check "$name: the message names $what" has "$name.err" "$what"
  snapshot "$site" "$name-after.snap"
  check "$name: nothing changed" same_snapshot "$name-before.snap" "$name-after.snap"
}

mkdir bad
profile bad 'web_root: "stubb"'
refused unknown bad 'web_root "stubb" is not a web root mode' deploy "$WORK/v1" --root bad
profile bad 'copy_assets: true'
refused copy-alone bad 'copy_assets needs web_root: "stub"' deploy "$WORK/v1" --root bad
profile bad 'web_root: "stub"'
printf 'not a directory\n' >bad/public_html
refused file bad 'public_html is a file, not a directory' deploy "$WORK/v1" --root bad
rm bad/public_html

persist_cmd l2 deploy "$WORK/v2" --root linked --id v2 --no-switch
expect_rc 0 "v2 staged on the linked site"
mkdir linked/.public_html.persist-stub
refused taken linked '.public_html.persist-stub is in the way' switch v2 --root linked

finish
