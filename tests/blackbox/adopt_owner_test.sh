#!/usr/bin/env bash
# persist adopt by the site's owner on an install partly owned by the web
# server's user, as shared hosts and hand-run installs leave them: storage/
# and .env given to the web server's user, a config file only it may
# read. The owner (uid 65534 here) cannot move those, so the adoption is
# refused before anything is touched (exit 2; the dry run too), naming
# each path, its owner and mode, what the run needed of it, and both ways
# out; the tree is exactly as before and holds no .persist/. Run as root
# with --allow-root, as the refusal says, the adoption succeeds and every
# file keeps its owner. A directory the owner may not reach is refused as
# such, not called missing.
#
# usage: adopt_owner_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
enter_owner_base adopt-owner-test

sample_release home/public_html laravel
mkdir -p home/public_html/storage/logs home/public_html/bootstrap/cache
printf '[2026-12-01] production.INFO: live\n' >home/public_html/storage/logs/laravel.log
printf 'APP_KEY=base64:live-secret\n' >home/public_html/.env
mkdir -p home/public_html/config
printf '<?php return ["key" => "secret"];\n' >home/public_html/config/services.php
chmod -R a+rX home
chmod 0644 home/public_html/.env
chown -R 65534:65534 home
# The web server's user: root stands in for www-data, which this machine
# may not have; to uid 65534 it is just as foreign.
chown -R 0:0 home/public_html/storage home/public_html/.env
chown 0:0 home/public_html/config/services.php
chmod 0600 home/public_html/config/services.php
snapshot home before.snap

for mode in dry-run run; do
  flags=()
  [[ $mode == dry-run ]] && flags=(--dry-run)
  run_quiet "$mode.out" "$mode.err" as_owner "$PERSIST" adopt "$base/home/public_html" "${flags[@]}"
  check "the owner's adoption ($mode) is refused: exit 2 (got $rc)" test "$rc" -eq 2 ||
    show_file "$mode.err"
  check "($mode) the message names storage/, its owner and why it must be writable" \
    grep -q "public_html/storage: a directory of root (uid 0), mode 0755: this user cannot write it, and a directory moves into another only when its mover may" "$mode.err"
  check "($mode) the message names .env and that only its owner changes its mode" \
    grep -q "public_html/.env: a file of root (uid 0), mode 0644: this user does not own it" "$mode.err"
  check "($mode) the message names the file the manifest cannot read" \
    grep -q "public_html/config/services.php: a file of root (uid 0), mode 0600: this user cannot read it" "$mode.err"
  check "($mode) the message says who runs persist" grep -q "as nobody (uid 65534)" "$mode.err" ||
    check "($mode) the message says who runs persist" grep -q "as uid 65534" "$mode.err"
  check "($mode) the message gives both ways out" \
    grep -q "sudo persist adopt $base/home/public_html --allow-root; or make these paths yours first: sudo chown -R " "$mode.err"
  snapshot home "after-$mode.snap"
  check "($mode) the install is exactly as before" same_snapshot before.snap "after-$mode.snap"
  check "($mode) no .persist/ was made" test ! -e home/.persist
done

persist_cmd root adopt "$base/home/public_html" --allow-root --id 1
expect_rc 0 "root adopting it with --allow-root, as the refusal says"
check "storage/ is in shared/, still root's" test "$(stat -c %u home/shared/storage)" = 0
check "its log is root's" test "$(stat -c %u home/shared/storage/logs/laravel.log)" = 0
check "the .env is in shared/, still root's" test "$(stat -c %u home/shared/.env)" = 0
check "the config file is in the release, still root's and 0600" \
  test "$(stat -c %u:%a home/releases/1/config/services.php)" = 0:600
check "the release is the owner's" test "$(stat -c %u home/releases/1)" = 65534
check "public_html is a link to current/public" test "$(readlink home/public_html)" = current/public
persist_cmd undo undo --root home --yes --allow-root
expect_rc 0 "undo of the adoption"
snapshot home after-undo.snap
check "undo gives the install back exactly" same_snapshot before.snap after-undo.snap

# A directory the owner may not reach is not called missing.
mkdir -p "$WORK/hidden/public_html"
chmod 0700 "$WORK/hidden"
run_quiet hidden.out hidden.err as_owner "$PERSIST" adopt "$WORK/hidden/public_html"
check "adopting a directory the user cannot reach: exit 2 (got $rc)" test "$rc" -eq 2
check "the message says it cannot be reached, and by whom" \
  grep -q "$WORK/hidden/public_html, cannot be reached: nobody (uid 65534) may not search a directory on its way (EACCES)" hidden.err ||
  show_file hidden.err
finish
