#!/usr/bin/env bash
# A deploy proven by a real web server: nginx and PHP-FPM from Debian,
# started by the test on a loopback port with its own configs
# (tests/stack/stack.sh), serving SITE/current/public of a small PHP app.
#
#  1. deploy v1 with --health-url: the check passes, a request gets v1.
#  2. deploy v2, whose index.php answers 500: the check fails, the deploy
#     is undone before persist returns (exit 1), the message names the URL,
#     the status, the body's first line and the release that stays live; a
#     request gets v1 again, and the site is exactly as before the deploy.
#     persist show lists the failed check.
#  3. deploy v3 (good): passes, a request gets v3.
#  4. The profile's health_url and health_expect ("200 Acme shop"): a
#     release that answers 200 without that text is undone too; the
#     profile's reload commands run after the switch and again after that
#     undo, their output kept in the run.
#  5. rollback and undo that move current are checked too: undo of v5 goes
#     back to v3, checked; a rollback to a release that fails the check is
#     undone.
#  6. The OPcache trap, reproduced: nginx handing PHP the unresolved path
#     ($document_root) with OPcache on, a deploy without reload leaves FPM
#     serving the old release; with the profile's reload (a USR2 to FPM)
#     the health check and every request get the new one.
#  7. Bad input, refused with nothing touched (exit 2): --health-url that is
#     no http(s) URL, --health-url with --no-health, a health_expect that
#     does not parse.
#
# usage: health_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/../blackbox/lib.sh"
init_test "${1:-}"
source "$(dirname "$0")/stack.sh"
cd "$WORK" || die "cd $WORK"

# release DIR VERSION [STATUS] [BODY]: a small Laravel-shaped app whose
# public/index.php answers STATUS (200) with BODY ("Acme shop release
# VERSION").
release() {
  local dir=$1 version=$2 status=${3:-200} body=${4:-"Acme shop release $2"}
  mkdir -p "$dir/public/uploads" "$dir/storage/framework/views" "$dir/bootstrap/cache"
  printf '<?php // artisan\n' >"$dir/artisan"
  printf '<?php\nhttp_response_code(%s);\necho "%s\\n";\n' "$status" "$body" >"$dir/public/index.php"
}

# The site exists before the web server serves it: a first release,
# deployed unchecked.
release v0 v0 200 "Coming soon"
mkdir site
persist_cmd d0 deploy "$WORK/v0" --root site --id v0 --no-health
expect_rc 0 "deploy of v0, before the web server runs"
stack_start_nginx_fpm "$WORK/site/current/public"
get() { curl -s --max-time 10 "$STACK_URL/"; }
check "a request gets v0" same_text "answer" "$(get)" "Coming soon"

# ------------------------------------------------------------ 1. v1 passes

release v1 v1
persist_cmd d1 deploy "$WORK/v1" --root site --id v1 --health-url "$STACK_URL/"
expect_rc 0 "deploy of v1, health-checked"
check "the check passed and said so" has d1.err "health check $STACK_URL/ (release v1): passed, status 200"
check "a request gets v1" same_text "answer" "$(get)" "Acme shop release v1"

# ------------------------------------------------ 2. v2 fails and is undone

release v2 v2 500 "PHP Fatal error in v2"
snapshot site before-v2.snap
persist_cmd d2 deploy "$WORK/v2" --root site --id v2 --health-url "$STACK_URL/"
expect_rc 1 "deploy of a release that answers 500"
check "the message names the URL and the status" has d2.err "$STACK_URL/: failed: status 500 outside 200-399"
check "the message shows the body" has d2.err "PHP Fatal error in v2"
check "the message names the release that stays live" has d2.err "release v1 stays live"
check "a request gets v1 again" same_text "answer" "$(get)" "Acme shop release v1"
snapshot site after-v2.snap
check "the site is exactly as before the deploy" same_snapshot before-v2.snap after-v2.snap
run2=$("$PERSIST" log --root site --json | jq -r '[.runs[] | select(.release == "v2")][0].id')
persist_cmd show2 show "$run2" --root site
expect_rc 0 "persist show of the undone deploy"
check "persist show lists the failed check" has show2.out "health check $STACK_URL/ (release v2): failed: status 500 outside 200-399, status 500"
check "the run is recorded as failed, and undone" bash -c "'$PERSIST' log --root site --json | jq -e '.runs[] | select(.id == \"$run2\") | .state == \"RUN_FAILED\"' >/dev/null"
# A plain undo now would take the deploy of v1, which is live: refused.
persist_cmd u2 undo --root site --yes
expect_rc 2 "a plain undo right after the failed deploy"
check "it says why and names the run it would take" has u2.err "failed and was undone already"
check "v1 is still served" same_text "answer" "$(get)" "Acme shop release v1"

# --------------------------------------------------------------- 3. v3 good

