# shellcheck shell=bash
# The fleet scenario of tools/bench (sourced): ansible/playbooks/deploy.yml
# driving four hosts against the same playbook driving one, on the
# simulated fleet of the ansible tests (tests/fleet/fleet.sh: a real sshd
# per host on its own port of 127.0.0.1, each with its own site, and
# Debian's ansible-playbook over real SSH with the controller's own
# ansible.cfg and inventory). Sets $fleet_releases (for the removal at the
# end) and adds to $work/targets.tsv.
#
# The release is release.sh's (the deploy scenario's when it ran, else made
# here the same way), given to the playbook as a directory, which it packs
# once on the controller (tar -czf) and ships to each host. Every host is
# first given it by hand (persist deploy, untimed); then R rounds, each
# with new release ids, on sites that hold the previous round's release
# (subsequent deploys); the runs of a round alternate (the order is
# reversed in even rounds), each after the hosts' trash is emptied (the
# releases the previous run pruned) and a sync, untimed:
#
#   one          ansible-playbook -i INVENTORY deploy.yml --limit host1 -e release=REL -e release_id=rN-one
#   four         ansible-playbook -i INVENTORY deploy.yml -e release=REL -e release_id=rN-four
#   one-share    the same as one, and as four, with each host held to its
#   four-share   own share of a core (cpu_share.sh: a cgroup per host's sshd)
#
# one and four put the four hosts' work (their sessions, Ansible's Python
# modules, persist) on the machine's cores together, beside the
# controller's, so four hosts cost four times one host's CPU on the same
# cores; on a fleet each host has its own. The share runs model that: each
# host gets (cores - 1) / 4 of a core (a core at most), alone or among
# four, and the controller the rest. They need root and a cgroup cpu
# controller, and are left out, with the cause, without them.
#
# The wall time of ansible-playbook is measured, the controller's CPU, the
# hosts' CPU (their cgroups'), and the bytes the hosts' sshds received on
# the run's connections (ss -tin; the controller's ssh masters are closed
# before each run, so each run opens its own), against the packed
# release's size times the hosts; beside them the bytes lo sent meanwhile
# (/proc/net/dev), which count any other loopback traffic of the machine
# too, and lo's rate with no run of the bench. After each run every host's
# current is checked (the hosts left out by --limit stay where they were),
# and after round 1 each host's live release is compared file for file
# with the release.
#
# Then a vendor update package (release.sh's make_update_package: a zip of
# 500 changed files under vendor/) is deployed to the four hosts with
# deploy.yml -e update=PKG, once, timed and its bytes to the sshds counted:
# beyond the playbook's own traffic (measured just before on the same play
# with a package of one unchanged file), only the package must travel, once
# per host. Every host's live release is then compared file for file with
# the updated release.

# The fleet's functions (fleet_start, fleet_playbook, fleet_current,
# fleet_stop_all), sourced here at the top level so that the arrays it
# declares are global. What it takes from the tests' lib.sh is set in
# fleet_bench: die (common.sh's here), WORK and PERSIST.
# shellcheck source=tests/fleet/fleet.sh
source "$repo/tests/fleet/fleet.sh"
# shellcheck source=tools/bench.d/cpu_share.sh
source "$here/cpu_share.sh"

fleet_hosts=4

# lo_tx: the bytes the loopback interface has sent since boot. Each byte
# between two local processes passes it once.
lo_tx() {
  awk '{ sub(/:/, " ") } $1 == "lo" { print $10 }' /proc/net/dev
}

# fleet_ssh_rx: the bytes the hosts' sshds have received on their open
# connections (the kernel's tcp_info of each socket whose local port is an
# sshd's, through ss): what the controller sent them, and nothing else.
fleet_ssh_rx() {
  local filter='' name
  for name in "${FLEET_HOSTS[@]}"; do filter+="${filter:+ or }sport = :$(cat "$FLEET/$name/sshd/port")"; done
  ss -tinH state established "( $filter )" | grep -o 'bytes_received:[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
}

