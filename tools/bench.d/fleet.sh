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
# (subsequent deploys); the two runs of a round alternate (the order is
# reversed in even rounds), each after an untimed sync:
#
#   one    ansible-playbook -i INVENTORY deploy.yml --limit host1 -e release=REL -e release_id=rN-one
#   four   ansible-playbook -i INVENTORY deploy.yml -e release=REL -e release_id=rN-four
#
# The wall time of ansible-playbook is measured, and the bytes the hosts'
# sshds received on the run's connections (ss -tin; the controller's ssh
# masters are closed before each run, so each run opens its own), against
# the packed release's size times the hosts; beside them the bytes lo sent
# meanwhile (/proc/net/dev), which count any other loopback traffic of the
# machine too, and lo's rate with no run of the bench. After each run every host's current is checked (the hosts left
# out by --limit stay where they were), and after round 1 each host's live
# release is compared file for file with the release.
#
# Then a vendor update package (release.sh's make_update_package: a zip of
# 500 changed files under vendor/) is deployed to the four hosts with
# deploy.yml -e update=PKG, once, timed and its bytes to the sshds counted:
# beyond the playbook's own traffic (what a full deploy to four hosts ships
# besides the packed release), only the package must travel, once per host.
# Every host's live release is then compared file for file with the
# updated release.

# The fleet's functions (fleet_start, fleet_playbook, fleet_current,
# fleet_stop_all), sourced here at the top level so that the arrays it
# declares are global. What it takes from the tests' lib.sh is set in
# fleet_bench: die (common.sh's here), WORK and PERSIST.
# shellcheck source=tests/fleet/fleet.sh
source "$repo/tests/fleet/fleet.sh"

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

