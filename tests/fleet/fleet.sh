# A simulated fleet on one machine, for the tests of ansible/: N hosts, each
# a real sshd (Debian's openssh-server) started by the test with its own
# config, host key and authorized key under the test's directory, listening
# on its own port of 127.0.0.1, and each with its own site directory. The
# controller is Debian's ansible-playbook over real SSH, kept away from
# ~/.ansible, ~/.ssh and /etc/ansible by a generated ansible.cfg.
#
# Source it after tests/blackbox/lib.sh (init_test):
#   fleet_start 4                       hosts host1..host4, FLEET_INVENTORY
#   fleet_playbook NAME deploy.yml -e release=...   NAME.out, NAME.err, rc
#   fleet_playbook NAME persist.fleet.deploy ...    the same, from the
#                                       collection installed in FLEET_COLLECTIONS
#   fleet_ssh host2 'command -v persist'            a command on host2
#   fleet_snapshot TAG / fleet_same TAG_A TAG_B WHAT  every site byte for byte
#   fleet_all_on v2 WHAT / fleet_report NAME deploy   checks of the outcome
#   fleet_stop_host host2 / fleet_start_host host2
#   fleet_drop_script host2 >FILE      a script that stops host2's sshd
#   fleet_runs host2 FID               host2's runs of fleet run FID
#   fleet_playbook_start NAME ... / fleet_playbook_wait NAME   two at once
#   fleet_undo_by_hand FID             every host back, without a play
# An EXIT trap stops every sshd the test started.
#
# tools/bench --fleet sources it too (tools/bench.d/fleet.sh), without
# lib.sh: it sets WORK and PERSIST itself, and its die is the bench's. It
# runs under set -euo pipefail and calls fleet_start, fleet_playbook,
# fleet_current and fleet_stop_all, so those must not fail on a command
# whose failure they mean to ignore.
#
# Layout, for host I: $FLEET/hostI/site (persist_root), $FLEET/hostI/sshd
# (its config, host key, pid file and log); $FLEET/controller holds the
# client key, ansible.cfg, the inventory and ansible's temp directories,
# and FLEET_COLLECTIONS: the only place the controller finds collections
# (ansible-galaxy collection install -p "$FLEET_COLLECTIONS"), so that a
# test runs the collection it installed, never one of ~/.ansible or the
# system's.
#
# sshd runs as root, so it needs its privilege separation directory
# /run/sshd (a path compiled into Debian's sshd, which its package makes at
# boot): fleet_start makes it when missing. The tests that use this run
# outside Bazel's sandbox (tag no-sandbox) for that reason.

FLEET_HOSTS=()
FLEET_PIDS=()

# fleet_free_port: a TCP port of 127.0.0.1 nothing listens on now.
fleet_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fleet_require: the programs the fleet needs; tools/setup installs them.
fleet_require() {
  local tool
  for tool in /usr/sbin/sshd ssh ssh-keygen ansible-playbook python3 jq; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool is not installed (PATH=$PATH); run tools/setup, which installs openssh-server and ansible-core"
  done
  [[ -x /usr/lib/openssh/sftp-server ]] || die "/usr/lib/openssh/sftp-server is missing; run tools/setup"
}

