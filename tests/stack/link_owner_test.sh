#!/usr/bin/env bash
# Shared hosts serve through a symlink only when the link and what it leads
# to have one owner (Apache's SymLinksIfOwnerMatch, cPanel's
# SymlinkProtect); nginx's `disable_symlinks if_not_owner` is the same rule,
# and here the real nginx of tests/stack/stack.sh enforces it on a site
# owned by uid 65534 that root deploys with --allow-root:
#  - as deployed, every link is the site owner's: nginx serves, verify agrees;
#  - `current` made again by hand as root (ln -sfn) is root's: nginx refuses
#    (403, or 404 through try_files) and verify names the link, both owners and the rule;
#  - persist repair makes the link again, its owner the site's: nginx serves
#    and verify is clean;
#  - persist undo of the repair puts the root-owned link back, and nginx
#    refuses again: the repair was a run like any other.
#
# usage: link_owner_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/../blackbox/lib.sh"
init_test "${1:-}"
source "$(dirname "$0")/stack.sh"
enter_owner_base link-owner-test

mkdir -p rel/public rel/storage/framework/views rel/bootstrap/cache site
printf '<?php // artisan\n' >rel/artisan
printf 'APP_KEY=\n' >rel/.env.example
printf 'hello from v1\n' >rel/public/hello.txt
printf '<?php echo "v1\\n";\n' >rel/public/index.php
chown -R 65534:65534 site
persist_cmd d1 deploy "$base/rel" --root site --id v1 --allow-root
expect_rc 0 "root deploys the site of uid 65534"
STACK_NGINX_SERVER="disable_symlinks if_not_owner;" stack_start_nginx_fpm "$base/site/current/public"
status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$STACK_URL/hello.txt"; }

check "nginx serves through links of one owner (got $(status_of))" test "$(status_of)" = 200
persist_cmd v1 verify --root site
expect_rc 0 "verify of the deployed site"
check "verify checked the links' owners" has v1.out "owned as what they lead to"

ln -sfn releases/v1 site/current
check "current is root's now" test "$(stat -c %u site/current)" = 0
# Refused: the file is not there for nginx (404 through try_files), or
# forbidden (403).
refused() { [[ "$(status_of)" == 403 || "$(status_of)" == 404 ]]; }
check "nginx refuses to serve through it (got $(status_of))" refused
snapshot site broken.snap
persist_cmd v2 verify --root site
expect_rc 1 "verify of the site with a root-owned current"
check "verify names the link, both owners and the rule" \
  has v2.out "current: is a link owned by root (uid 0) to releases/v1, owned by nobody (uid 65534): Apache's SymLinksIfOwnerMatch"
check "and offers persist repair" has v2.out "fix: persist repair (by hand: chown -h nobody current)"

persist_cmd fix repair --root site --allow-root
expect_rc 0 "repair as root"
check "current is the site owner's again" test "$(stat -c %u site/current)" = 65534
check "nginx serves again (got $(status_of))" test "$(status_of)" = 200
persist_cmd v3 verify --root site
expect_rc 0 "verify after the repair"

persist_cmd undo undo --root site --yes --allow-root
expect_rc 0 "undo of the repair"
snapshot site undone.snap
check "undo puts the site back exactly" same_snapshot broken.snap undone.snap
check "current is root's again" test "$(stat -c %u site/current)" = 0
check "and nginx refuses again (got $(status_of))" refused
finish
