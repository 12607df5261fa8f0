#!/usr/bin/env bash
# ansible/playbooks on a simulated fleet (tests/fleet/fleet.sh): four hosts,
# each a real sshd on its own port of 127.0.0.1 with its own site, driven by
# Debian's ansible-playbook over real SSH. Every case ends with each host's
# site compared byte for byte with what it was before (snapshots, as
# tests/blackbox/lib.sh makes them), and with the report the controller wrote:
#  - a good release: every host switches, all to the same release id, each
#    with its staging and switch in its journal under the fleet run; the
#    release is shipped to .persist-incoming beside each site, or to the
#    persist_ship_dir the inventory gives host3;
#  - the fleet undo after it: every host back exactly; run again, nothing
#    changes and it still succeeds;
#  - one host cannot stage (a release of that id is there already): nothing
#    switches anywhere, every staging is undone;
#  - one host's health check answers 500 after its switch: every host's
#    switch and staging are undone, all serve the old release;
#  - two controllers: the second one's view of the fleet is stale, so its
#    --expect-current makes every staging refuse: nothing is staged, and
#    the fleet stays on the first one's release;
#  - one host unreachable in the switch phase (its sshd and connections
#    stopped by the controller's persist_before_switch command, after every
#    host staged): the others switch and are undone, the report names it
#    unreachable; once its sshd is back it is found in its pre-switch state
#    (current on the old release, its staging committed), and undo.yml
#    undoes that staging, and removes a release shipped for that fleet run
#    and left unstaged;
#  - rollback.yml: to a release one host lacks, it refuses before changing
#    any host; to a release every host holds, every host rolls to it (and
#    undo.yml undoes that); when one host's health check fails after its
#    rollback, every host's rollback is undone;
#  - an update package (-e update=PKG, an Info-ZIP zip): only the package
#    travels, every host makes the new release from its live one, and
#    undo.yml takes it back exactly; with one host on another release, the
#    play refuses before it ships anything, naming each host's release, and
#    so does a full release (another controller's switch phase looks so),
#    removing the incoming directory it made; with -e
#    allow_split_fleet=true every host deploys over its own live release.
#
# usage: fleet_test.sh PATH_TO_PERSIST   (bazel passes it)
runfiles=$PWD
source "$runfiles/tests/blackbox/lib.sh"
init_test "${1:-}"
source "$runfiles/tests/fleet/fleet.sh"
FLEET_PLAYBOOKS=$runfiles/ansible/playbooks
cd "$WORK" || die "cd $WORK"

# start_http STATUS: a web server on 127.0.0.1 that answers every GET with
# STATUS, on port HTTP_PORT. Stopped by the EXIT trap with the fleet. (Not
# in a command substitution, which would wait for the server's stdout.)
start_http() {
  local status=$1
  HTTP_PORT=$(fleet_free_port) || die "no free port"
  python3 - "$HTTP_PORT" "$status" >/dev/null 2>&1 <<'PY' &
import http.server, sys
port, status = int(sys.argv[1]), int(sys.argv[2])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n" if status < 400 else b"broken release\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
PY
  HTTP_PIDS+=($!)
  local tries
  for ((tries = 0; tries < 50; tries++)); do
    curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && return 0
    sleep 0.1
  done
  die "the test's web server on 127.0.0.1:$HTTP_PORT does not answer"
}
HTTP_PIDS=()
stop_all() {
  fleet_stop_all
  local pid
  for pid in "${HTTP_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
}

# host3 is shipped to its own persist_ship_dir, set in the inventory.
FLEET_HOST_VARS[host3]="persist_ship_dir=$WORK/fleet/host3/incoming"
# incoming NAME: where NAME's release is shipped to.
incoming() {
  if [[ $1 == host3 ]]; then echo "$FLEET/host3/incoming"; else echo "$FLEET/$1/.persist-incoming"; fi
}
fleet_start 4
trap stop_all EXIT
for v in v1 v2 v3 v4 v5; do sample_release "$v" small "$v"; done
fleet_deploy_all "$WORK/v1" v1
fleet_snapshot on-v1
reports=(-e persist_report_dir="$WORK/reports")

