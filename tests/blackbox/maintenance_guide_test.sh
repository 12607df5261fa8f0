#!/usr/bin/env bash
# docs/guides/maintenance.md works as written: from a site set up as
# first-setup.md leaves it, with a user's upload and an edited .env, and
# served by python3's http.server on a free port of 127.0.0.1 (the guide's
# 127.0.0.1:8080), every command the guide gives to type runs in order and
# succeeds. Between steps the test breaks the site as the guide says it may
# be found: a user's file deleted before the restore, a deploy killed
# halfway (strace) before the emergency steps, a link into shared/ deleted
# before the repair and again before emergency-recovery.sh. The site it
# leaves serves 2.0.0, holds the user's data byte for byte, and is healthy;
# so is the site restored onto the "new server".
#
# usage: maintenance_guide_test.sh PATH_TO_PERSIST PATH_TO_GUIDE   (bazel passes both)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/guide_lib.sh"
init_guide_test "${1:-}" "${2:-}"
require_strace

first_site "$home"
mkdir -p "$site/shared/public/uploads/avatars"
printf 'jpeg bytes of user 42\n' >"$site/shared/public/uploads/avatars/user-42.jpg"
printf 'APP_KEY=base64:live\nDB_PASSWORD=hunter2\n' >"$site/shared/.env"
cp -p "$site/shared/public/uploads/avatars/user-42.jpg" "$site/shared/.env" "$WORK/"
serve_site "$site/current/public"

# interrupt SITE: a deploy of 1.0.0 killed by strace at its 2nd renameat2,
# leaving an interrupted run.
interrupt() {
  run_quiet killed.out killed.err strace -f -o /dev/null -e trace=renameat2 \
    -e inject=renameat2:signal=KILL:when=2 \
    "$PERSIST" deploy "$home/uploads/shop-1.0.0.zip" --root "$1" --id killed --no-health
  check "the deploy is killed (exit $rc)" test "$rc" -eq 137 || show_file killed.err
  persist_cmd interrupted status --root "$1" --json
  check "status shows the interrupted run" json_check interrupted.out '.interrupted != null'
}

# break_link: the live release's link to shared/storage deleted by hand.
break_link() {
  rm "$site/current/storage" || fail "rm current/storage"
  persist_cmd broken verify --root "$site"
  expect_rc 1 "verify finds the missing link"
}

# Before each step, what the guide says the operator may find there.
before_step() {
  local n=$1 command=$2
  case $command in
    "persist restore ~/backups/example.com-1.tar --root ~/example.com")
      rm "$site/shared/public/uploads/avatars/user-42.jpg" ;;
    "persist status --root ~/example.com")
      # The third status of the guide is the emergency section's.
      statuses=$((statuses + 1))
      ((statuses != 3)) || interrupt "$site" ;;
    "persist repair --root ~/example.com --dry-run")
      break_link ;;
    "~/example.com/shared/emergency-recovery.sh")
      interrupt "$site"
      break_link ;;
  esac
  return 0
}
statuses=0

run_guide "$GUIDE" "$home" before_step
stop_server

check "current is releases/2.0.0" same_text current "$(readlink "$site/current")" "releases/2.0.0"
check "no release 'killed' is left" test ! -e "$site/releases/killed"
check "the live release's storage link is back" \
  same_text storage "$(readlink "$site/current/storage")" "../../shared/storage"
check "the user's upload is byte for byte as before" \
  cmp "$WORK/user-42.jpg" "$site/shared/public/uploads/avatars/user-42.jpg"
check ".env is byte for byte as before" cmp "$WORK/.env" "$site/shared/.env"
check "the profile holds the health URL the guide set" \
  has "$site/shared/.persistence-config" 'health_url: "http://127.0.0.1:'
check "the backup is mode 0600" \
  same_text mode "$(stat -c %a "$home/backups/example.com-1.tar")" "600"
check "the backup holds the user's upload under shared/" \
  grep -qx 'shared/public/uploads/avatars/user-42.jpg' <(tar -tf "$home/backups/example.com-1.tar")
persist_cmd show-log log --root "$site" --json
check "the deploy of 2.0.0, the rollback and its undo ran health checks that passed" \
  json_check show-log.out '[.runs[] | select(.kind == "rollback")] | length == 1'
persist_cmd status status --root "$site" --json
check "status has the last health check" json_check status.out '.last_health_check != null'
persist_cmd verify verify --root "$site"
expect_rc 0 "the site the guide leaves is healthy"

new=$home/new-server/example.com
check "the new server serves 2.0.0" same_text new-current "$(readlink "$new/current")" "releases/2.0.0"
check "the new server holds the user's upload" \
  cmp "$WORK/user-42.jpg" "$new/shared/public/uploads/avatars/user-42.jpg"
check "the new server holds .env" cmp "$WORK/.env" "$new/shared/.env"
check "the new server's .env is private" same_text mode "$(stat -c %a "$new/shared/.env")" "600"
persist_cmd verify-new verify --root "$new"
expect_rc 0 "the new server's site is healthy"

finish
