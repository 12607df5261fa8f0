#!/usr/bin/env bash
# ansible/playbooks against faults a fleet meets, on a simulated fleet of
# four hosts (tests/fleet/fleet.sh: real sshds on 127.0.0.1, Debian's
# ansible-playbook over real SSH). Each case ends with every host's site
# compared byte for byte with its state before (snapshots, as
# tests/blackbox/lib.sh makes them), and with the reports the controllers
# wrote:
#  - one host's disk fills up during the stage: host2's site is a small
#    tmpfs, and the release holds thousands of small files, which its
#    listing declares at some tens of KiB (so persist's free-space check
#    lets it through) but which take a page each there: the unpack fails
#    with a real ENOSPC. Nothing switches anywhere, every staging is
#    undone, and the report names host2, ENOSPC and the path;
#  - two controllers at once: two deploy.yml started together against the
#    same fleet, three times (the interleaving varies; the third time with
#    the same release id): the fleet ends on one controller's release or
#    all on the old one, never split, and a controller that failed leaves
#    no run of its own committed on any host;
#  - one host's undo stops halfway (a read-only mount inside its release):
#    undo.yml fails, its report names the host "undo failed" with persist's
#    error (EROFS, the path, persist recover); run again once the mount is
#    gone, it finishes the interrupted undo and every site is as before;
#  - shared data across hosts, as ansible/README.md lays it out: each
#    host's site local and its shared/ a bind mount of one common storage
#    (a tmpfs, another filesystem than the sites). A first fleet deploy of
#    a release with demo uploads, with persist_shared_storage, seeds them
#    once, from host1 alone; a second release brings
#    a new persistent path with demo content, and uploads are written into
#    the common storage between its stage and switch; the fleet undo puts
#    every host's site back exactly, keeps the upload written into the
#    existing uploads, removes the seeded path from the common storage, and
#    moves the upload written into it to shared/.persist-rescued/ there;
#    host1, which seeded it, undoes after the others.
#
# usage: fleet_faults_test.sh PATH_TO_PERSIST   (bazel passes it)
runfiles=$PWD
source "$runfiles/tests/blackbox/lib.sh"
init_test "${1:-}"
source "$runfiles/tests/blackbox/mounts.sh"
source "$runfiles/tests/fleet/fleet.sh"
FLEET_PLAYBOOKS=$runfiles/ansible/playbooks
cd "$WORK" || die "cd $WORK"

fleet_start 4
# sshd first: nothing of the fleet may keep a mount busy when it goes.
trap 'fleet_stop_all; unmount_all' EXIT
reports=(-e persist_report_dir="$WORK/reports")

# host2's site is a tmpfs of its own, small enough for the disk-full case.
mount_tmpfs 16 "$FLEET/host2/site"

sample_release v1 small
fleet_deploy_all "$WORK/v1" v1
fleet_snapshot on-v1

# ------------------------------------------------------------ a disk fills up during the stage

# On tmpfs every file takes at least one page: the release's listing
# declares some tens of KiB, which host2's free space holds, so persist's
# free-space check before the unpack lets it through, but its files take
# twice the free space once unpacked.
sample_release big small
free_kib=$(df -k --output=avail "$FLEET/host2/site" | tail -n 1)
page_kib=$(($(getconf PAGESIZE) / 1024))
files=$((free_kib / page_kib * 2))
mkdir -p big/resources/lang
for ((i = 0; i < files; i++)); do printf 'msg %d\n' "$i"; done |
  split -l 1 -a 5 --additional-suffix=.php - big/resources/lang/m
declared=$(du -s --apparent-size -B1 big | cut -f1)
check "the release declares less than host2's free space ($declared of $((free_kib * 1024)) bytes)" \
  test "$declared" -lt $((free_kib * 1024))
check "but its $files files need more than it has, a page each" \
  test $((files * page_kib)) -gt "$free_kib"

fleet_playbook full deploy.yml -e release="$WORK/big" -e release_id=v2 "${reports[@]}"
expect_rc 2 "deploy.yml when host2's disk fills up" || show_file full.out
fleet_all_on v1 "a disk full during the stage"
fleet_snapshot after-full
fleet_same on-v1 after-full "a disk full during the stage"
fleet_report full deploy
full_fid=$(json_get full.json '.fleet_run')
check "the report: the stage failed, every host undone or untouched" \
  json_check full.json '.outcome == "undone" and .failed_phase == "stage"'
check "host2's staging failed and was undone by persist; its error is the real cause: ENOSPC, the path, df" \
  json_check full.json '.hosts[] | select(.host == "host2") | .state == "undone"
    and ([.runs[] | "\(.kind) \(.state)"] == ["deploy RUN_FAILED"])
    and (.error | test("write releases/[^ ]*/resources/lang/m[a-z]*\\.php: No space left on device \\(ENOSPC\\)"))
    and (.error | test("has no space left \\(df -h .*host2/site\\)"))'
