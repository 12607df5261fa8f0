#!/usr/bin/env bash
# The two flags a fleet's controller drives each host with (ansible/):
#  - --fleet-run ID on deploy, switch, rollback and undo is recorded in the
#    run and shown by persist log and persist show, human and --json, and in
#    shared/.deployment-history; undo --fleet-run refuses a run of another
#    fleet run (or of none);
#  - switch, rollback and deploy --expect-current OLD refuse, exit 2, when
#    current is not at release OLD ('' for no current), naming the site,
#    where current is and what to do next (a deploy on a new site leaves no
#    .persist/ behind);
#  - while the site's latest run is a staging of fleet run B (deployed with
#    --no-switch, neither switched nor undone), a deploy, switch or rollback
#    of another fleet run refuses, exit 2, naming the staging and how to
#    undo it: on top of it, B's controller could not undo it.
# Every refusal, bad input included, leaves the site byte for byte as it was
# and adds no run.
#
# usage: fleet_flags_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

sample_release v1 small v1
sample_release v2 small v2
sample_release v3 small v3
mkdir site

# run_count: how many runs the journal holds.
run_count() { "$PERSIST" log --root site --json | jq '.runs | length'; }

# refused NAME WHAT ARGS...: persist ARGS exits 2, its message holds WHAT, and
# the site and its journal are as they were.
refused() {
  local name=$1 what=$2
  shift 2
  snapshot site "$name.before"
  local runs
  runs=$(run_count)
  persist_cmd "$name" "$@"
  expect_rc 2 "$name: refused"
  check "$name: the message says why" has "$name.err" "$what"
  snapshot site "$name.after"
  check "$name: the site is byte for byte as before" same_snapshot "$name.before" "$name.after"
  check "$name: no run was added" test "$(run_count)" = "$runs"
}

# ------------------------------------------------------- --fleet-run recorded

persist_cmd d1 deploy "$WORK/v1" --root site --id v1 --fleet-run fleet-A
expect_rc 0 "deploy of v1 in fleet run fleet-A"
persist_cmd log1 log --root site --json
check "log --json names the fleet run" json_check log1.out '.runs[0].fleet_run == "fleet-A"'
persist_cmd log1h log --root site
check "log names the fleet run" has log1h.out "fleet run fleet-A"

snapshot site on-v1.snap
persist_cmd stage deploy "$WORK/v2" --root site --id v2 --no-switch --fleet-run fleet-B --json
expect_rc 0 "v2 staged in fleet run fleet-B"
check "the staging's JSON names the fleet run" \
  json_check stage.out '.runs[0].fleet_run == "fleet-B" and .runs[0].release == "v2"'
check "current is still at v1" test "$(readlink site/current)" = releases/v1
stage_run=$(json_get stage.out '.runs[0].id')
snapshot site staged.snap

# ------------------------------------------------------- another fleet run's staging

refused other-fleet-stage "fleet run fleet-B staged release v2 on $(readlink -f site) (run $stage_run)" \
  deploy "$WORK/v3" --root site --id v3 --no-switch --fleet-run fleet-C
check "the refusal says how to undo that staging" \
  has other-fleet-stage.err "persist undo $stage_run --root $(readlink -f site) --fleet-run fleet-B --yes"
refused other-fleet-switch "fleet run fleet-B staged release v2" \
  switch v2 --root site --expect-current v1 --fleet-run fleet-C
refused other-fleet-rollback "fleet run fleet-B staged release v2" \
  rollback --to v1 --root site --fleet-run fleet-C

# ------------------------------------------------------- --expect-current

refused deploy-wrong-old "points at release v1, not at release v0" \
  deploy "$WORK/v3" --root site --id v3 --no-switch --expect-current v0 --fleet-run fleet-B
check "the deploy's refusal says to run the deploy again" \
  has deploy-wrong-old.err "run persist deploy again with --expect-current v1"
mkdir fresh
persist_cmd fresh deploy "$WORK/v1" --root fresh --id v1 --expect-current v0
expect_rc 2 "a deploy to a new site with --expect-current v0"
check "it says the new site has no current" has fresh.err "points at no release, not at release v0"
check "and leaves nothing behind" test -z "$(ls -A fresh)"