# ------------------------------------------------------------ a good release

fleet_playbook good deploy.yml -e release="$WORK/v2" -e release_id=v2 "${reports[@]}"
expect_rc 0 "deploy.yml of a good release" || show_file good.out
fleet_all_on v2 "a good release"
fleet_report good deploy
check "the report says the fleet switched" json_check good.json '.outcome == "switched" and .release == "v2"'
check "and every host switched, from v1" \
  json_check good.json '[.hosts[] | select(.state == "switched" and .previous == "v1" and .current == "v2")] | length == 4'
fid=$(json_get good.json '.fleet_run')
for name in "${FLEET_HOSTS[@]}"; do
  "$PERSIST" log --root "$FLEET/$name/site" --json >"good-$name.log"
  check "$name's journal holds the staging and the switch under fleet run $fid" \
    json_check "good-$name.log" '[.runs[] | select(.fleet_run == $f) | "\(.kind) \(.release) \(.state)"]
      == ["deploy v2 RUN_COMMITTED", "switch v2 RUN_COMMITTED"]' --arg f "$fid"
  check "the shipped release has left $name's incoming directory, $(incoming "$name")" \
    test -d "$(incoming "$name")" -a -z "$(ls -A "$(incoming "$name")")"
done
check "host3's persist_ship_dir from the inventory was used, and no other" test ! -e "$FLEET/host3/.persist-incoming"
check "the packed release has left the controller" \
  test -z "$(find "$WORK/reports" -name '*.tar.gz')"

# ------------------------------------------------------------ fleet undo, twice

fleet_playbook undo1 undo.yml "${reports[@]}"
expect_rc 0 "undo.yml after the good deploy" || show_file undo1.out
fleet_snapshot undone
fleet_same on-v1 undone "the fleet undo"
fleet_report undo1 undo
check "the undo report names the fleet run, every host undone" \
  json_check undo1.json '.fleet_run == $f and .outcome == "undone" and ([.hosts[].state] | unique) == ["undone"]' \
  --arg f "$fid"
fleet_playbook undo2 undo.yml "${reports[@]}"
expect_rc 0 "undo.yml run again" || show_file undo2.out
fleet_snapshot undone-twice
fleet_same on-v1 undone-twice "the second fleet undo"

# ------------------------------------------------------------ a host cannot stage

mkdir "$FLEET/host3/site/releases/v3"
fleet_snapshot before-stage-failure
fleet_playbook stage deploy.yml -e release="$WORK/v3" -e release_id=v3 "${reports[@]}"
expect_rc 2 "deploy.yml when host3 cannot stage" || show_file stage.out
fleet_all_on v1 "a failed stage"
fleet_snapshot after-stage-failure
fleet_same before-stage-failure after-stage-failure "a failed stage"
fleet_report stage deploy
check "the report names the stage phase" json_check stage.json '.outcome == "undone" and .failed_phase == "stage"'
check "host3 staged nothing, and says why" \
  json_check stage.json '.hosts[] | select(.host == "host3") | .state == "untouched" and (.error | test("releases/v3 exists already"))'
check "the other hosts' stagings are undone" \
  json_check stage.json '[.hosts[] | select(.host != "host3") | .state] == ["undone", "undone", "undone"]'
check "the play's failure names host3" has stage.out "host3: persist: error: releases/v3 exists already"
rmdir "$FLEET/host3/site/releases/v3"

# ------------------------------------------------------------ a health check fails

start_http 200
good_port=$HTTP_PORT
start_http 500
bad_port=$HTTP_PORT
for name in "${FLEET_HOSTS[@]}"; do
  FLEET_HOST_VARS[$name]="persist_health_url=http://127.0.0.1:$good_port/"
