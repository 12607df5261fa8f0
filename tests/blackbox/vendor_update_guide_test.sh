#!/usr/bin/env bash
# docs/guides/vendor-update.md works as written: from a site set up as
# first-setup.md leaves it (release 1.0.0 live, demo content in shared/),
# with a user's upload and an edited .env, every command the guide gives to
# type runs in order and succeeds. The site it leaves serves 2.1.0 (the
# update package laid over 2.0.0, its deleted file gone), shared/ is byte
# for byte what it was before the first update (the vendor's demo files of
# 2.0.0 never written over the site's), and it is healthy.
#
# usage: vendor_update_guide_test.sh PATH_TO_PERSIST PATH_TO_GUIDE   (bazel passes both)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/guide_lib.sh"
init_guide_test "${1:-}" "${2:-}"

first_site "$home"
mkdir -p "$site/shared/public/uploads/avatars"
printf 'jpeg bytes of user 42\n' >"$site/shared/public/uploads/avatars/user-42.jpg"
printf 'APP_KEY=base64:live\nDB_PASSWORD=hunter2\n' >"$site/shared/.env"
snapshot "$site/shared" shared-before.snap

run_guide "$GUIDE" "$home"

check "current is releases/2.1.0" same_text current "$(readlink "$site/current")" "releases/2.1.0"
check "the live release answers as 2.1.0" \
  same_text answer "$(php "$site/current/public/index.php" 2>&1)" "shop 2.1.0"
check "2.1.0 lacks the file the package's deleted-files.txt names" \
  test ! -e "$site/releases/2.1.0/routes/web.php"
check "2.0.0 still holds it" test -f "$site/releases/2.0.0/routes/web.php"
check "2.1.0 keeps 2.0.0's css" \
  cmp "$WORK/vendor-2.0.0/shop/public/css/app.css" "$site/releases/2.1.0/public/css/app.css"
check "the package's own list is not in the release" \
  test ! -e "$site/releases/2.1.0/deleted-files.txt"
snapshot "$site/shared" shared-after.snap
check "shared/ is byte for byte as before the updates" same_snapshot shared-before.snap shared-after.snap
check "the demo banner is still 1.0.0's, not the vendor's new copy" \
  cmp "$WORK/vendor-1.0.0/shop/public/uploads/demo/banner.jpg" \
  "$site/shared/public/uploads/demo/banner.jpg"
check "the dry run's JSON names the release" \
  json_check "$home/plan-2.0.0.json" '.release == "2.0.0" and .first == false'
check "the dry run classed public/uploads as USER" \
  json_check "$home/plan-2.0.0.json" '[.paths[] | select(.path == "public/uploads")][0].class == "USER"'
diff_step=$(grep -n 'persist diff 2.0.0 2.1.0' <(guide_commands "$GUIDE") | cut -d: -f1)
check "persist diff 2.0.0 2.1.0 names the deleted file" \
  grep -qE '^removed +routes/web.php' "$WORK/guide-vendor-update-$diff_step.out"
persist_cmd verify verify --root "$site"
expect_rc 0 "the site the guide leaves is healthy"
persist_cmd log log --root "$site" --json
check "the runs: 3 deploys, then a rollback undone" json_check log.out \
  '[.runs[] | "\(.kind) \(.state)"] == ["deploy RUN_COMMITTED", "deploy RUN_COMMITTED",
    "deploy RUN_COMMITTED", "rollback RUN_UNDONE"]'

finish