refused wrong-old "points at release v1, not at release v0" \
  switch v2 --root site --expect-current v0 --fleet-run fleet-B
check "the refusal names the site" has wrong-old.err "current of site "
check "and the next step" has wrong-old.err "run persist switch again with --expect-current v1"
refused no-current "points at release v1, not at no release" \
  switch v2 --root site --expect-current ''
refused bad-old "cannot be a release id" switch v2 --root site --expect-current ../v1
refused wrong-old-rollback "points at release v1, not at release v0" \
  rollback --to v1 --root site --expect-current v0 --fleet-run fleet-B
check "the rollback's refusal says to run the rollback again" \
  has wrong-old-rollback.err "run persist rollback again with --expect-current v1"
refused bad-fleet-switch "cannot be a fleet run id" switch v2 --root site --fleet-run 'a/b'
refused bad-fleet-deploy "cannot be a fleet run id" \
  deploy "$WORK/v3" --root site --id v3 --fleet-run ''
refused bad-fleet-rollback "cannot be a fleet run id" rollback --root site --fleet-run ..
refused bad-fleet-undo "cannot be a fleet run id" undo --root site --yes --fleet-run 'x y'
refused other-fleet-undo "is part of fleet run fleet-B, not of fleet run fleet-A" \
  undo --root site --yes --fleet-run fleet-A
refused no-release "there is no release v9" switch v9 --root site --expect-current v1

persist_cmd sw switch v2 --root site --expect-current v1 --fleet-run fleet-B --json
expect_rc 0 "switch to v2 with --expect-current v1"
check "current is at v2" test "$(readlink site/current)" = releases/v2
check "switch --json gives the run and its fleet run" \
  json_check sw.out '.runs[0].kind == "switch" and .runs[0].fleet_run == "fleet-B"'
switch_run=$(json_get sw.out '.runs[0].id')
persist_cmd show show "$switch_run" --root site
check "show names the fleet run" has show.out "fleet run fleet-B"
persist_cmd showj show "$switch_run" --root site --json
check "show --json names the fleet run" json_check showj.out '.run.fleet_run == "fleet-B"'
check "the history names the fleet run" \
  has site/shared/.deployment-history "switch to v2 from v1 (fleet run fleet-B)"
persist_cmd again switch v2 --root site --expect-current v2 --json
expect_rc 0 "a switch to where current is, as expected"
check "makes no run" json_check again.out '.runs == []'
refused stale-view "points at release v2, not at release v1" \
  switch v2 --root site --expect-current v1

# A fleet's undo: its own runs, newest first, each named.
persist_cmd u1 undo "$switch_run" --root site --yes --fleet-run fleet-B
expect_rc 0 "undo of the fleet's switch"
snapshot site u1.snap
check "the undo of the switch leaves v2 staged exactly" same_snapshot staged.snap u1.snap
persist_cmd u2 undo "$stage_run" --root site --yes --fleet-run fleet-B
expect_rc 0 "undo of the fleet's staging"
snapshot site u2.snap
check "the undo of the staging leaves v1 exactly" same_snapshot on-v1.snap u2.snap
persist_cmd log2 log --root site --json
check "both runs of fleet-B are undone" \
  json_check log2.out '[.runs[] | select(.fleet_run == "fleet-B") | .state] == ["RUN_UNDONE", "RUN_UNDONE"]'

# rollback records its fleet run too.
persist_cmd d3 deploy "$WORK/v3" --root site --id v3 --fleet-run fleet-C
expect_rc 0 "deploy of v3"
persist_cmd rb rollback --root site --fleet-run fleet-D --json
expect_rc 0 "rollback in fleet run fleet-D"
check "rollback --json names the fleet run and the release" \
  json_check rb.out '.runs[0].kind == "rollback" and .runs[0].fleet_run == "fleet-D" and .runs[0].release == "v1"'
persist_cmd plain switch v3 --root site
expect_rc 0 "a switch outside any fleet"
refused no-fleet-undo "is not part of any fleet run" \
  undo --root site --yes --fleet-run fleet-D --dry-run

finish