check "the other hosts staged, and are undone" \
  json_check full.json '[.hosts[] | select(.host != "host2") | .state] == ["undone", "undone", "undone"]'
for name in host1 host3 host4; do
  check "$name's staging of the fleet run is undone, and nothing switched" \
    same_text "$name's runs" "$(fleet_runs "$name" "$full_fid")" "deploy v2 RUN_UNDONE"
done
check "the play's failure names host2 and ENOSPC" has full.out "host2: persist: error: run "
check "(the message)" has full.out "No space left on device (ENOSPC)"

# ------------------------------------------------------------ two controllers at once

sample_release va small
printf '<?php // va\n' >va/public/index.php
sample_release vb small
printf '<?php // vb\n' >vb/public/index.php

# race ROUND ID_A ID_B FIRST: controllers A and B deploy va as ID_A and vb
# as ID_B at once, FIRST (a or b) started a moment before the other; checks
# the fleet ends on one release, and that a failing controller left no
# committed run; then undoes the winner's runs, if any (persist undo on
# each host: undo.yml is tested elsewhere), and checks every site is byte
# for byte as before.
race() {
  local round=$1 id_a=$2 id_b=$3 first=$4 name host
  fleet_snapshot "before-race$round"
  local -A ids=([a]=$id_a [b]=$id_b) releases=([a]=va [b]=vb)
  for name in $first $([[ $first == a ]] && echo b || echo a); do
    fleet_playbook_start "race$round-$name" deploy.yml -e release="$WORK/${releases[$name]}" \
      -e release_id="${ids[$name]}" -e fleet_run="race$round-$name" "${reports[@]}"
  done
  local -A rcs=()
  for name in a b; do
    fleet_playbook_wait "race$round-$name"
    rcs[$name]=$rc
    cp "$WORK/reports/race$round-$name-deploy.json" "race$round-$name.json" ||
      die "controller $name of round $round wrote no report"
  done
  local currents
  currents=$(for name in "${FLEET_HOSTS[@]}"; do fleet_current "$name"; done | sort -u | paste -sd' ')
  echo "round $round: controller A exit ${rcs[a]}, B exit ${rcs[b]}; the fleet is on $currents"
  local winner=""
  for name in a b; do
    if ((rcs[$name] == 0)); then
      check "round $round: at most one controller switched the fleet" test -z "$winner"
      winner=$name
      check "round $round: controller $name's report says the fleet switched" \
        json_check "race$round-$name.json" '.outcome == "switched"'
    else
      check "round $round: controller $name failed with exit 2 (got ${rcs[$name]})" \
        test "${rcs[$name]}" -eq 2 || show_file "race$round-$name.out"
      check "round $round: controller $name's report: every host undone or untouched" \
        json_check "race$round-$name.json" '.outcome == "undone"
          and ([.hosts[].state] - ["undone", "untouched"]) == []'
      for host in "${FLEET_HOSTS[@]}"; do
        check "round $round: controller $name left no committed run on $host" \
          same_text "$host's runs of race$round-$name" \
          "$(fleet_runs "$host" "race$round-$name" | grep -v ' RUN_UNDONE$')" ""
      done
    fi
  done
  local want=v1
  [[ $winner == a ]] && want=$id_a
  [[ $winner == b ]] && want=$id_b
  check "round $round: the fleet is not split: every host on one release ($currents)" \
    test "$currents" = "$want"
  [[ -z "$winner" ]] || fleet_undo_by_hand "race$round-$winner"
  fleet_snapshot "after-race$round"
  fleet_same "before-race$round" "after-race$round" "round $round, the winner undone"
}
race 1 ra1 rb1 a
race 2 ra2 rb2 b
race 3 same3 same3 a

# ------------------------------------------------------------ an undo stops halfway on one host

fleet_playbook stuck-deploy deploy.yml -e release="$WORK/va" -e release_id=v3 "${reports[@]}"
expect_rc 0 "deploy.yml of v3" || show_file stuck-deploy.out
fleet_all_on v3 "the deploy of v3"
fleet_report stuck-deploy deploy
stuck_fid=$(json_get stuck-deploy.json '.fleet_run')
# host3's releases/v3/public/ turns read-only (a read-only bind mount of
# itself, as a disk remounted read-only would be): the undo of its staging
# stops halfway there, leaving the run interrupted.
ro=$FLEET/host3/site/releases/v3/public
bind_mount "$ro" "$ro"
remount "$ro" ro,bind
fleet_playbook stuck undo.yml "${reports[@]}"
expect_rc 2 "undo.yml when host3's undo stops halfway" || show_file stuck.out
fleet_report stuck undo
check "the report: the fleet is not all undone, host3's undo failed" \
  json_check stuck.json '.outcome == "incomplete"
    and ([.hosts[] | "\(.host) \(.state)"] == ["host1 undone", "host2 undone", "host3 undo failed", "host4 undone"])'
