#!/usr/bin/env bash
# The Ansible collection persist.fleet (ansible/galaxy.yml), as an operator
# installs it: the tarball //ansible:collection built with ansible-galaxy
# (the one the Debian package ships), installed with `ansible-galaxy
# collection install` into the simulated fleet's own collections path
# (tests/fleet/fleet.sh: never ~/.ansible), its playbooks then run by name on
# four hosts, host2 of which has no persist: no persist_bin in the
# inventory, none on the PATH of its SSH sessions.
#  - the collection: its version is VERSION, it holds the playbooks of
#    ansible/playbooks byte for byte, and nothing else of ansible/ but its
#    README and meta/runtime.yml;
#  - without persist_binary, persist.fleet.deploy (and .undo) refuse before
#    anything is shipped or staged anywhere, naming host2, the path looked
#    for and the variable to set; every site byte for byte as before;
#  - with persist_binary, the play copies it to host2's
#    .persist-bin/persist beside the site, which then deploys there: every
#    host switches; persist.fleet.undo, without persist_binary, finds the
#    shipped binary and undoes every host exactly;
#  - another persist_binary replaces the shipped one, and the same one
#    again is not copied again; persist.fleet.rollback and its undo run on
#    host2 through the shipped binary, every host byte for byte as before.
#
# usage: collection_test.sh PATH_TO_PERSIST   (bazel passes it)
runfiles=$PWD
source "$runfiles/tests/blackbox/lib.sh"
init_test "${1:-}"
source "$runfiles/tests/fleet/fleet.sh"
[[ -n "${COLLECTION:-}" && -n "${VERSION_FILE:-}" ]] ||
  die "COLLECTION and VERSION_FILE are not set: the test's target passes \$(rootpath :collection) and \$(rootpath //:VERSION)"
collection=$runfiles/$COLLECTION
version=$(tr -d ' \t\r\n' <"$runfiles/$VERSION_FILE")
cd "$WORK" || die "cd $WORK"

# no_fleet_run WHAT: no host's journal holds a run of a fleet run.
no_fleet_run() {
  local name
  for name in "${FLEET_HOSTS[@]}"; do
    "$PERSIST" log --root "$FLEET/$name/site" --json >"$name.log" || die "persist log on $name failed"
    check "$1: $name's journal holds no fleet run" json_check "$name.log" '[.runs[] | select(.fleet_run)] == []'
  done
}

# file_id PATH: inode, mode, size, mtime (ns) and SHA-256 of PATH.
file_id() {
  echo "$(stat -c '%i %a %s %.9Y' "$1") $(sha256sum <"$1")"
}

# ------------------------------------------------------------ the collection

fleet_start 4
installed=$FLEET_COLLECTIONS/ansible_collections/persist/fleet
LC_ALL=C.UTF-8 ansible-galaxy collection install "$collection" -p "$FLEET_COLLECTIONS" \
  >install.out 2>&1
check "ansible-galaxy collection install of the built collection" test -d "$installed" ||
  show_file install.out
check "the collection is persist.fleet $version, the repository's VERSION" \
  json_check "$installed/MANIFEST.json" \
  '.collection_info | .namespace == "persist" and .name == "fleet" and .version == $v' --arg v "$version"
# Nothing but the collection's own files: none of Bazel's, no test.
(cd "$runfiles/ansible" && find playbooks -name '*.yml' | sort) >expected-playbooks
(cd "$runfiles/ansible" && find playbooks -type d -printf '%p/\n') >expected-playbook-dirs
check "the tarball holds the manifests, README.md, meta/runtime.yml and the playbooks, nothing else" \
  same_text "the files of $collection" "$(tar tzf "$collection" | sort)" \
  "$(printf '%s\n' FILES.json MANIFEST.json README.md meta/ meta/runtime.yml |
    cat - expected-playbook-dirs expected-playbooks | sort)"
while IFS= read -r playbook; do
  check "the installed $playbook is ansible/$playbook byte for byte" \
    cmp "$installed/$playbook" "$runfiles/ansible/$playbook"
done <expected-playbooks
check "the installed README.md is ansible/README.md" cmp "$installed/README.md" "$runfiles/ansible/README.md"

# ------------------------------------------------------------ host2 has no persist

FLEET_PERSIST_BIN[host2]=''
fleet_write_inventory
shipped=$FLEET/host2/.persist-bin/persist
# This case needs a host whose SSH sessions find no persist on PATH: one
# installed system-wide (in /usr/bin, say) would make host2 use it.
path_persist=$(fleet_ssh host2 'command -v persist')
[[ -z "$path_persist" ]] || die "host2's SSH sessions find persist on PATH ($path_persist): this test needs a" \
  "machine without persist on the default PATH; remove $path_persist or run the test elsewhere"

for v in v1 v2 v3; do sample_release "$v" small "$v"; done
fleet_deploy_all "$WORK/v1" v1
fleet_snapshot on-v1
reports=(-e persist_report_dir="$WORK/reports")

# ------------------------------------------------------------ no persist_binary: refused

fleet_playbook refused persist.fleet.deploy -e release="$WORK/v2" -e release_id=v2 "${reports[@]}"
expect_rc 2 "persist.fleet.deploy when host2 has no persist and no persist_binary is given" ||
  show_file refused.out
check "the refusal names host2 and the path looked for there" \
  has refused.out "no persist to run on host2: persist_bin is not set, persist is not on the PATH of its SSH session"