done
FLEET_HOST_VARS[host2]="persist_health_url=http://127.0.0.1:$bad_port/"
fleet_write_inventory
fleet_playbook health deploy.yml -e release="$WORK/v3" -e release_id=v3 "${reports[@]}"
expect_rc 2 "deploy.yml when host2's health check fails" || show_file health.out
fleet_all_on v1 "a failed health check"
fleet_snapshot after-health-failure
fleet_same on-v1 after-health-failure "a failed health check"
fleet_report health deploy
check "the report names the switch phase" json_check health.json '.outcome == "undone" and .failed_phase == "switch"'
check "host2's error is its health check's 500" \
  json_check health.json '.hosts[] | select(.host == "host2") | .error | test("500")'
check "every host is undone" json_check health.json '([.hosts[].state] | unique) == ["undone"]'
check "every host had switched before it was undone" \
  json_check health.json '[.hosts[] | select(.host != "host2") | .runs[] | select(.kind == "switch") | .state] == ["RUN_UNDONE", "RUN_UNDONE", "RUN_UNDONE"]'

# ------------------------------------------------------------ two controllers

# Every host's health check passes from here on.
FLEET_HOST_VARS[host2]="persist_health_url=http://127.0.0.1:$good_port/"
fleet_write_inventory

fleet_playbook first deploy.yml -e release="$WORK/v4" -e release_id=v4 "${reports[@]}"
expect_rc 0 "the first controller's deploy of v4" || show_file first.out
fleet_all_on v4 "the first controller"
fleet_report first deploy
first_fid=$(json_get first.json '.fleet_run')
fleet_snapshot on-v4
# The second controller read the fleet when it was still on v1.
fleet_playbook second deploy.yml -e release="$WORK/v5" -e release_id=v5 -e expect_current=v1 "${reports[@]}"
expect_rc 2 "the second controller, whose view is stale" || show_file second.out
fleet_all_on v4 "after the second controller"
fleet_snapshot after-second
fleet_same on-v4 after-second "the second controller's failed deploy"
fleet_report second deploy
check "the second controller's report: refused at the stage, nothing staged anywhere" \
  json_check second.json '.failed_phase == "stage" and ([.hosts[].state] | unique) == ["untouched"]'
check "each refusal says where current is" \
  json_check second.json '[.hosts[].error | select(test("points at release v4, not at release v1"))] | length == 4'
# The second controller left no run in any journal: the last fleet run is
# the first one's, which undo.yml undoes; named again, nothing changes.
fleet_playbook undo3 undo.yml "${reports[@]}"
expect_rc 0 "undo.yml after the second controller's refused run" || show_file undo3.out
fleet_report undo3 undo
check "undo.yml found the first controller's fleet run" json_check undo3.json '.fleet_run == $f' --arg f "$first_fid"
fleet_snapshot after-undo3
fleet_same on-v1 after-undo3 "undo.yml of the first controller's fleet run"
fleet_playbook undo4 undo.yml -e fleet_run="$first_fid" "${reports[@]}"
expect_rc 0 "undo.yml -e fleet_run of the first controller's run, again" || show_file undo4.out
fleet_snapshot after-undo4
fleet_same on-v1 after-undo4 "undo.yml -e fleet_run of a fleet run undone already"

# ------------------------------------------------------------ a host goes away before its switch

# The controller's persist_before_switch command (run once every host has
# staged, before any switches) stops host2's sshd and its connections, as a
# host that goes down does: host2 staged, and cannot be reached to switch.
fleet_drop_script host2 >"$WORK/drop-host2"
chmod +x "$WORK/drop-host2"
fleet_snapshot before-unreachable
fleet_playbook unreachable deploy.yml -e release="$WORK/v2" -e release_id=v2 \
  -e persist_before_switch="$WORK/drop-host2" "${reports[@]}"
