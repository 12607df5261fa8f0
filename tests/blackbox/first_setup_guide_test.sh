#!/usr/bin/env bash
# docs/guides/first-setup.md works as written: every command it gives to
# type runs, in order, in a fresh home directory holding the vendor's zip
# (made by Info-ZIP), and succeeds. The site it leaves serves release 1.0.0,
# keeps the vendor's demo content in shared/ byte for byte, holds the .env
# the guide edited (private, linked from the release), and is healthy.
#
# usage: first_setup_guide_test.sh PATH_TO_PERSIST PATH_TO_GUIDE   (bazel passes both)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/guide_lib.sh"
init_guide_test "${1:-}" "${2:-}"

shop_zips "$home"
run_guide "$GUIDE" "$home"

site=$home/example.com
check "current is releases/1.0.0" same_text current "$(readlink "$site/current")" "releases/1.0.0"
check "the live release answers as 1.0.0" \
  same_text answer "$(php "$site/current/public/index.php" 2>&1)" "shop 1.0.0"
check "the demo content is in shared/, byte for byte as the vendor shipped it" \
  cmp "$WORK/vendor-1.0.0/shop/public/uploads/demo/banner.jpg" \
  "$site/shared/public/uploads/demo/banner.jpg"
check "the release links its uploads into shared/" \
  same_text uploads "$(readlink "$site/current/public/uploads")" "../../../shared/public/uploads"
check "current/.env is the link to shared/.env" \
  same_text env-link "$(readlink "$site/current/.env")" "../../shared/.env"
check "shared/.env holds what the guide set" has "$site/shared/.env" "DB_PASSWORD=change-me"
check "shared/.env keeps the rest of .env.example" has "$site/shared/.env" "APP_NAME=Shop"
check "shared/.env is mode 0600" same_text mode "$(stat -c %a "$site/shared/.env")" "600"
check "the health check script is installed" test -x "$site/shared/health-check.sh"
check "the emergency recovery script is installed" test -x "$site/shared/emergency-recovery.sh"
check "the classify step listed public/uploads/ as USER" \
  grep -qE '^USER +public/uploads/' "$WORK/guide-first-setup-2.out"
check "the dry run named the plan" has "$WORK/guide-first-setup-4.out" "nothing changed"
check "the health check said the site is healthy" \
  has "$WORK/guide-first-setup-10.out" "the site is healthy"
persist_cmd verify verify --root "$site"
expect_rc 0 "the site the guide made is healthy"
persist_cmd log log --root "$site" --json
check "one run: the deploy, committed" json_check log.out \
  '(.runs | length) == 1 and .runs[0].state == "RUN_COMMITTED"'

finish