# fleet_close_masters: closes the controller's ssh control masters (kept 60
# s by ControlPersist), so that the next run opens its own connections and
# fleet_ssh_rx counts its bytes from zero; each run thus also pays its ssh
# handshakes, as a controller's first run of the day does.
fleet_close_masters() {
  local socket tries
  for socket in "$FLEET_CONTROL_DIR"/*; do
    [[ ! -S "$socket" ]] || ssh -o ControlPath="$socket" -O exit dummy >/dev/null 2>&1 || true
  done
  for ((tries = 0; tries < 50; tries++)); do
    [[ "$(fleet_ssh_rx)" != 0 ]] || return 0
    sleep 0.1
  done
  die "connections to the fleet's sshds are still open 5 s after closing the controller's masters in $FLEET_CONTROL_DIR (ss -tin state established)"
}

# fleet_hosts_cpu_ns: the CPU time the hosts' groups have used (0 without
# CPU shares).
fleet_hosts_cpu_ns() {
  local name sum=0
  if [[ -n "$fleet_shares" ]]; then
    for name in "${FLEET_HOSTS[@]}"; do sum=$((sum + $(cpu_share_used_ns "$name"))); done
  fi
  echo "$sum"
}

# fleet_empty_trash: waits for the trash emptiers the hosts' last persist
# runs left working in the background (the releases beyond --keep they
# pruned), and empties what is left: a timed run then does not share a
# host's CPU share with the previous run's emptier.
fleet_empty_trash() {
  local name
  for name in "${FLEET_HOSTS[@]}"; do
    persist empty-trash --root "$FLEET/$name/site" >>"$work/log.txt" 2>&1 ||
      die "persist empty-trash --root $FLEET/$name/site failed (see $work/log.txt)"
  done
}

# fleet_hold_hosts CHAIN: holds each host to its CPU share for a share
# chain (one-share, four-share), and lifts the limit for any other.
fleet_hold_hosts() {
  local name
  [[ -n "$fleet_shares" ]] || return 0
  for name in "${FLEET_HOSTS[@]}"; do
    cpu_share_limit "$name" "$([[ $1 == *-share ]] && echo "$fleet_share" || echo max)" ||
      die "setting the CPU share of $name's cgroup failed"
  done
}

# fleet_prepare_run CHAIN: what comes before every timed run, untimed:
# the hosts' CPU shares for CHAIN, their trash emptied, the controller's
# ssh masters closed, and a sync.
fleet_prepare_run() {
  fleet_hold_hosts "$1"
  fleet_empty_trash
  fleet_close_masters
  sync
}

# fleet_update_run NAME PKG ID: one timed ansible-playbook run of
# deploy.yml -e update=PKG to every host, all sharing the machine's cores,
# as release ID; the bytes the sshds received go to
# $work/times/fleet.NAME.ssh. Checks that it succeeded and that each host's
# current is ID.
fleet_update_run() {
  local name
  fleet_prepare_run four
  timed_cpu "$work/times/fleet.$1" fleet_playbook "$WORK/logs/$1" deploy.yml \
    -e update="$2" -e release_id="$3" -e persist_report_dir="$WORK/reports" ||
    die "ansible-playbook could not be run for the update package $2 (see $work/log.txt)"
  fleet_ssh_rx >"$work/times/fleet.$1.ssh"
  ((rc == 0)) ||
    die "deploy.yml -e update=$2 failed (exit $rc): see $WORK/logs/$1.out and .err, and the report under $WORK/reports"
  for name in "${FLEET_HOSTS[@]}"; do
    [[ "$(fleet_current "$name" || true)" == "$3" ]] ||
      die "after deploy.yml -e update=$2, $name's current is '$(fleet_current "$name" || true)', not $3: see $WORK/logs/$1.out"
  done
}

# fleet_run ROUND CHAIN ID: one timed ansible-playbook run of deploy.yml,
# CHAIN one or four (host1 alone, or every host, all sharing the machine's
# cores) or one-share or four-share (the same, each host held to its own
# CPU share, $fleet_share of a core); its bytes over loopback go to
# $work/times/fleet.CHAIN.bytes, and the CPU time the hosts used to
# fleet.CHAIN.hosts. Checks that it succeeded and where each host's current
# points afterwards.
fleet_run() {
  local r=$1 c=$2 id=$3 limit=() tx0 tx1 name want h0
  [[ $c == four* ]] || limit=(--limit host1)
  fleet_prepare_run "$c"
  h0=$(fleet_hosts_cpu_ns)
  tx0=$(lo_tx)
  # A run to host1 alone leaves it a release ahead of the others, which
  # deploy.yml refuses to deploy over unless told to.
  timed_cpu "$work/times/fleet.$c" fleet_playbook "$WORK/logs/$r-$c" deploy.yml "${limit[@]}" \
    -e release="$fleet_rel" -e release_id="$id" -e allow_split_fleet=true -e persist_report_dir="$WORK/reports" ||
    die "ansible-playbook could not be run in round $r ($c) (see $work/log.txt)"
  tx1=$(lo_tx)
  echo $(($(fleet_hosts_cpu_ns) - h0)) >>"$work/times/fleet.$c.hosts"
  fleet_ssh_rx >>"$work/times/fleet.$c.ssh"
  ((rc == 0)) ||
    die "deploy.yml of release $id to $c host(s) failed in round $r (exit $rc): see $WORK/logs/$r-$c.out and .err, and the report under $WORK/reports"
  echo $((tx1 - tx0)) >>"$work/times/fleet.$c.bytes"
  for name in "${FLEET_HOSTS[@]}"; do
    want=$id
    [[ $c == four* || $name == host1 ]] || want=${fleet_live[$name]}
    [[ "$(fleet_current "$name" || true)" == "$want" ]] ||
      die "after deploy.yml of $id to $c host(s) in round $r, $name's current is '$(fleet_current "$name" || true)', not $want: see $FLEET/$name/site and $WORK/logs/$r-$c.out"
    fleet_live[$name]=$want
  done
}

fleet_bench() {
  local f=$work/fleet r c n order line name t0 site
  mkdir -p "$f/logs" "$f/reports"
  command -v tar >/dev/null || die "tar is missing: apt-get install tar"

  # -------------------------------------------------------------- the fleet

  step "The fleet: $fleet_hosts hosts, each an sshd on 127.0.0.1 (tests/fleet/fleet.sh)"
  # WORK: the fleet's directory; PERSIST: the persist each host runs (its
  # persist_bin in the inventory). The playbooks are the checkout's, by path.
  WORK=$f PERSIST=$work/bin/persist FLEET_PLAYBOOKS=$repo/ansible/playbooks
  # fleet_start sets its own EXIT trap (stop the sshds); the bench's must
  # still run after it. fleet.sh is written for tests without errexit: its
  # clean-up runs in an || list, where a kill of an sshd already gone does
  # not stop it halfway.
  trap '{ fleet_stop_all || true; }; cpu_share_remove; bench_exit' EXIT
  fleet_start "$fleet_hosts"
  trap '{ fleet_stop_all || true; }; cpu_share_remove; bench_exit' EXIT
  echo "inventory: $FLEET_INVENTORY; ansible.cfg: $ANSIBLE_CONFIG (forks 10, pipelining, ssh ControlPersist 60s)"

  # On a real fleet each host runs its sessions, Python modules and persist
  # on its own CPU; here the hosts share the machine's cores with each other
  # and with the controller, so four hosts cost four times the host CPU of
  # one on the same cores. The share runs hold each host to its own share of
  # a core, the same whether it runs alone or among four: as many cores as
  # the machine has, less one left to the controller, split between the
  # hosts (a core at most).
  local i
  fleet_shares='' fleet_share=$(awk -v n="$(nproc)" -v h="$fleet_hosts" 'BEGIN { s = (n - 1) / h; printf "%.2f", (s > 1 ? 1 : s) }')
  if awk -v s="$fleet_share" 'BEGIN { exit !(s > 0) }' && cpu_share_init "${FLEET_HOSTS[@]}"; then
    for ((i = 0; i < ${#FLEET_HOSTS[@]}; i++)); do
      cpu_share_add "${FLEET_HOSTS[i]}" "${FLEET_PIDS[i]}" || die "moving ${FLEET_HOSTS[i]}'s sshd into its cgroup failed"
    done
    fleet_shares=1
    say "CPU shares: each host's sshd, and every session and persist it starts, in its own cgroup ($cpu_share_kind); in the share runs each is held to $fleet_share of a core."
  else
    [[ -n "$cpu_share_why" ]] || cpu_share_why="$(nproc) core(s) leave none to the hosts beside the controller's"
    say "SKIP: the share runs (each host held to its own share of a core): $cpu_share_why."
  fi

  # -------------------------------------------------------------- release

  step "The release, and its first deploy to every host (untimed)"
  scenario_release "$f/release"
  fleet_rel=$scenario_rel
  local files bytes packed
  read -r files bytes < <(count_files "$fleet_rel")
  # The playbook packs the directory on every run (tar -C REL -czf, gzip's
  # default level); the same here, once, gives the size each host receives.
  t0=$(now_ns)
  tar -C "$fleet_rel" -czf "$f/packed.tar.gz" . || die "tar -czf of $fleet_rel into $f/packed.tar.gz failed"
  packed=$(stat -c %s "$f/packed.tar.gz")
  fleet_desc=$(awk -v f="$files" -v b="$bytes" -v p="$packed" -v s="$(($(now_ns) - t0))" 'BEGIN {
    printf "%d files, %.1f MB of file content; packed as the playbook packs it (tar -czf, %.1f s here): %.1f MB", f, b / 1e6, s / 1e9, p / 1e6 }')
  say "release: $fleet_desc"
  rm -f "$f/packed.tar.gz"
  release_listing "$fleet_rel" "$work/snap/fleet-release.txt" nomtime
  declare -gA fleet_live=()
  for name in "${FLEET_HOSTS[@]}"; do
    persist deploy "$fleet_rel" --root "$FLEET/$name/site" --id first --quiet >>"$work/log.txt" 2>&1 ||
      die "the first deploy of $fleet_rel to $FLEET/$name/site failed (see $work/log.txt)"
    fleet_live[$name]=first
  done
  ok "every host's current is release first"
  # lo carries other traffic of the machine too (a build server's client,
  # say): its rate over 5 s with no run of the bench gives the noise in the
  # byte counts below.
  local tx0
  tx0=$(lo_tx) t0=$(now_ns)
  sleep 5
  fleet_background=$(awk -v b="$(($(lo_tx) - tx0))" -v ns="$(($(now_ns) - t0))" 'BEGIN { printf "%.0f", b / (ns / 1e9) }')
  say "lo sent $(awk -v r="$fleet_background" 'BEGIN { printf "%.1f", r / 1e3 }') kB/s over 5 s with no run of the bench: the noise in the byte counts below."

  # -------------------------------------------------------------- rounds

  step "deploy.yml to one host against four: $rounds round(s), alternating"
  say "Each run deploys the release under a new id (rN-one, rN-four, ...) on sites that hold the previous round's; its wall time is ansible-playbook's, its bytes those lo sent meanwhile (other loopback traffic of the machine counts too). Round 1's live releases are compared with the release (mtimes aside). one and four: the hosts share the machine's cores; one-share and four-share: each host held to $fleet_share of a core."
  for ((r = 1; r <= rounds; r++)); do
    order=(one four)
    [[ -z "$fleet_shares" ]] || order+=(one-share four-share)
    ((r % 2)) || mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
    line="round $r/$rounds:"
    for c in "${order[@]}"; do
      fleet_run "$r" "$c" "r$r-$c"
      line+=" $c $(($(tail -n 1 "$work/times/fleet.$c") / 1000000))ms $(awk -v b="$(tail -n 1 "$work/times/fleet.$c.ssh")" -v l="$(tail -n 1 "$work/times/fleet.$c.bytes")" 'BEGIN { printf "%.1fMB to the sshds (%.1fMB over lo)", b / 1e6, l / 1e6 }')"
    done
    echo "$line"
    if ((r == 1)); then
      for name in "${FLEET_HOSTS[@]}"; do
        site=$FLEET/$name/site
        release_listing "$site/$(readlink "$site/current")" "$work/snap/fleet-$name.txt" nomtime
        same "$name: the live release, seen through its links into shared/, is the release, file for file (mtimes aside: tar keeps them to the second)" \
          "$work/snap/fleet-release.txt" "$work/snap/fleet-$name.txt"
      done
    fi
  done
  ok "after every run, each host's current was the release it was sent (host2-host4 unchanged by --limit host1)"

  # -------------------------------------------------------------- update package

  step "deploy.yml -e update=PKG: a vendor update package to $fleet_hosts hosts"
  command -v zip >/dev/null && command -v unzip >/dev/null ||
    die "Info-ZIP's zip and unzip are missing: apt-get install zip unzip"
  make_update_package "$fleet_rel" "$f/new" "$f/update.zip"
  local pkg_zip
  pkg_zip=$(stat -c %s "$f/update.zip")
  say "update: 500 files under vendor/ with a line added ($(awk -v b="$pkg_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB); their zip, the package: $(awk -v z="$pkg_zip" 'BEGIN { printf "%.2f", z / 1e6 }') MB"
  # An update applies over each host's live release, which must be one
  # release everywhere (deploy.yml refuses otherwise): after an even round
  # count host1 is on its own; bring every host onto one first, untimed.
  if [[ "$(printf '%s\n' "${fleet_live[@]}" | sort -u | wc -l)" != 1 ]]; then
    fleet_run base four update-base >/dev/null
    sed -i '$d' "$work/times/fleet.four" "$work/times/fleet.four.cpu" "$work/times/fleet.four.ssh" "$work/times/fleet.four.bytes" "$work/times/fleet.four.hosts"
  fi
  # The playbook's own traffic for an update package (its modules, the
  # hosts' reads and reports) is measured on the same play with a package
  # of one file, the release's composer.json as it is, which makes a
  # release equal to the live one; the rest of the real package's bytes is
  # the release data that travelled.
  [[ -f "$fleet_rel/composer.json" ]] || die "$fleet_rel/composer.json is missing: the one-file package is made of it"
  (cd "$fleet_rel" && zip -qy "$f/one-file.zip" composer.json) || die "zip of the one-file package $f/one-file.zip failed"
  fleet_update_run one-file "$f/one-file.zip" update-one-file
  fleet_update_run update "$f/update.zip" update
  release_listing "$f/new" "$work/snap/fleet-new.txt" nomtime
  for name in "${FLEET_HOSTS[@]}"; do
    site=$FLEET/$name/site
    release_listing "$site/releases/update" "$work/snap/fleet-update-$name.txt" nomtime
    same "$name: the release the update package made is the updated release, file for file (mtimes aside)" \
      "$work/snap/fleet-new.txt" "$work/snap/fleet-update-$name.txt"
  done
  fleet_releases=$(find "$FLEET"/host*/site/releases -mindepth 1 -maxdepth 1 -type d | wc -l)
  # The removal of the sites at the end must not race the emptiers.
  fleet_empty_trash
  { fleet_stop_all || true; }
  cpu_share_remove
  trap bench_exit EXIT

  # -------------------------------------------------------------- results

  step "Fleet results (medians of $rounds round(s))"
  local tm=$work/times
  {
    echo
    echo "The release: $fleet_desc."
    echo
    echo "deploy.yml of the release as a directory, on sites that hold the previous round's release ($fleet_hosts hosts, each an sshd on 127.0.0.1, on this one machine):"
    echo
    echo "| run | median ms (min-max) | controller user CPU ms | controller sys CPU ms | × one host | hosts' CPU ms (median) | MB to the sshds (median) | × packed × hosts | MB over lo (median) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    local chains=(one four) what
    [[ -z "$fleet_shares" ]] || chains+=(one-share four-share)
    for c in "${chains[@]}"; do
      n=1
      [[ $c != four* ]] || n=$fleet_hosts
      what="\`deploy.yml\` to $n host(s)"
      [[ $c != *-share ]] || what+=", each held to $fleet_share of a core"
      printf '%s%s\n' "$(row "$what" "$tm/fleet.$c" "$tm/fleet.${c/four/one}")" \
        "$(awk -v h="$(median "$tm/fleet.$c.hosts")" -v s="$fleet_shares" -v b="$(median "$tm/fleet.$c.ssh")" -v l="$(median "$tm/fleet.$c.bytes")" -v p="$packed" -v n="$n" 'BEGIN {
          printf " %s | %.1f | %.2f | %.1f |", (s ? sprintf("%.0f", h / 1e6) : "-"), b / 1e6, b / (p * n), l / 1e6 }')"
    done
    echo
    echo "Round by round: four hosts / one host $(round_ratios "$tm/fleet.four" "$tm/fleet.one")."
    [[ -z "$fleet_shares" ]] ||
      echo "Round by round, each host held to $fleet_share of a core: $(round_ratios "$tm/fleet.four-share" "$tm/fleet.one-share")."
    echo "Controller CPU: ansible-playbook's, with its ssh and tar. Hosts' CPU: what the hosts' sshds and all they started (sessions, Ansible's Python modules, persist) used, from their cgroups. Bytes to the sshds: what the hosts' sshds received on the run's connections (ss -tin, bytes_received; each run opens its own, the controller's ssh masters closed before it), the release and Ansible's modules. Bytes over lo: lo's transmit counter (/proc/net/dev) across the run, so any other loopback traffic of the machine counts too (it sent $(awk -v r="$fleet_background" 'BEGIN { printf "%.1f", r / 1e3 }') kB/s over 5 s before the rounds, with no run of the bench); the packed release is $(awk -v p="$packed" 'BEGIN { printf "%.1f", p / 1e6 }') MB."
    echo "In the runs without shares, all $fleet_hosts hosts and the controller share this machine's $(nproc) cores: four hosts' work takes four times the CPU of one host's on the same cores, which a fleet of machines does not. In the share runs each host has its own $fleet_share of a core, alone or among four, as a host of a fleet has its own CPU; the controller has the rest."
    echo
    awk -v u="$(cat "$tm/fleet.update.ssh")" -v t="$(($(cat "$tm/fleet.update") / 1000000))" -v z="$pkg_zip" \
      -v o="$(cat "$tm/fleet.one-file.ssh")" -v oz="$(stat -c %s "$f/one-file.zip")" -v n="$fleet_hosts" 'BEGIN {
      overhead = o - oz * n
      printf "deploy.yml -e update=PKG to %d hosts: %d ms, %.2f MB to the sshds; the package is %.2f MB (%.2f MB for %d hosts); the playbook'"'"'s own traffic, measured on the same play with a one-file package (%.2f MB to the sshds, less the package): %.2f MB; so %.2f MB of release data travelled, %.2f × the package × hosts.\n",
        n, t, u / 1e6, z / 1e6, z * n / 1e6, n, o / 1e6, overhead / 1e6, (u - overhead) / 1e6, (u - overhead) / (z * n) }'
  } | tee "$work/results-fleet.md"

  # -------------------------------------------------------------- targets

  if [[ -n "$fleet_shares" ]]; then
    target "fleet deploy to $fleet_hosts hosts / to 1 host ≤ 1.5×, each host on its own share of a core" "$(ratio "$tm/fleet.four-share" "$tm/fleet.one-share")" 1.5
  else
    target_missing "fleet deploy to $fleet_hosts hosts / to 1 host ≤ 1.5×, each host on its own share of a core" "$cpu_share_why"
  fi
  target "fleet deploy to $fleet_hosts hosts / to 1 host ≤ 1.5×, all hosts and the controller on the machine's $(nproc) cores" "$(ratio "$tm/fleet.four" "$tm/fleet.one")" 1.5
  target "update package to $fleet_hosts hosts: release data shipped (bytes to the sshds less the playbook's own traffic) ≤ 1.2 × the package × hosts" \
    "$(awk -v u="$(cat "$tm/fleet.update.ssh")" -v o="$(cat "$tm/fleet.one-file.ssh")" -v oz="$(stat -c %s "$f/one-file.zip")" -v z="$pkg_zip" -v n="$fleet_hosts" \
      'BEGIN { print (u - (o - oz * n)) / (z * n) }')" 1.2
}