expect_rc 2 "deploy.yml when host2 is unreachable in the switch phase" || show_file unreachable.out
fleet_report unreachable deploy
unreachable_fid=$(json_get unreachable.json '.fleet_run')
check "the report: the switch phase failed, the fleet is not all undone" \
  json_check unreachable.json '.failed_phase == "switch" and .outcome == "incomplete"'
check "the report names host2 unreachable" \
  json_check unreachable.json '.hosts[] | select(.host == "host2") | .state == "unreachable" and .reachable == false'
check "the other hosts switched, then were undone" \
  json_check unreachable.json '[.hosts[] | select(.host != "host2") | "\(.state) \([.runs[] | "\(.kind) \(.state)"] | join(","))"] | unique
    == ["undone deploy RUN_UNDONE,switch RUN_UNDONE"]'
check "the play's failure names host2" has unreachable.out "the switch phase failed on host2: "
check "and says it could not be reached" has unreachable.out "Connection refused"
fleet_start_host host2
for name in host1 host3 host4; do
  check "$name is back on v1" test "$(fleet_current "$name")" = v1
done
check "host2, back, is in its pre-switch state: current at v1" test "$(fleet_current host2)" = v1
"$PERSIST" log --root "$FLEET/host2/site" --json >unreachable-host2.log
check "host2, back, holds its staging of the fleet run and no switch" \
  json_check unreachable-host2.log '[.runs[] | select(.fleet_run == $f) | "\(.kind) \(.release) \(.state)"]
    == ["deploy v2 RUN_COMMITTED"]' --arg f "$unreachable_fid"
# A release shipped for the fleet run but never staged (a host cut off
# between the two) is the fleet run's to remove; another's is not.
touch "$FLEET/host2/.persist-incoming/$unreachable_fid.tar.gz" "$FLEET/host2/.persist-incoming/fleet-other.tar.gz"
fleet_playbook reconcile undo.yml "${reports[@]}"
expect_rc 0 "undo.yml once host2 is back" || show_file reconcile.out
check "undo.yml removed the release shipped to host2 for the fleet run" \
  test ! -e "$FLEET/host2/.persist-incoming/$unreachable_fid.tar.gz"
check "and left another fleet run's" rm "$FLEET/host2/.persist-incoming/fleet-other.tar.gz"
fleet_report reconcile undo
check "undo.yml found the fleet run host2 was left in, and every host is undone" \
  json_check reconcile.json '.fleet_run == $f and .outcome == "undone" and ([.hosts[].state] | unique) == ["undone"]' \
  --arg f "$unreachable_fid"
fleet_snapshot after-reconcile
fleet_same before-unreachable after-reconcile "a host unreachable in the switch phase, reconciled by undo.yml"

# ------------------------------------------------------------ fleet rollback to a named release

fleet_playbook good2 deploy.yml -e release="$WORK/v2" -e release_id=v2 "${reports[@]}"
expect_rc 0 "deploy.yml of v2, for the rollbacks" || show_file good2.out
fleet_all_on v2 "the deploy before the rollbacks"
fleet_report good2 deploy
fleet_snapshot on-v2

# host1 alone holds v5 (staged by hand): a fleet rollback to v5 refuses
# before changing any host, naming the hosts that lack it.
"$PERSIST" deploy "$WORK/v5" --root "$FLEET/host1/site" --no-switch --id v5 >stage-v5.out 2>&1 ||
  die "staging v5 on host1 failed: $(cat stage-v5.out)"
fleet_snapshot before-refused
fleet_playbook refused rollback.yml -e release=v5 "${reports[@]}"
expect_rc 2 "rollback.yml to a release only host1 holds" || show_file refused.out
fleet_snapshot after-refused
fleet_same before-refused after-refused "a refused fleet rollback"
fleet_report refused rollback
check "the report: refused at the check, no host touched" \
  json_check refused.json '.outcome == "refused" and .failed_phase == "check" and ([.hosts[].state] | unique) == ["untouched"]'