# fleet_start N: N hosts, host1..hostN, each with an sshd listening and an
# empty site directory; writes the controller's ansible.cfg and the
# inventory FLEET_INVENTORY (persist_root and persist_bin per host, and
# FLEET_HOST_VARS[host] lines the test added before, if any).
fleet_start() {
  local n=$1 i
  fleet_require
  FLEET=$WORK/fleet
  local controller=$FLEET/controller
  FLEET_COLLECTIONS=$controller/collections
  mkdir -p "$controller/tmp" "$controller/home" "$FLEET_COLLECTIONS" /run/sshd || die "mkdir under $FLEET"
  chmod 0755 /run/sshd
  # ssh's control sockets need a path under 108 bytes, which Bazel's
  # temporary directories exceed: a short directory of /tmp, removed on exit.
  FLEET_CONTROL_DIR=$(mktemp -d /tmp/fleet-cp.XXXXXX) || die "mktemp under /tmp failed"
  ssh-keygen -q -t ed25519 -N '' -C fleet-controller -f "$controller/id_ed25519" ||
    die "ssh-keygen of the controller's key failed"
  cat >"$controller/ansible.cfg" <<CFG
[defaults]
host_key_checking = False
home = $controller/home
local_tmp = $controller/tmp/local
remote_tmp = $controller/tmp/remote
interpreter_python = /usr/bin/python3
retry_files_enabled = False
forks = 10
stdout_callback = default
deprecation_warnings = False
collections_path = $FLEET_COLLECTIONS
collections_scan_sys_path = False

[ssh_connection]
pipelining = True
control_path_dir = $FLEET_CONTROL_DIR
ssh_args = -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR -o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes
CFG
  export ANSIBLE_CONFIG=$controller/ansible.cfg
  export ANSIBLE_HOME=$controller/home
  export ANSIBLE_LOCAL_TEMP=$controller/tmp/local
  export ANSIBLE_REMOTE_TEMP=$controller/tmp/remote
  export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
  for ((i = 1; i <= n; i++)); do
    fleet_make_host "host$i"
  done
  trap fleet_stop_all EXIT
  fleet_write_inventory
}

# fleet_make_host NAME: the host's directories, host key, sshd_config and a
# running sshd.
fleet_make_host() {
  local name=$1 dir=$FLEET/$1
  mkdir -p "$dir/sshd" "$dir/site" || die "mkdir $dir"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/sshd/host_key" || die "ssh-keygen for $name failed"
  cp "$FLEET/controller/id_ed25519.pub" "$dir/sshd/authorized_keys"
  local port
  port=$(fleet_free_port) || die "no free port for $name"
  cat >"$dir/sshd/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $dir/sshd/host_key
PidFile $dir/sshd/sshd.pid
AuthorizedKeysFile $dir/sshd/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
CFG
  echo "$port" >"$dir/sshd/port"
  FLEET_HOSTS+=("$name")
  fleet_start_host "$name"
}

# fleet_start_host NAME: starts NAME's sshd (again) and waits until it
# answers with its banner.
fleet_start_host() {
  local dir=$FLEET/$1 port
  port=$(cat "$dir/sshd/port")
  /usr/sbin/sshd -D -f "$dir/sshd/sshd_config" -E "$dir/sshd/log" &
  echo $! >"$dir/sshd/running"
  FLEET_PIDS+=($!)
  local tries
  for ((tries = 0; tries < 100; tries++)); do
    if python3 - "$port" <<'PY' 2>/dev/null; then
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
sys.exit(0 if s.recv(4).startswith(b"SSH-") else 1)
PY
      return 0
    fi
    sleep 0.1
  done
  die "sshd of $1 does not answer on 127.0.0.1:$port: $(cat "$dir/sshd/log" 2>/dev/null)"
}

# fleet_stop_host NAME: stops NAME's sshd (the test's own process, by pid).
fleet_stop_host() {
  local file=$FLEET/$1/sshd/running pid
  [[ -s "$file" ]] || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$file"
}

# fleet_drop_script NAME: prints a script that stops NAME's sshd and its
# open connections (ansible's ssh control masters' too), as a host that goes
# down does, for a process other than the test's shell to run (a playbook's
# hook on the controller). It kills the test's own processes, by pid: the
# sshd and its children. The test brings it back with fleet_start_host.
fleet_drop_script() {
  local dir=$FLEET/$1/sshd
  cat <<SH
#!/usr/bin/env bash
# sshd and all its descendants: a connection's monitor and its session
# process each hold the connection's socket.
tree() {
  local child
  for child in \$(ps -o pid= --ppid "\$1"); do tree "\$child"; done
  echo "\$1"
}
pid=\$(cat "$dir/running") || exit 1
kill \$(tree "\$pid")
rm -f "$dir/running"
for ((tries = 0; tries < 100; tries++)); do
  (exec 3<>/dev/tcp/127.0.0.1/$(cat "$dir/port")) 2>/dev/null || exit 0
  sleep 0.1
done
echo "sshd of $1 still answers" >&2
exit 1
SH
}