# fleet_run ROUND CHAIN ID: one timed ansible-playbook run of deploy.yml,
# CHAIN one (host1 alone) or four (every host); its bytes over loopback go
# to $work/times/fleet.CHAIN.bytes. Checks that it succeeded and where each
# host's current points afterwards.
fleet_run() {
  local r=$1 c=$2 id=$3 limit=() tx0 tx1 name want
  [[ $c == four ]] || limit=(--limit host1)
  fleet_close_masters
  sync
  tx0=$(lo_tx)
  timed_cpu "$work/times/fleet.$c" fleet_playbook "$WORK/logs/$r-$c" deploy.yml "${limit[@]}" \
    -e release="$fleet_rel" -e release_id="$id" -e persist_report_dir="$WORK/reports" ||
    die "ansible-playbook could not be run in round $r ($c) (see $work/log.txt)"
  tx1=$(lo_tx)
  fleet_ssh_rx >>"$work/times/fleet.$c.ssh"
  ((rc == 0)) ||
    die "deploy.yml of release $id to $c host(s) failed in round $r (exit $rc): see $WORK/logs/$r-$c.out and .err, and the report under $WORK/reports"
  echo $((tx1 - tx0)) >>"$work/times/fleet.$c.bytes"
  for name in "${FLEET_HOSTS[@]}"; do
    want=$id
    [[ $c == four || $name == host1 ]] || want=${fleet_live[$name]}
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
  trap '{ fleet_stop_all || true; }; bench_exit' EXIT
  fleet_start "$fleet_hosts"
  trap '{ fleet_stop_all || true; }; bench_exit' EXIT
  echo "inventory: $FLEET_INVENTORY; ansible.cfg: $ANSIBLE_CONFIG (forks 10, pipelining, ssh ControlPersist 60s)"

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
  say "Each run deploys the release under a new id (rN-one, rN-four) on sites that hold the previous round's; its wall time is ansible-playbook's, its bytes those lo sent meanwhile (other loopback traffic of the machine counts too). Round 1's live releases are compared with the release (mtimes aside)."
  for ((r = 1; r <= rounds; r++)); do
    order=(one four)
    ((r % 2)) || order=(four one)
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
    sed -i '$d' "$work/times/fleet.four" "$work/times/fleet.four.cpu" "$work/times/fleet.four.ssh" "$work/times/fleet.four.bytes"
  fi
  fleet_close_masters
  sync
  timed_cpu "$work/times/fleet.update" fleet_playbook "$WORK/logs/update" deploy.yml \
    -e update="$f/update.zip" -e release_id=update -e persist_report_dir="$WORK/reports" ||
    die "ansible-playbook could not be run for the update package (see $work/log.txt)"
  fleet_ssh_rx >"$work/times/fleet.update.ssh"
  ((rc == 0)) ||
    die "deploy.yml -e update=$f/update.zip failed (exit $rc): see $WORK/logs/update.out and .err, and the report under $WORK/reports"
  release_listing "$f/new" "$work/snap/fleet-new.txt" nomtime
  for name in "${FLEET_HOSTS[@]}"; do
    [[ "$(fleet_current "$name" || true)" == update ]] ||
      die "after deploy.yml -e update=..., $name's current is '$(fleet_current "$name" || true)', not update: see $WORK/logs/update.out"
    site=$FLEET/$name/site
    release_listing "$site/releases/update" "$work/snap/fleet-update-$name.txt" nomtime
    same "$name: the release the update package made is the updated release, file for file (mtimes aside)" \
      "$work/snap/fleet-new.txt" "$work/snap/fleet-update-$name.txt"
  done
  fleet_releases=$(find "$FLEET"/host*/site/releases -mindepth 1 -maxdepth 1 -type d | wc -l)
  { fleet_stop_all || true; }
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
    echo "| run | median ms (min-max) | controller user CPU ms | controller sys CPU ms | × one host | MB to the sshds (median) | × packed × hosts | MB over lo (median) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for c in one four; do
      n=1
      [[ $c == one ]] || n=$fleet_hosts
      printf '%s%s\n' "$(row "\`deploy.yml\` to $n host(s)" "$tm/fleet.$c" "$tm/fleet.one")" \
        "$(awk -v b="$(median "$tm/fleet.$c.ssh")" -v l="$(median "$tm/fleet.$c.bytes")" -v p="$packed" -v n="$n" 'BEGIN { printf " %.1f | %.2f | %.1f |", b / 1e6, b / (p * n), l / 1e6 }')"
    done
    echo
    echo "Round by round: four hosts / one host $(round_ratios "$tm/fleet.four" "$tm/fleet.one")."
    echo "CPU: the controller's (ansible-playbook, ssh, tar), not the persist each host runs under its sshd. Bytes to the sshds: what the hosts' sshds received on the run's connections (ss -tin, bytes_received; each run opens its own, the controller's ssh masters closed before it), the release and Ansible's modules. Bytes over lo: lo's transmit counter (/proc/net/dev) across the run, so any other loopback traffic of the machine counts too (it sent $(awk -v r="$fleet_background" 'BEGIN { printf "%.1f", r / 1e3 }') kB/s over 5 s before the rounds, with no run of the bench); the packed release is $(awk -v p="$packed" 'BEGIN { printf "%.1f", p / 1e6 }') MB."
    echo "All $fleet_hosts hosts and the controller share this machine's $(nproc) cores: the four hosts' persist runs compete for them."
    echo
    awk -v u="$(cat "$tm/fleet.update.ssh")" -v t="$(($(cat "$tm/fleet.update") / 1000000))" -v z="$pkg_zip" \
      -v full="$(median "$tm/fleet.four.ssh")" -v p="$packed" -v n="$fleet_hosts" 'BEGIN {
      overhead = full - p * n
      printf "deploy.yml -e update=PKG to %d hosts: %d ms, %.2f MB to the sshds; the package is %.2f MB (%.2f MB for %d hosts); the playbook'"'"'s own traffic, what a full deploy to %d hosts ships besides the packed release: %.2f MB; so %.2f MB of release data travelled, %.2f × the package × hosts (a full deploy: %.1f MB).\n",
        n, t, u / 1e6, z / 1e6, z * n / 1e6, n, n, overhead / 1e6, (u - overhead) / 1e6, (u - overhead) / (z * n), full / 1e6 }'
  } | tee "$work/results-fleet.md"

  # -------------------------------------------------------------- targets

  target "fleet deploy to $fleet_hosts hosts / to 1 host ≤ 1.5×" "$(ratio "$tm/fleet.four" "$tm/fleet.one")" 1.5
  target "update package to $fleet_hosts hosts: release data shipped (bytes to the sshds less the playbook's own traffic) ≤ 1.2 × the package × hosts" \
    "$(awk -v u="$(cat "$tm/fleet.update.ssh")" -v full="$(median "$tm/fleet.four.ssh")" -v p="$packed" -v z="$pkg_zip" -v n="$fleet_hosts" \
      'BEGIN { print (u - (full - p * n)) / (z * n) }')" 1.2
}