check "host3's error is persist's: EROFS, the path, persist recover" \
  json_check stuck.json '.hosts[] | select(.host == "host3") | .error
    | test("unlink releases/v3/public/[^ ]*: Read-only file system \\(EROFS\\)") and test("persist recover --root ")'
check "host3's staging is left interrupted, its switch undone" \
  same_text "host3's runs" "$(fleet_runs host3 "$stuck_fid")" "deploy v3 RUN_UNDOING
switch v3 RUN_UNDONE"
check "the play's failure names host3" has stuck.out "not undone everywhere: host3"
umount "$ro" || die "umount $ro failed"
fleet_playbook unstuck undo.yml "${reports[@]}"
expect_rc 0 "undo.yml again, once host3's disk is writable" || show_file unstuck.out
fleet_report unstuck undo
check "it finished host3's undo: every host undone" \
  json_check unstuck.json '.fleet_run == $f and .outcome == "undone" and ([.hosts[].state] | unique) == ["undone"]' \
  --arg f "$stuck_fid"
fleet_snapshot after-unstuck
fleet_same on-v1 after-unstuck "an undo that stopped halfway, finished"

# ------------------------------------------------------------ shared data across hosts

# The sites are made anew: each host's site local (host2's on its tmpfs),
# its shared/ a bind mount of the common storage, a tmpfs of its own.
mount_tmpfs 32 "$FLEET/common"
for name in "${FLEET_HOSTS[@]}"; do
  site=$FLEET/$name/site
  find "$site" -mindepth 1 -delete || die "cannot empty $site"
  bind_mount "$FLEET/common" "$site/shared"
  check "$name's shared/ is the common storage, another filesystem than its site" \
    test "$(stat -c %d:%i "$site/shared")" = "$(stat -c %d:%i "$FLEET/common")" \
    -a "$(stat -c %d "$site")" != "$(stat -c %d "$site/shared")"
done
shared=(-e persist_shared_storage=true)

# A first fleet deploy of a release that brings demo uploads, with
# persist_shared_storage: host1 stages alone first and seeds them into the
# common storage; the others find them there and set their own copies
# aside.
sample_release s1 small
printf 'demo avatar\n' >s1/public/uploads/demo-avatar.jpg
# Enough files that unpacking them takes a while: every host would plan its
# seeding of shared/ before any of them seeded it, were they let to.
mkdir -p s1/resources/lang
for ((i = 0; i < 1500; i++)); do printf 'msg %d\n' "$i"; done |
  split -l 1 -a 4 --additional-suffix=.php - s1/resources/lang/m
fleet_playbook seed deploy.yml -e release="$WORK/s1" -e release_id=s1 "${shared[@]}" "${reports[@]}"
expect_rc 0 "deploy.yml of the first release onto the common storage" || show_file seed.out
fleet_all_on s1 "the first deploy onto the common storage"
fleet_report seed deploy
check "the demo upload is in the common storage once" \
  same_text "the common uploads" "$(ls "$FLEET/common/public/uploads")" "demo-avatar.jpg"
for name in "${FLEET_HOSTS[@]}"; do
  check "$name's release links its uploads into the common storage" \
    test "$(readlink "$FLEET/$name/site/releases/s1/public/uploads")" = ../../../shared/public/uploads
done
seed_fid=$(json_get seed.json '.fleet_run')
# staging_ns NAME start_ns|end_ns: when NAME's staging of the seed began, ended.
staging_ns() {
  "$PERSIST" log --root "$FLEET/$1/site" --json |
    jq -r --arg f "$seed_fid" --arg k "$2" '.runs[] | select(.fleet_run == $f and .kind == "deploy") | .[$k]'
}
for name in host2 host3 host4; do
  check "host1 staged alone: its staging had ended before $name's began" \
    test "$(staging_ns host1 end_ns)" -lt "$(staging_ns "$name" start_ns)"
done
seed_run=$(json_get seed.json '.hosts[] | select(.host == "host1") | .runs[0].id')
"$PERSIST" show "$seed_run" --root "$FLEET/host1/site" >seed-host1.show
check "host1 seeded the uploads" has seed-host1.show "move releases/s1/public/uploads -> shared/public/uploads"
for name in host2 host3 host4; do
  run=$(json_get seed.json '.hosts[] | select(.host == $h) | .runs[0].id' --arg h "$name")
  "$PERSIST" show "$run" --root "$FLEET/$name/site" >"seed-$name.show"
  check "$name found them there and set its own copy aside" \
    has "seed-$name.show" "remove releases/s1/public/uploads"