# fleet_stop_all: stops every sshd and ssh control master the test started.
fleet_stop_all() {
  local name socket
  for name in "${FLEET_HOSTS[@]}"; do fleet_stop_host "$name"; done
  if [[ -n "${FLEET_CONTROL_DIR:-}" ]]; then
    for socket in "$FLEET_CONTROL_DIR"/*; do
      [[ -S "$socket" ]] && ssh -o ControlPath="$socket" -O exit dummy >/dev/null 2>&1
    done
    rm -rf "$FLEET_CONTROL_DIR"
  fi
}

# FLEET_HOST_VARS: more inventory variables of a host ("key=value ..."),
# set by a test before fleet_write_inventory.
declare -A FLEET_HOST_VARS=()

# FLEET_PERSIST_BIN: a host's persist_bin, set by a test before
# fleet_write_inventory; $PERSIST for a host not in it, none for a host set
# to '' (the playbooks then look for persist on its PATH, or ship one).
declare -A FLEET_PERSIST_BIN=()

# fleet_write_inventory: FLEET_INVENTORY, an INI inventory of every host
# with its port, key, persist_root, persist_bin and FLEET_HOST_VARS.
fleet_write_inventory() {
  FLEET_INVENTORY=$FLEET/controller/inventory.ini
  local name bin
  {
    echo "[web]"
    for name in "${FLEET_HOSTS[@]}"; do
      bin=${FLEET_PERSIST_BIN[$name]-$PERSIST}
      echo "$name ansible_host=127.0.0.1 ansible_port=$(cat "$FLEET/$name/sshd/port")" \
        "ansible_user=$(id -un) ansible_ssh_private_key_file=$FLEET/controller/id_ed25519" \
        "persist_root=$FLEET/$name/site ${bin:+persist_bin=$bin} ${FLEET_HOST_VARS[$name]:-}"
    done
  } >"$FLEET_INVENTORY"
}

# fleet_ssh NAME COMMAND: runs COMMAND (a shell command line) on NAME over
# its sshd, in a session such as the playbooks get, with its output.
fleet_ssh() {
  ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR \
    -o IdentitiesOnly=yes -i "$FLEET/controller/id_ed25519" -p "$(cat "$FLEET/$1/sshd/port")" \
    "$(id -un)@127.0.0.1" "$2"
}

# fleet_playbook NAME PLAYBOOK ARGS...: ansible-playbook -i FLEET_INVENTORY
# ansible/playbooks/PLAYBOOK ARGS... (FLEET_PLAYBOOKS/PLAYBOOK) for a file
# name (deploy.yml), or ansible-playbook -i FLEET_INVENTORY PLAYBOOK ARGS...
# for a collection's playbook (persist.fleet.deploy); output in NAME.out and
# NAME.err, exit code in rc (and `last` set for expect_rc). Ansible insists
# on a UTF-8 locale, where lib.sh sets LC_ALL=C.
fleet_playbook() {
  last=$1
  local playbook=$2
  shift 2
  [[ "$playbook" == *.yml ]] && playbook=$FLEET_PLAYBOOKS/$playbook
  rc=0
  LC_ALL=C.UTF-8 ansible-playbook -i "$FLEET_INVENTORY" "$playbook" "$@" \
    >"$last.out" 2>"$last.err" || rc=$?
  cp "$last.out" "$last.err" "${TEST_UNDECLARED_OUTPUTS_DIR:-$WORK}/" 2>/dev/null
  return 0
}

# fleet_snapshot TAG: a snapshot of every host's site, $TAG.hostI.
fleet_snapshot() {
  local name
  for name in "${FLEET_HOSTS[@]}"; do snapshot "$FLEET/$name/site" "$1.$name"; done
}

# fleet_same TAG_A TAG_B WHAT: every host's site is byte for byte the same
# in the two snapshots.
fleet_same() {
  local name
  for name in "${FLEET_HOSTS[@]}"; do
    check "$3: $name's site byte for byte as before" same_snapshot "$1.$name" "$2.$name"
  done
}

# fleet_all_on RELEASE WHAT: every host's current points at RELEASE.
fleet_all_on() {
  local name
  for name in "${FLEET_HOSTS[@]}"; do
    check "$2: $name's current is $1" test "$(fleet_current "$name")" = "$1"
  done
}

# fleet_report NAME ACTION: the newest ACTION report (deploy, undo,
# rollback) the playbooks wrote into $WORK/reports (a test passes them
# -e persist_report_dir=$WORK/reports), copied to NAME.json. Every ACTION
# report there is removed, so that the next one found is the next run's.
fleet_report() {
  local files=("$WORK"/reports/*-"$2".json)
  local newest
  newest=$(ls -t "${files[@]}" 2>/dev/null | head -n 1)
  [[ -n "$newest" ]] || die "no $2 report under $WORK/reports"
  cp "$newest" "$1.json"
  rm -f "${files[@]}"
}

# fleet_deploy_all RELEASE ID: persist deploy RELEASE --id ID on every
# host directly (not through the playbooks): the fleet's first release.
fleet_deploy_all() {
  local name
  for name in "${FLEET_HOSTS[@]}"; do
    "$PERSIST" deploy "$1" --root "$FLEET/$name/site" --id "$2" >"$name-$2.out" 2>&1 ||
      die "first deploy on $name failed: $(cat "$name-$2.out")"
  done
}

# fleet_current NAME: the release NAME's current points at.
fleet_current() {
  local target
  target=$(readlink "$FLEET/$1/site/current") || return 1
  echo "${target#releases/}"
}

# fleet_playbook_start NAME PLAYBOOK ARGS...: fleet_playbook in the
# background, so that two controllers can run at once; fleet_playbook_wait
# NAME waits for it and sets rc and last as fleet_playbook does.
declare -A FLEET_PLAYBOOK_PIDS=()
fleet_playbook_start() {
  local name=$1
  (
    fleet_playbook "$@"
    echo "$rc" >"$name.rc"
  ) &
  FLEET_PLAYBOOK_PIDS[$name]=$!
}

fleet_playbook_wait() {
  last=$1
  wait "${FLEET_PLAYBOOK_PIDS[$1]}"
  unset "FLEET_PLAYBOOK_PIDS[$1]"
  rc=$(cat "$1.rc" 2>/dev/null) || die "the playbook run $1 left no exit code"
}

# fleet_runs NAME FLEET_RUN: the runs of FLEET_RUN in NAME's journal, one
# "KIND RELEASE STATE" line each, oldest first.
fleet_runs() {
  "$PERSIST" log --root "$FLEET/$1/site" --json |
    jq -r --arg f "$2" '.runs[] | select(.fleet_run == $f) | "\(.kind) \(.release) \(.state)"'
}

# fleet_undo_by_hand FID: on every host, persist undo of each committed run
# of fleet run FID, newest first, as undo.yml does, but straight from the
# test (a fraction of a second, where a play takes many): for a test that
# needs the fleet back where it was, and checks undo.yml elsewhere.
fleet_undo_by_hand() {
  local name run
  for name in "${FLEET_HOSTS[@]}"; do
    for run in $("$PERSIST" log --root "$FLEET/$name/site" --json |
      jq -r --arg f "$1" '[.runs[] | select(.fleet_run == $f and .state == "RUN_COMMITTED") | .id]
        | reverse | .[]'); do
      "$PERSIST" undo "$run" --root "$FLEET/$name/site" --fleet-run "$1" --yes \
        >"undo-$name-$run.out" 2>&1 || die "undo of run $run on $name failed: $(cat "undo-$name-$run.out")"
    done
  done
}
