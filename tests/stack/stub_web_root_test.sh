#!/usr/bin/env bash
# web_root: "stub" (planner/web_root.h) served by a real nginx and PHP-FPM
# (tests/stack/stack.sh) whose root is SITE/public_html, a real directory:
#
#  1. copy_assets: true, under `disable_symlinks on;` (nginx follows no
#     link at all): index.php (the stub, which requires
#     ../current/public/index.php) answers with the live release, the
#     copied asset is served, an operator's file in public_html stays and
#     is served; deploy v2, rollback and undo (of the rollback) each serve
#     the right release's answer and asset.
#  2. link mode (copy_assets off) under `disable_symlinks if_not_owner;`:
#     the same story through the stub's links ../current/public/NAME.
#
# nginx hands PHP SCRIPT_FILENAME from $realpath_root (stack.sh): for a
# real public_html that is SITE/public_html/index.php, the stub itself, and
# it is PHP that follows ../current to the release.
#
# No reload of PHP between a switch and the next request, as on the shared
# hosts the stub is for: the stub's index.php reads current on every
# request, so neither PHP's realpath cache (120 s by default) nor OPcache
# (story 3: on, validate_timestamps=0) keeps the release of before it.
#
# usage: stub_web_root_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/../blackbox/lib.sh"
init_test "${1:-}"
source "$(dirname "$0")/stack.sh"
# disable_symlinks checks every component of the path from /: the test's
# own paths are taken resolved, so that only the site's links are seen.
WORK=$(readlink -f "$WORK") || die "readlink -f $WORK"
cd "$WORK" || die "cd $WORK"

# release DIR VERSION: a small Laravel-shaped app whose index.php answers
# "release VERSION" and whose css/app.css holds "VERSION css".
release() {
  local dir=$1 version=$2
  stack_release "$dir" "$version"
  printf 'User-agent: *\n# %s\n' "$version" >"$dir/public/robots.txt"
}
release v1 v1
release v2 v2

# get PATH: "STATUS BODY" of a request (stack.sh stack_get).
get() { stack_get "$STACK_URL" "$1"; }

# serves WHAT PATH WANT: the request for PATH gets WANT ("STATUS BODY").
serves() { stack_serves "$1" "$STACK_URL" "$2" "$3" stack_logs; }

# serves_release WHAT VERSION: index.php and the asset are VERSION's, as the
# next visitor sees them, PHP not reloaded.
serves_release() {
  local what=$1 version=$2
  serves "$what: the asset" /css/app.css "200 $version css"
  serves "$what: robots.txt" /robots.txt "200 User-agent: * # $version"
  serves "$what: index.php, PHP not reloaded" / "200 release $version"
  serves "$what: /index.php" /index.php "200 release $version"
  serves "$what: a pretty URL reaches index.php (try_files)" /some/route "200 release $version"
}

# story MODE NGINX_DIRECTIVE COPY_ASSETS: one site, served, switched
# (STACK_OPCACHE as the caller sets it).
story() {
  local mode=$1 directive=$2 copy=$3
  local site="$WORK/$mode/site"
  mkdir -p "$site/shared" "$site/public_html"
  printf 'web_root: "stub"\n' >"$site/shared/.persistence-config"
  [[ $copy == true ]] && printf 'copy_assets: true\n' >>"$site/shared/.persistence-config"
  # The operator's own file, which no release ships.
  printf 'google-site-verification: abc\n' >"$site/public_html/google123.html"

  persist_cmd "$mode-d1" deploy "$WORK/v1" --root "$site" --id v1
  expect_rc 0 "$mode: deploy of v1"
  check "$mode: public_html is a real directory" test -d "$site/public_html" -a ! -L "$site/public_html"
  check "$mode: its index.php is the stub" has "$site/public_html/index.php" "readlink(__DIR__ . '/../current')"
  if [[ $copy == true ]]; then
    check "$mode: css is a copy, no link" test -d "$site/public_html/css" -a ! -L "$site/public_html/css"
  else
    check "$mode: css is a link through current" \
      test "$(readlink "$site/public_html/css")" = ../current/public/css
  fi

  STACK_NGINX_SERVER="$directive" stack_start_nginx_fpm "$site/public_html"
  serves_release "$mode, v1 deployed" v1
  serves "$mode: the operator's file" /google123.html "200 google-site-verification: abc"

  persist_cmd "$mode-d2" deploy "$WORK/v2" --root "$site" --id v2
  expect_rc 0 "$mode: deploy of v2"
  serves_release "$mode, v2 deployed" v2
  check "$mode: the operator's file stays" test -f "$site/public_html/google123.html"

  snapshot "$site" "$mode-v2.snap"
  persist_cmd "$mode-rb" rollback --root "$site"
  expect_rc 0 "$mode: rollback"
  serves_release "$mode, rolled back" v1

  persist_cmd "$mode-undo" undo --root "$site" --yes
  expect_rc 0 "$mode: undo of the rollback"
  serves_release "$mode, rollback undone" v2
  snapshot "$site" "$mode-undone.snap"
  check "$mode: the undo put the site back exactly" same_snapshot "$mode-v2.snap" "$mode-undone.snap"
  serves "$mode: the operator's file, still served" /google123.html "200 google-site-verification: abc"

  persist_cmd "$mode-verify" verify --root "$site"
  expect_rc 0 "$mode: verify of the served site" || show_file "$mode-verify.out"
  stack_stop
}

# nginx follows no link at all: only copies can be served.
story copy "disable_symlinks on;" true
# nginx follows a link whose owner owns what it leads to (all root's here).
story link "disable_symlinks if_not_owner;" false
# OPcache on, never revalidating, PHP never reloaded: each switch is served.
STACK_OPCACHE=1 story opcache "disable_symlinks if_not_owner;" false

# The control: under `disable_symlinks on;` a stub of links is refused
# (nginx finds no file through a link, and try_files hands the request to
# index.php), so the copies above are what made story 1 work.
serves_refused() {
  local got
  got=$(get /css/app.css)
  [[ $got != "200 v2 css" ]] && return 0
  echo "    GET /css/app.css: $got" >&2
  return 1
}
STACK_NGINX_SERVER="disable_symlinks on;" stack_start_nginx_fpm "$WORK/link/site/public_html"
check "control: nginx under disable_symlinks on refuses the stub's links" serves_refused
stack_stop
finish