done

# The site in use: a user's upload, through host1.
printf 'photo of user 1\n' >"$FLEET/common/public/uploads/photo-1.jpg"
fleet_snapshot on-s1

# The next release brings a new persistent path with demo content,
# public/media/. Between its stage and its switch, users upload through
# host3: one photo into the uploads, one into the media just seeded.
sample_release s2 small
printf '<?php // s2\n' >s2/public/index.php
mkdir s2/public/media
printf 'demo banner\n' >s2/public/media/banner.jpg
cat >upload-via-host3 <<SH
#!/usr/bin/env bash
printf 'photo of user 2\n' >"$FLEET/common/public/uploads/photo-2.jpg" &&
  printf 'photo of user 3\n' >"$FLEET/common/public/media/photo-3.jpg"
SH
chmod +x upload-via-host3
fleet_playbook media deploy.yml -e release="$WORK/s2" -e release_id=s2 \
  -e persist_before_switch="$WORK/upload-via-host3" "${shared[@]}" "${reports[@]}"
expect_rc 0 "deploy.yml of a release that seeds public/media/" || show_file media.out
fleet_all_on s2 "the release that seeds public/media/"
fleet_report media deploy
check "the demo banner is in the common storage" grep -q "demo banner" "$FLEET/common/public/media/banner.jpg"
snapshot "$FLEET/common" on-s2.common

fleet_playbook undo-media undo.yml "${shared[@]}" "${reports[@]}"
expect_rc 0 "undo.yml of the release that seeded public/media/" || show_file undo-media.out
fleet_report undo-media undo
fleet_all_on s1 "the fleet undo"
# host1 seeded public/media/ into the common storage: it undoes last, once
# no other host serves or stages the release.
media_fleet_run=$(json_get undo-media.json '.fleet_run')
for name in "${FLEET_HOSTS[@]}"; do
  "$PERSIST" log --root "$FLEET/$name/site" --json |
    jq -r --arg f "$media_fleet_run" '[.runs[] | select(.fleet_run == $f)] |
      "\(map(.undo_start_ns | tonumber) | min) \(map(.undo_end_ns | tonumber) | max)"' >"undo-times.$name"
done
check "host1, which seeded shared/, began its undo after every other host had ended its own" \
  awk '{ start[FILENAME] = $1; end[FILENAME] = $2 }
    END { for (f in end) if (f != "undo-times.host1" && end[f] > start["undo-times.host1"]) exit 1 }' \
  undo-times.host1 undo-times.host2 undo-times.host3 undo-times.host4
fleet_snapshot after-undo-media
# The sites but shared/ (the common storage, checked below): exactly as
# before the deploy.
for name in "${FLEET_HOSTS[@]}"; do
  grep -v '^\./shared/' "on-s1.$name" >"on-s1.$name.local"
  grep -v '^\./shared/' "after-undo-media.$name" >"after-undo-media.$name.local"
  check "the fleet undo: $name's site but shared/ byte for byte as before" \
    same_snapshot "on-s1.$name.local" "after-undo-media.$name.local"
done
# The common storage: what the undo cannot and must not take back stays.
check "the photo uploaded into the uploads during the deploy stays, as it was written" \
  same_text "photo-2.jpg" "$(grep -F './public/uploads/photo-2.jpg' on-s2.common)" \
  "$(grep -F './shared/public/uploads/photo-2.jpg' after-undo-media.host1 | sed 's|^\./shared/|./|')"
check "the seeded public/media/ has left the common storage" test ! -e "$FLEET/common/public/media"
media_run=$(json_get undo-media.json '.hosts[] | select(.host == "host1") | .runs[0].id')
rescued=$FLEET/common/.persist-rescued/$media_run/shared/public/media/photo-3.jpg
check "the photo uploaded into it waits in the common storage's .persist-rescued/" \
  grep -q "photo of user 3" "$rescued"
"$PERSIST" show "$media_run" --root "$FLEET/host1/site" >media-host1.show
check "host1's undo of its seeding names it" \
  has media-host1.show "rescued: shared/.persist-rescued/$media_run/shared/public/media/photo-3.jpg"
for name in "${FLEET_HOSTS[@]}"; do
  grep -v -e '^\./shared/public/uploads/photo-2\.jpg	' -e '^\./shared/\.persist-rescued[/	]' \
    "after-undo-media.$name" >"after-undo-media.$name.known"
  check "and the common storage, seen from $name, is otherwise byte for byte as before" \
    same_snapshot "on-s1.$name" "after-undo-media.$name.known"
done

finish