check "it names each host that lacks v5" \
  json_check refused.json '[.hosts[] | select(.error | test("release v5 is not in the history of this host")) | .host]
    == ["host2", "host3", "host4"]'
check "the play's failure says no host changed" has refused.out "refused, no host changed"
"$PERSIST" undo --root "$FLEET/host1/site" --yes >undo-v5.out 2>&1 || die "undo of v5 on host1 failed: $(cat undo-v5.out)"
fleet_snapshot v5-undone
fleet_same on-v2 v5-undone "host1's staging of v5 undone by hand"

# Every host holds v1: the fleet rolls to it, then undo.yml undoes that.
fleet_playbook rollback rollback.yml -e release=v1 "${reports[@]}"
expect_rc 0 "rollback.yml to v1" || show_file rollback.out
fleet_all_on v1 "a fleet rollback to v1"
fleet_report rollback rollback
rollback_fid=$(json_get rollback.json '.fleet_run')
check "the report: every host rolled from v2 to v1" \
  json_check rollback.json '.outcome == "switched" and .release == "v1"
    and ([.hosts[] | "\(.state) \(.previous) \(.current)"] | unique) == ["switched v2 v1"]'
for name in "${FLEET_HOSTS[@]}"; do
  "$PERSIST" log --root "$FLEET/$name/site" --json >"rollback-$name.log"
  check "$name's journal holds the rollback under fleet run $rollback_fid" \
    json_check "rollback-$name.log" '[.runs[] | select(.fleet_run == $f) | "\(.kind) \(.release) \(.state)"]
      == ["rollback v1 RUN_COMMITTED"]' --arg f "$rollback_fid"
done
fleet_playbook undo-rollback undo.yml "${reports[@]}"
expect_rc 0 "undo.yml after the fleet rollback" || show_file undo-rollback.out
fleet_snapshot rollback-undone
fleet_same on-v2 rollback-undone "undo.yml of the fleet rollback"

# host2's health check fails after its rollback: every host's rollback is
# undone, all stay on v2.
FLEET_HOST_VARS[host2]="persist_health_url=http://127.0.0.1:$bad_port/"
fleet_write_inventory
fleet_playbook rollback-health rollback.yml -e release=v1 "${reports[@]}"
expect_rc 2 "rollback.yml when host2's health check fails" || show_file rollback-health.out
fleet_all_on v2 "a fleet rollback whose health check failed"
fleet_snapshot after-rollback-health
fleet_same on-v2 after-rollback-health "a fleet rollback whose health check failed on host2"
fleet_report rollback-health rollback
check "the report: the rollback phase failed, every host undone" \
  json_check rollback-health.json '.failed_phase == "rollback" and .outcome == "undone" and ([.hosts[].state] | unique) == ["undone"]'
check "host2's error is its health check's 500" \
  json_check rollback-health.json '.hosts[] | select(.host == "host2") | .error | test("500")'
FLEET_HOST_VARS[host2]="persist_health_url=http://127.0.0.1:$good_port/"
fleet_write_inventory

# ------------------------------------------------------------ an update package

# The vendor's update package over v2: a changed file and a new one, zipped
# by Info-ZIP. Only the zip travels; each host makes v2u from its own v2.
mkdir -p pkg/public pkg/app
printf '<?php // index of the update\n' >pkg/public/index.php
printf '<?php // new in the update\n' >pkg/app/update.php
(cd pkg && zip -qr "$WORK/update.zip" .) || die "zip of the update package failed"
fleet_snapshot before-update
fleet_playbook update deploy.yml -e update="$WORK/update.zip" -e release_id=v2u "${reports[@]}"
expect_rc 0 "deploy.yml -e update=PKG" || show_file update.out
fleet_all_on v2u "an update package"
fleet_report update deploy
check "the report: switched, from the update package" \
  json_check update.json '.outcome == "switched" and .update == true and (.source | endswith("/update.zip"))'
