# shellcheck shell=bash
# CPU shares for the simulated hosts of tools/bench --fleet (sourced): one
# cgroup per host, holding its sshd and so every session and persist the
# sshd starts, with a CPU quota that can be set and lifted between runs,
# and the CPU time the group used. cgroup v1 (the cpu and cpuacct
# hierarchies) or v2 (the cpu controller of the unified hierarchy); root
# only.
#
#   cpu_share_init host1 host2 ...   the groups; 1, with the cause in
#                                    $cpu_share_why, where there are none
#   cpu_share_add host1 PID          moves PID (and its future children)
#   cpu_share_limit host1 0.25       at most a quarter of one core
#   cpu_share_limit host1 max        no limit
#   cpu_share_used_ns host1          CPU time used since the group was made
#   cpu_share_remove                 the groups, their processes back in the root

cpu_share_kind='' cpu_share_why='' cpu_share_dirs=()
cpu_share_period_us=10000

cpu_share_init() {
  local name base=persist-bench.$$
  if ((EUID != 0)); then
    cpu_share_why="cgroups need root (running as $(id -un))"
    return 1
  fi
  if [[ -w /sys/fs/cgroup/cpu && -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us && -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]]; then
    cpu_share_kind=v1
    for name in "$@"; do
      mkdir -p "/sys/fs/cgroup/cpu/$base/$name" "/sys/fs/cgroup/cpuacct/$base/$name" || {
        cpu_share_why="mkdir under /sys/fs/cgroup/cpu and /sys/fs/cgroup/cpuacct failed"
        return 1
      }
    done
    cpu_share_dirs=("/sys/fs/cgroup/cpu/$base" "/sys/fs/cgroup/cpuacct/$base")
  elif [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
    cpu_share_kind=v2
    if ! { echo +cpu >/sys/fs/cgroup/cgroup.subtree_control && mkdir -p "/sys/fs/cgroup/$base" &&
      echo +cpu >"/sys/fs/cgroup/$base/cgroup.subtree_control"; } 2>/dev/null; then
      cpu_share_why="the cpu controller of /sys/fs/cgroup cannot be enabled for a new group"
      return 1
    fi
    for name in "$@"; do
      mkdir -p "/sys/fs/cgroup/$base/$name" || {
        cpu_share_why="mkdir /sys/fs/cgroup/$base/$name failed"
        return 1
      }
    done
    cpu_share_dirs=("/sys/fs/cgroup/$base")
  else
    cpu_share_why="neither cgroup v1's cpu and cpuacct hierarchies nor a cgroup v2 cpu controller is mounted under /sys/fs/cgroup"
    return 1
  fi
}

cpu_share_add() {
  local dir
  for dir in "${cpu_share_dirs[@]}"; do echo "$2" >"$dir/$1/cgroup.procs" || return 1; done
}

cpu_share_limit() {
  local quota=max
  [[ $2 == max ]] || quota=$(awk -v c="$2" -v p="$cpu_share_period_us" 'BEGIN { printf "%d", c * p }')
  if [[ $cpu_share_kind == v1 ]]; then
    [[ $quota != max ]] || quota=-1
    echo "$cpu_share_period_us" >"${cpu_share_dirs[0]}/$1/cpu.cfs_period_us" &&
      echo "$quota" >"${cpu_share_dirs[0]}/$1/cpu.cfs_quota_us"
  else
    echo "$quota $cpu_share_period_us" >"${cpu_share_dirs[0]}/$1/cpu.max"
  fi
}

cpu_share_used_ns() {
  if [[ $cpu_share_kind == v1 ]]; then
    cat "${cpu_share_dirs[1]}/$1/cpuacct.usage"
  else
    awk '$1 == "usage_usec" { print $2 * 1000 }' "${cpu_share_dirs[0]}/$1/cpu.stat"
  fi
}

cpu_share_remove() {
  local dir group pid root
  for dir in "${cpu_share_dirs[@]}"; do
    root=$(dirname "$dir")
    for group in "$dir"/*/; do
      [[ -f "$group/cgroup.procs" ]] || continue
      while read -r pid; do echo "$pid" >"$root/cgroup.procs" 2>/dev/null || true; done <"$group/cgroup.procs"
      rmdir "$group" 2>/dev/null || true
    done
    rmdir "$dir" 2>/dev/null || true
  done
  cpu_share_dirs=()
}
