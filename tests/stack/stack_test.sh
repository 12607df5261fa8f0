#!/usr/bin/env bash
# The real web stack of stack.sh, as a deploy's health check will meet it:
# nginx and PHP-FPM serving SITE/current/public, `current` switched between
# releases by a rename-swap, and what each switch shows with OPcache off and
# on (validate_timestamps=0), with the script's path resolved by nginx
# ($realpath_root, the default) and not ($document_root). Then the real
# CheckUrl (tests/testing:http_check) against it.
#
# What it shows, observed on Debian 12 (nginx 1.22, PHP 8.2):
#  - with $realpath_root a switch is seen by the very next request, OPcache
#    on or off: PHP is handed releases/vN/public/index.php, a path it has
#    never compiled, so the OPcache trap does not bite;
#  - with $document_root PHP is handed current/public/index.php, the same
#    path before and after the switch, and keeps serving v1 twice over:
#    OPcache compiled v1 from releases/v1 (its status lists that path) and
#    finds it again by the path it is handed, without looking at the disk
#    (validate_timestamps=0; revalidate_path=0, the default, keys it by the
#    unresolved path); and even with OPcache off each worker's realpath
#    cache (realpath_cache_ttl, 120 s) still resolves that path to
#    releases/v1. A reload of PHP-FPM (USR2) empties both.
# $realpath_root does not help a release whose files change in place: with
# validate_timestamps=0 OPcache keeps their old code until a reload (not
# shown here; persist switches between releases, it does not edit one).

source "$(dirname "$0")/../blackbox/lib.sh"
source "$(dirname "$0")/stack.sh"

[[ -n "${TEST_TMPDIR:-}" ]] || die "TEST_TMPDIR is not set: run this test with bazel test"
[[ -n "${HTTP_CHECK:-}" ]] ||
  die "HTTP_CHECK is not set: the test's target passes \$(rootpath //tests/testing:http_check)"
HTTP_CHECK_TOOL=$(readlink -f "$HTTP_CHECK") || die "cannot resolve $HTTP_CHECK"
export LC_ALL=C
SECONDS=0

SITE="$TEST_TMPDIR/site"

# release NAME PHP: a release whose public/index.php is PHP, and whose
# public/opcache.php tells whether OPcache is on and which index.php files
# it holds (the paths it compiled them from).
release() {
  local public="$SITE/releases/$1/public"
  mkdir -p "$public" || die "mkdir $public failed"
  printf '%s\n' "$2" >"$public/index.php" || die "cannot write $public/index.php"
  cat >"$public/opcache.php" <<'EOF' || die "cannot write $public/opcache.php"
<?php
$status = function_exists('opcache_get_status') ? opcache_get_status(true) : false;
if (!$status || !$status['opcache_enabled']) {
  echo "opcache off\n";
  return;
}
echo "opcache on\n";
$scripts = array_filter(array_keys($status['scripts']), function ($s) {
  return basename($s) === 'index.php';
});
sort($scripts);
foreach ($scripts as $script) echo $script, "\n";
EOF
}

# point_current RELEASE: current -> releases/RELEASE, swapped in by one
# rename as persist does (ln -s, then mv -T over the old link).
point_current() {
  rm -f "$SITE/current.new"
  ln -s "releases/$1" "$SITE/current.new" || die "ln -s releases/$1 failed"
  mv -T "$SITE/current.new" "$SITE/current" || die "mv -T current.new current failed"
}

# answer [PATH]: the body the stack gives for PATH (default /).
answer() {
  curl --noproxy '*' --silent --show-error --max-time 10 "$STACK_URL${1:-/}" 2>&1
}

# expect_answer WHAT WANT [PATH]
expect_answer() {
  local got
  got=$(answer "${3:-/}")
  check "$1: answers '$2' (got '$got')" test "$got" = "$2"
}

# opcache_holds WHAT RELEASE...: OPcache is on and holds the index.php of
# exactly these releases, by their resolved paths.
opcache_holds() {
  local what=$1 want="opcache on" r
  shift
  for r in "$@"; do want+=$'\n'"$(readlink -f "$SITE/releases/$r")/public/index.php"; done
  local got
  got=$(answer /opcache.php)
  check "$what: OPcache holds index.php of: $* (got: $got)" test "$got" = "$want"
}

# stop_and_expect_nothing_left: stack_stop, and no process of the stack,
# master or worker, runs after it.
stop_and_expect_nothing_left() {
  local pids pid left=""
  pids=$(stack_pids)
  check "the stack runs two masters and their workers (pids: ${pids//$'\n'/ })" \
    test "$(wc -w <<<"$pids")" -ge 4
  stack_stop
  for pid in $pids; do
    kill -0 "$pid" 2>/dev/null && left+=" $pid"
  done
  check "stack_stop leaves none of the stack's processes running (left:$left)" test -z "$left"
}