check "and says $shipped does not exist" has refused.out "$shipped does not exist"
check "and names the variable to set" has refused.out "-e persist_binary=PATH"
check "it names no other host" bash -c "! grep -qE 'host[134]:' refused.out"
fleet_snapshot after-refused
fleet_same on-v1 after-refused "a deploy refused for host2's missing persist"
no_fleet_run "a deploy refused for host2's missing persist"
for name in "${FLEET_HOSTS[@]}"; do
  check "nothing was shipped to $name" test ! -e "$FLEET/$name/.persist-incoming" -a ! -e "$FLEET/$name/.persist-bin"
done
check "no report and no packed release on the controller" test ! -e "$WORK/reports"

fleet_playbook refused-undo persist.fleet.undo "${reports[@]}"
expect_rc 2 "persist.fleet.undo when host2 has no persist" || show_file refused-undo.out
check "undo refuses for the same reason" has refused-undo.out "no persist to run on host2: "

# A persist_binary the controller does not have, and one that cannot be
# copied to host2 (a file in the way of .persist-bin/): refused as well,
# each saying why.
fleet_playbook no-binary persist.fleet.deploy -e release="$WORK/v2" -e release_id=v2 \
  -e persist_binary="$WORK/no-such-persist" "${reports[@]}"
expect_rc 2 "persist.fleet.deploy with a persist_binary that is not there" || show_file no-binary.out
check "the refusal names the missing persist_binary" \
  has no-binary.out "persist_binary=$WORK/no-such-persist: $WORK/no-such-persist is not a file on the controller"
printf 'in the way\n' >"$FLEET/host2/.persist-bin"
fleet_playbook copy-fails persist.fleet.deploy -e release="$WORK/v2" -e release_id=v2 \
  -e persist_binary="$PERSIST" "${reports[@]}"
expect_rc 2 "persist.fleet.deploy when persist_binary cannot be copied to host2" || show_file copy-fails.out
check "the refusal says the copy to host2 failed" \
  has copy-fails.out "$shipped does not exist; copying persist_binary there failed: "
check "and that the next step is to remove what stops the copy" \
  has copy-fails.out "Remove what stops the copy of persist_binary there and run the play again"
rm "$FLEET/host2/.persist-bin"
fleet_snapshot after-copy-fails
fleet_same on-v1 after-copy-fails "deploys refused for persist_binary"
no_fleet_run "deploys refused for persist_binary"

# ------------------------------------------------------------ persist_binary shipped

fleet_playbook ship persist.fleet.deploy -e release="$WORK/v2" -e release_id=v2 \
  -e persist_binary="$PERSIST" "${reports[@]}"
expect_rc 0 "persist.fleet.deploy with persist_binary" || show_file ship.out
fleet_all_on v2 "a deploy that shipped persist to host2"
fleet_report ship deploy
check "the report says every host switched" \
  json_check ship.json '.outcome == "switched" and ([.hosts[].state] | unique) == ["switched"]'
check "host2 holds persist_binary at $shipped" cmp "$shipped" "$PERSIST"
check "mode 0755" test "$(stat -c %a "$shipped")" = 755
check "host1, host3 and host4, which have persist, were shipped none" \
  test ! -e "$FLEET/host1/.persist-bin" -a ! -e "$FLEET/host3/.persist-bin" -a ! -e "$FLEET/host4/.persist-bin"
# persist records in the site the binary that last changed it
# (.persist/persist-binary, for the site's recovery scripts).
check "host2's deploy ran the shipped binary" \
  test "$(cat "$FLEET/host2/site/.persist/persist-binary")" = "$(readlink -f "$shipped")"

fleet_playbook ship-undo persist.fleet.undo "${reports[@]}"
expect_rc 0 "persist.fleet.undo, which finds the shipped persist on host2" || show_file ship-undo.out
fleet_report ship-undo undo
check "the undo report says every host is undone" \
  json_check ship-undo.json '.outcome == "undone" and ([.hosts[].state] | unique) == ["undone"]'
fleet_snapshot ship-undone
fleet_same on-v1 ship-undone "persist.fleet.undo through the shipped persist"

# ------------------------------------------------------------ another binary, then the same again

# The same program with one more byte: another checksum, so shipped anew.
newer=$WORK/persist-newer
cp "$PERSIST" "$newer" && printf '\n' >>"$newer" && chmod 0755 "$newer" || die "cannot make $newer"
fleet_playbook reship persist.fleet.deploy -e release="$WORK/v3" -e release_id=v3 \
  -e persist_binary="$newer" "${reports[@]}"
expect_rc 0 "persist.fleet.deploy with another persist_binary" || show_file reship.out
fleet_all_on v3 "a deploy with another persist_binary"
fleet_report reship deploy
check "the shipped persist is replaced by the other binary" cmp "$shipped" "$newer"
fleet_snapshot on-v3
before=$(file_id "$shipped")

fleet_playbook rollback persist.fleet.rollback -e release=v1 -e persist_binary="$newer" "${reports[@]}"
expect_rc 0 "persist.fleet.rollback to v1 through the shipped persist" || show_file rollback.out
fleet_all_on v1 "a rollback through the shipped persist"
fleet_report rollback rollback
check "the same persist_binary again is not copied again" test "$(file_id "$shipped")" = "$before"
check "host2's rollback ran the shipped binary" \
  test "$(cat "$FLEET/host2/site/.persist/persist-binary")" = "$(readlink -f "$shipped")"
fleet_playbook rollback-undo persist.fleet.undo "${reports[@]}"
expect_rc 0 "persist.fleet.undo of the rollback" || show_file rollback-undo.out
fleet_report rollback-undo undo
fleet_snapshot rollback-undone
fleet_same on-v3 rollback-undone "persist.fleet.undo of a rollback through the shipped persist"

finish