release v3 v3
persist_cmd d3 deploy "$WORK/v3" --root site --id v3 --health-url "$STACK_URL/"
expect_rc 0 "deploy of v3, health-checked"
check "a request gets v3" same_text "answer" "$(get)" "Acme shop release v3"

# ------------------------------------------- 4. the profile's checks, reload

cat >site/shared/.persistence-config <<PROFILE
health_url: "$STACK_URL/"
health_expect: "200 Acme shop"
reload: "echo reloaded \$PERSIST_RELEASE >>$WORK/reloads.log"
PROFILE
release v4 v4 200 "Maintenance mode"
snapshot site before-v4.snap
persist_cmd d4 deploy "$WORK/v4" --root site --id v4
expect_rc 1 "deploy of a release without the expected text"
check "the message says what the body lacked" has d4.err 'body does not contain "Acme shop"'
check "a request gets v3 again" same_text "answer" "$(get)" "Acme shop release v3"
snapshot site after-v4.snap
check "the site is exactly as before the deploy" same_snapshot before-v4.snap after-v4.snap
check "the reload ran after the switch and again after the undo" same_text "reloads" \
  "$(cat reloads.log)" "$(printf 'reloaded v4\nreloaded v3')"
release v5 v5
persist_cmd d5 deploy "$WORK/v5" --root site --id v5
expect_rc 0 "deploy of v5, checked by the profile alone"
check "a request gets v5" same_text "answer" "$(get)" "Acme shop release v5"
run5=$("$PERSIST" log --root site --json | jq -r '[.runs[] | select(.release == "v5")][0].id')
persist_cmd show5 show "$run5" --root site
check "persist show keeps the reload's output" has show5.out "reload"
check "persist show lists the passed check" has show5.out "health check $STACK_URL/ (release v5): passed, status 200 (1 attempt)"

# ---------------------------------------------- 5. undo and rollback checked

persist_cmd undo5 undo --root site --yes
expect_rc 0 "undo of v5, checked"
check "the undo's check passed" has undo5.err "(release v3): passed"
check "a request gets v3" same_text "answer" "$(get)" "Acme shop release v3"
persist_cmd rb rollback --root site --no-health
expect_rc 0 "rollback with --no-health"
check "a request gets v1" same_text "answer" "$(get)" "Acme shop release v1"
persist_cmd rb2 rollback --root site --to v0
expect_rc 1 "rollback to v0, which lacks the text health_expect asks for"
check "the rollback was undone: a request gets v1" same_text "answer" "$(get)" "Acme shop release v1"
check "no check ran" bash -c '! grep -q "health check" rb.err'

# ------------------------------------------------------ 6. the OPcache trap

# nginx handing PHP the unresolved path ($document_root, not $realpath_root)
# with OPcache on, as many servers are set up: after the switch, FPM goes on
# serving the old release's compiled index.php (the trap is real), until
# the profile's reload resets it.
stack_stop
mkdir trap
release t1 t1
release t2 t2
release t3 t3
persist_cmd t1 deploy "$WORK/t1" --root trap --id t1
expect_rc 0 "deploy of t1"
STACK_OPCACHE=1 STACK_SCRIPT_ROOT=document_root stack_start_nginx_fpm "$WORK/trap/current/public"
check "a request gets t1" same_text "answer" "$(get)" "Acme shop release t1"
persist_cmd t2 deploy "$WORK/t2" --root trap --id t2 --no-health
expect_rc 0 "deploy of t2, no reload configured"
check "the trap: a request still gets t1" same_text "answer" "$(get)" "Acme shop release t1"
printf 'reload: "kill -USR2 %s && sleep 1"\nhealth_expect: "200 release t3"\n' "$STACK_FPM_PID" \
  >trap/shared/.persistence-config
persist_cmd t3 deploy "$WORK/t3" --root trap --id t3 --health-url "$STACK_URL/"
expect_rc 0 "deploy of t3 with the reload configured: the check sees t3"
check "a request gets t3" same_text "answer" "$(get)" "Acme shop release t3"

# ------------------------------------------------------------- 7. bad input

snapshot site before-bad.snap
persist_cmd bad1 deploy "$WORK/v5" --root site --id v6 --health-url "ftp://127.0.0.1/"
expect_rc 2 "a --health-url that is not http(s)"
check "it names the URL" has bad1.err "ftp://127.0.0.1/"
persist_cmd bad2 deploy "$WORK/v5" --root site --id v6 --health-url "$STACK_URL/" --no-health
expect_rc 2 "--health-url with --no-health"
sed -i 's/^health_expect: .*/health_expect: "fine"/' site/shared/.persistence-config
snapshot site before-bad.snap
persist_cmd bad3 deploy "$WORK/v5" --root site --id v6
expect_rc 2 "a health_expect that does not parse"
check "it names the profile" has bad3.err "health_expect in site/shared/.persistence-config: health_expect \"fine\"" ||
  show_file bad3.err
snapshot site after-bad.snap
check "nothing changed" same_snapshot before-bad.snap after-bad.snap
finish
