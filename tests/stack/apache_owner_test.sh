#!/usr/bin/env bash
# A real Apache 2.4 with mod_php (tests/stack/apache.sh), as shared hosts
# run it, serving SITE/public_html of a site owned by uid 65534 that root
# deploys with --allow-root. Every request is checked with curl on
# loopback.
#
# (a) The default link layout under SymLinksIfOwnerMatch (on / as on
#     cPanel, so public_html itself is checked, and on the web root) and
#     AllowOverride All, the release shipping Laravel's .htaccess; the same
#     Apache also serves SITE/current/public at /vps/ (a VPS's DocumentRoot):
#     - as deployed, static file, index.php and a pretty URL answer 200;
#     - `current` made again by root (ln -sfn): Apache refuses it where it
#       is a component of the path it serves (/vps/: 403, AH00037 naming
#       SITE/current); through public_html it still serves, since Apache
#       compares public_html's owner with the end of its chain only and
#       never looks at current (the strictness of persist's rule, which
#       checks every link of a chain, is on purpose); verify names current;
#     - public_html made again by root: Apache refuses the web root (403)
#       and verify names public_html;
#     - persist repair: Apache serves everywhere and verify is clean;
#       persist undo of the repair: the site exactly as broken, refused
#       again.
# (b) web_root: "stub" under the same options: public_html a real
#     directory, index.php the stub, the asset through its link; deploy v2,
#     rollback, undo (of the rollback) each serve the right release; a
#     pretty URL reaches the stub through the copied .htaccess; then a link
#     made by root inside public_html (ln -sfn ../current/public/css): 403
#     and verify names it; repair fixes it.
# (c) web_root: "stub" with copy_assets under Options -FollowSymLinks
#     -SymLinksIfOwnerMatch (a host that follows no link): index.php and a
#     copied asset answer 200, each switch serves the new release's asset,
#     and undo puts the site back exactly (snapshots with owners).
#
# Apache is never restarted between a switch and the next request, as on
# the shared hosts the stub is for: the stub's index.php reads current on
# every request, so mod_php's realpath cache keeps no release of before.
#
# Outside the sandbox (tag no-sandbox): the site is given to uid 65534,
# whom the sandbox's user namespace does not map, and Apache's workers run
# as that user.
#
# usage: apache_owner_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/../blackbox/lib.sh"
init_test "${1:-}"
source "$(dirname "$0")/apache.sh"
enter_owner_base apache-owner-test
SNAPSHOT_OPTIONS=(--owners)

# release DIR VERSION: a small Laravel-shaped app: index.php answers
# "release VERSION", css/app.css holds "VERSION css", hello.txt "hello from
# VERSION", and Laravel's own public/.htaccess.
release() {
  local dir=$1 version=$2
  stack_release "$dir" "$version"
  printf 'hello from %s\n' "$version" >"$dir/public/hello.txt"
  cat >"$dir/public/.htaccess" <<'EOF'
<IfModule mod_rewrite.c>
    <IfModule mod_negotiation.c>
        Options -MultiViews -Indexes
    </IfModule>

    RewriteEngine On

    # Handle Authorization Header
    RewriteCond %{HTTP:Authorization} .
    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]

    # Redirect Trailing Slashes If Not A Folder...
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteCond %{REQUEST_URI} (.+)/$
    RewriteRule ^ %1 [L,R=301]

    # Send Requests To Front Controller...
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteRule ^ index.php [L]
</IfModule>
EOF
}
release v1 v1
release v2 v2

# get PATH: "STATUS BODY" of a request (stack.sh stack_get).
get() { stack_get "$APACHE_URL" "$1"; }

# serves WHAT PATH WANT: the request for PATH gets WANT ("STATUS BODY").
serves() { stack_serves "$1" "$APACHE_URL" "$2" "$3" stack_apache_logs; }

# refused WHAT PATH: the request for PATH gets 403.
refused() {
  local got
  got=$(get "$2")
  check "$1: GET $2 is refused, 403 (got '$got')" test "${got%% *}" = 403 || stack_apache_logs
}

# serves_release WHAT VERSION: index.php, a pretty URL and the asset are
# VERSION's, as the next visitor sees them, Apache not restarted.
serves_release() {
  local what=$1 version=$2
  serves "$what: the asset" /css/app.css "200 $version css"
  serves "$what: index.php, Apache not restarted" / "200 release $version"
  serves "$what: a pretty URL reaches index.php" /some/route "200 release $version"
}