for name in "${FLEET_HOSTS[@]}"; do
  rel=$FLEET/$name/site/releases
  check "$name's v2u has the package's new file" cmp "$rel/v2u/app/update.php" pkg/app/update.php
  check "$name's v2u has the package's changed file" cmp "$rel/v2u/public/index.php" pkg/public/index.php
  check "$name's v2u keeps v2's files the package leaves alone" cmp "$rel/v2u/artisan" "$rel/v2/artisan"
done
check "nothing was packed on the controller: the zip travelled as it is" \
  test -z "$(find "$WORK/reports" -name '*.tar.gz')"
fleet_playbook update-undo undo.yml "${reports[@]}"
expect_rc 0 "undo.yml after the update" || show_file update-undo.out
fleet_snapshot update-undone
fleet_same before-update update-undone "undo.yml of the update package"

# host3 on v1 by hand: the hosts are not on one release, so the update
# package would make different releases of one id. Refused before shipping.
"$PERSIST" switch v1 --root "$FLEET/host3/site" >host3-v1.out 2>&1 || die "switch of host3 to v1: $(cat host3-v1.out)"
fleet_snapshot split
for name in "${FLEET_HOSTS[@]}"; do ls -A "$(incoming "$name")" >"incoming-$name.before" 2>&1; done
fleet_playbook update-split deploy.yml -e update="$WORK/update.zip" -e release_id=v2u "${reports[@]}"
expect_rc 2 "deploy.yml -e update=PKG on a fleet on two releases"
check "the refusal names each host's release" \
  grep -q "host1: v2, host2: v2, host3: v1, host4: v2" update-split.out || show_file update-split.out
fleet_snapshot split-refused
fleet_same split split-refused "a refused update package"
for name in "${FLEET_HOSTS[@]}"; do
  check "nothing was shipped to $name" \
    cmp -s "incoming-$name.before" <(ls -A "$(incoming "$name")" 2>&1)
done
# A full release to the split fleet: refused likewise, as another
# controller's switch phase looks; host4's incoming directory, which the
# play makes, is removed again.
rmdir "$FLEET/host4/.persist-incoming" || die "rmdir $FLEET/host4/.persist-incoming"
fleet_playbook release-split deploy.yml -e release="$WORK/v2" -e release_id=v3 "${reports[@]}"
expect_rc 2 "deploy.yml -e release=PATH on a fleet on two releases"
check "the refusal names each host's release and the way out" \
  grep -q "the hosts are not all on one release: host1: v2, host2: v2, host3: v1, host4: v2; another controller may be switching the fleet" \
  release-split.out || show_file release-split.out
check "and the override" has release-split.out "-e allow_split_fleet=true; nothing was shipped"
fleet_snapshot release-split-refused
fleet_same split release-split-refused "a refused release to a split fleet"
check "the refused play removed the incoming directory it made on host4" test ! -e "$FLEET/host4/.persist-incoming"
check "and left the others' as they were" \
  cmp -s incoming-host1.before <(ls -A "$FLEET/host1/.persist-incoming" 2>&1)
# With allow_split_fleet, each host deploys over its own live release.
fleet_playbook release-split-allowed deploy.yml -e release="$WORK/v2" -e release_id=v3 \
  -e allow_split_fleet=true "${reports[@]}"
expect_rc 0 "deploy.yml -e allow_split_fleet=true on a fleet on two releases" || show_file release-split-allowed.out
fleet_all_on v3 "a release deployed over a split fleet, allowed"
fleet_playbook release-split-undo undo.yml "${reports[@]}"
expect_rc 0 "undo.yml of the release deployed over the split fleet" || show_file release-split-undo.out
fleet_snapshot release-split-undone
fleet_same split release-split-undone "undo.yml of the release deployed over the split fleet"
"$PERSIST" undo --root "$FLEET/host3/site" --yes >host3-undo.out 2>&1 || die "undo on host3: $(cat host3-undo.out)"

finish