release v1 '<?php echo "release v1\n";'
release v2 '<?php echo "release v2\n";'
release broken '<?php http_response_code(500); echo "fatal\n";'
ln -s releases/v1 "$SITE/current" || die "ln -s releases/v1 $SITE/current failed"

# ---------------------------------------------- OPcache off, $realpath_root
stack_start_nginx_fpm "$SITE/current/public"
check "STACK_URL is on loopback ($STACK_URL)" grep -Eq '^http://127\.0\.0\.1:[0-9]+$' <<<"$STACK_URL"
expect_answer "v1 live" "release v1"
expect_answer "a Laravel route, through try_files to index.php" "release v1" "/orders/17?page=2"
check "OPcache is off by default" test "$(answer /opcache.php)" = "opcache off"
point_current v2
expect_answer "after the switch to v2" "release v2"

# The real CheckUrl against the real stack.
point_current v1
out=$("$HTTP_CHECK_TOOL" "$STACK_URL/" --attempts=1 2>&1)
rc=$?
check "http_check passes on v1 (exit $rc): $out" test "$rc" = 0
check "http_check says it passed with 200: $out" grep -q "^$STACK_URL/: passed, status 200 (1 attempt, " <<<"$out"
out=$("$HTTP_CHECK_TOOL" "$STACK_URL/" "200 release v1" --attempts=1 2>&1)
check "http_check finds the body text of v1: $out" test $? = 0
point_current broken
out=$("$HTTP_CHECK_TOOL" "$STACK_URL/" --attempts=2 --pause-ms=50 2>&1)
rc=$?
check "http_check fails on a 500 (exit $rc): $out" test "$rc" = 1
check "http_check says status 500 after 2 attempts: $out" \
  grep -q "^$STACK_URL/: failed: status 500 outside 200-399 (2 attempts, " <<<"$out"
check "http_check shows the body's head: $out" grep -qx "  body: fatal" <<<"$out"
point_current v2
out=$("$HTTP_CHECK_TOOL" "$STACK_URL/" "200 release v1" --attempts=1 2>&1)
rc=$?
check "http_check fails when the body text is missing (exit $rc): $out" test "$rc" = 1
check "http_check names the missing text: $out" grep -qF 'failed: body does not contain "release v1"' <<<"$out"
stop_and_expect_nothing_left
out=$("$HTTP_CHECK_TOOL" "$STACK_URL/" --attempts=1 2>&1)
check "http_check says connection refused once the stack is stopped: $out" \
  grep -q "^$STACK_URL/: failed: connection refused (1 attempt, " <<<"$out"

# ---------------------------- OPcache on (validate_timestamps=0), $realpath_root
point_current v1
STACK_OPCACHE=1 stack_start_nginx_fpm "$SITE/current/public"
expect_answer "OPcache, v1 live" "release v1"
opcache_holds "OPcache, v1 live" v1
point_current v2
# No trap: nginx resolves current before PHP sees the path, so v2's
# index.php is a script OPcache has never compiled.
expect_answer "OPcache with \$realpath_root, right after the switch" "release v2"
opcache_holds "OPcache with \$realpath_root, after the switch" v1 v2
stack_reload_fpm
expect_answer "OPcache with \$realpath_root, after a reload" "release v2"
opcache_holds "after a reload, OPcache starts empty" v2
stack_stop

# ------------- OPcache on (validate_timestamps=0), $document_root: the trap
# PHP's realpath cache is off here, so that what stays is OPcache's doing.
point_current v1
STACK_OPCACHE=1 STACK_SCRIPT_ROOT=document_root STACK_PHP_INI=realpath_cache_size=0 \
  stack_start_nginx_fpm "$SITE/current/public"
expect_answer "OPcache with \$document_root, v1 live" "release v1"
point_current v2
expect_answer "OPcache with \$document_root, after the switch: still v1 (the trap)" "release v1"
opcache_holds "OPcache with \$document_root, after the switch: v2 never compiled" v1
stack_reload_fpm
expect_answer "OPcache with \$document_root, after a reload (USR2)" "release v2"
stack_stop

# --------------------------- OPcache off, $document_root: the realpath cache
point_current v1
STACK_SCRIPT_ROOT=document_root stack_start_nginx_fpm "$SITE/current/public"
expect_answer "\$document_root without OPcache, v1 live" "release v1"
point_current v2
expect_answer "\$document_root without OPcache, after the switch: still v1 (realpath cache)" \
  "release v1"
stack_reload_fpm
expect_answer "\$document_root without OPcache, after a reload (USR2)" "release v2"
stack_stop

# The same without the realpath cache: the switch shows at once, so the v1
# of the OPcache case above was OPcache's.
point_current v1
STACK_SCRIPT_ROOT=document_root STACK_PHP_INI=realpath_cache_size=0 \
  stack_start_nginx_fpm "$SITE/current/public"
expect_answer "\$document_root, no OPcache, no realpath cache, v1 live" "release v1"
point_current v2
expect_answer "\$document_root, no OPcache, no realpath cache, after the switch" "release v2"
stop_and_expect_nothing_left

finish