# site_for NAME PROFILE: makes NAME/ owned by 65534, its profile PROFILE
# ("" for none), and an empty public_html the site owner's.
site_for() {
  mkdir -p "$1/shared" "$1/public_html"
  [[ -z "$2" ]] || printf '%s\n' "$2" >"$1/shared/.persistence-config"
  chown -R 65534:65534 "$1"
}

# verify_names WHAT SITE TEXT: persist verify exits 1 and says TEXT.
verify_names() {
  persist_cmd "$1" verify --root "$2"
  expect_rc 1 "$1: verify finds the broken link"
  check "$1: verify names it" has "$1.out" "$3"
}

# verify_clean WHAT SITE
verify_clean() {
  persist_cmd "$1" verify --root "$2"
  expect_rc 0 "$1: verify is clean" || show_file "$1.out"
}

OWNER_OPTIONS=$'Options SymLinksIfOwnerMatch\nAllowOverride All'

# ------------------------------------------------ (a) the link layout

site_for a ""
persist_cmd a-d1 deploy "$base/v1" --root a --id v1 --allow-root
expect_rc 0 "(a) root deploys the site of uid 65534"
check "(a) public_html is a link to current/public, the site owner's" \
  test "$(readlink a/public_html):$(stat -c %u a/public_html)" = current/public:65534
STACK_APACHE_ROOT_DIRECTORY="Options SymLinksIfOwnerMatch" STACK_APACHE_DIRECTORY="$OWNER_OPTIONS" \
  STACK_APACHE_SERVER="Alias /vps/ \"$base/a/current/public/\"
<Directory \"$base/a/current/public\">
  Require all granted
  $OWNER_OPTIONS
</Directory>" stack_start_apache "$base/a/public_html"

serves "(a) as deployed: a static file" /hello.txt "200 hello from v1"
serves "(a) as deployed: index.php" /index.php "200 release v1"
serves "(a) as deployed: a pretty URL, through Laravel's .htaccess" /some/route "200 release v1"
serves "(a) as deployed: current/public, a VPS's root" /vps/hello.txt "200 hello from v1"
verify_clean a-v1 a

ln -sfn releases/v1 a/current
check "(a) current is root's now" test "$(stat -c %u a/current)" = 0
refused "(a) root's current, where Apache meets it" /vps/hello.txt
check "(a) Apache says why, naming current" \
  stack_apache_log_has "Symbolic link not allowed or link target not accessible: $base/a/current"
serves "(a) root's current behind public_html: Apache looks at public_html's chain end only" \
  /hello.txt "200 hello from v1"
verify_names a-v2 a "current: is a link owned by root (uid 0) to releases/v1, owned by nobody (uid 65534)"

ln -sfn current/public a/public_html
check "(a) public_html is root's now" test "$(stat -c %u a/public_html)" = 0
refused "(a) root's public_html: a static file" /hello.txt
refused "(a) root's public_html: index.php" /index.php
check "(a) Apache says why, naming public_html" \
  stack_apache_log_has "Symbolic link not allowed or link target not accessible: $base/a/public_html"
verify_names a-v3 a "public_html: is a link owned by root (uid 0)"
snapshot a a-broken.snap

persist_cmd a-fix repair --root a --allow-root
expect_rc 0 "(a) repair as root"
check "(a) current and public_html are the site owner's again" \
  test "$(stat -c %u a/current):$(stat -c %u a/public_html)" = 65534:65534
serves "(a) repaired: a static file" /hello.txt "200 hello from v1"
serves "(a) repaired: index.php" /index.php "200 release v1"
serves "(a) repaired: current/public" /vps/hello.txt "200 hello from v1"
verify_clean a-v4 a

persist_cmd a-undo undo --root a --yes --allow-root
expect_rc 0 "(a) undo of the repair"
snapshot a a-undone.snap
check "(a) undo puts the broken site back exactly" same_snapshot a-broken.snap a-undone.snap
refused "(a) undone: root's public_html again" /hello.txt
refused "(a) undone: root's current again" /vps/hello.txt
stack_stop_apache

# ------------------------------------------------ (b) stub, links

site_for b 'web_root: "stub"'
persist_cmd b-d1 deploy "$base/v1" --root b --id v1 --allow-root
expect_rc 0 "(b) root deploys the stub site of uid 65534"
check "(b) public_html is a real directory" test -d b/public_html -a ! -L b/public_html
check "(b) css is a link through current, the site owner's" \
  test "$(readlink b/public_html/css):$(stat -c %u b/public_html/css)" = ../current/public/css:65534
STACK_APACHE_ROOT_DIRECTORY="Options SymLinksIfOwnerMatch" STACK_APACHE_DIRECTORY="$OWNER_OPTIONS" \
  stack_start_apache "$base/b/public_html"
serves_release "(b) v1 deployed" v1
serves "(b) v1 deployed: a static file through its link" /hello.txt "200 hello from v1"

persist_cmd b-d2 deploy "$base/v2" --root b --id v2 --allow-root
expect_rc 0 "(b) deploy of v2"
serves_release "(b) v2 deployed" v2
persist_cmd b-rb rollback --root b --allow-root
expect_rc 0 "(b) rollback"
serves_release "(b) rolled back" v1
persist_cmd b-undo undo --root b --yes --allow-root
expect_rc 0 "(b) undo of the rollback"
serves_release "(b) rollback undone" v2
verify_clean b-v1 b

ln -sfn ../current/public/css b/public_html/css
check "(b) public_html/css is root's now" test "$(stat -c %u b/public_html/css)" = 0
refused "(b) root's link inside public_html" /css/app.css
check "(b) Apache says why, naming public_html/css" \
  stack_apache_log_has "Symbolic link not allowed or link target not accessible: $base/b/public_html/css"
serves "(b) the stub's other links still serve" /hello.txt "200 hello from v2"
verify_names b-v2 b "public_html/css: is a link owned by root (uid 0)"
persist_cmd b-fix repair --root b --allow-root
expect_rc 0 "(b) repair as root"
check "(b) public_html/css is the site owner's again" test "$(stat -c %u b/public_html/css)" = 65534
serves "(b) repaired: the asset" /css/app.css "200 v2 css"
verify_clean b-v3 b
stack_stop_apache

# ------------------------------------------------ (c) stub, copies

# .htaccess is left out of these releases: with both link options off,
# Apache refuses every request of a directory whose .htaccess turns
# RewriteEngine on (AH00670), whatever persist does.
rm -f v1/public/.htaccess v2/public/.htaccess
site_for c $'web_root: "stub"\ncopy_assets: true'
persist_cmd c-d1 deploy "$base/v1" --root c --id v1 --allow-root
expect_rc 0 "(c) root deploys the copy_assets site of uid 65534"
check "(c) css is a copy, the site owner's" \
  test -d c/public_html/css -a ! -L c/public_html/css -a "$(stat -c %u c/public_html/css/app.css)" = 65534
STACK_APACHE_ROOT_DIRECTORY="Options None" \
  STACK_APACHE_DIRECTORY=$'Options -FollowSymLinks -SymLinksIfOwnerMatch\nAllowOverride All' \
  stack_start_apache "$base/c/public_html"
serves "(c) v1: index.php" / "200 release v1"
serves "(c) v1: the copied asset" /css/app.css "200 v1 css"
serves "(c) v1: the copied static file" /hello.txt "200 hello from v1"
# The control: this Apache follows no link at all (public_html/.well-known
# is persist's link to shared/).
printf 'token\n' >c/shared/public/.well-known/acme.txt
refused "(c) control: a link is not followed here" /.well-known/acme.txt
rm -f c/shared/public/.well-known/acme.txt
snapshot c c-v1.snap

persist_cmd c-d2 deploy "$base/v2" --root c --id v2 --allow-root
expect_rc 0 "(c) deploy of v2"
serves "(c) v2 deployed: the copied asset" /css/app.css "200 v2 css"
serves "(c) v2 deployed: the copied static file" /hello.txt "200 hello from v2"
serves "(c) v2 deployed: index.php, Apache not restarted" / "200 release v2"
snapshot c c-v2.snap

persist_cmd c-rb rollback --root c --allow-root
expect_rc 0 "(c) rollback"
serves "(c) rolled back: the copied asset" /css/app.css "200 v1 css"
persist_cmd c-undo1 undo --root c --yes --allow-root
expect_rc 0 "(c) undo of the rollback"
serves "(c) rollback undone: the copied asset" /css/app.css "200 v2 css"
snapshot c c-undone1.snap
check "(c) undo of the rollback puts the v2 site back exactly" same_snapshot c-v2.snap c-undone1.snap
persist_cmd c-undo2 undo --root c --yes --allow-root
expect_rc 0 "(c) undo of the deploy of v2"
serves "(c) deploy undone: the copied asset" /css/app.css "200 v1 css"
snapshot c c-undone2.snap
check "(c) undo of the deploy puts the v1 site back exactly" same_snapshot c-v1.snap c-undone2.snap
verify_clean c-v1 c
stack_stop_apache
finish
