# Filesystems of their own for the tests that need a real one: loop-mounted
# images (a read-only mount, a full disk, btrfs, a second filesystem inside a
# site), a tmpfs, a bind mount.
#
# Source it after lib.sh and init_test:   source "$(dirname "$0")/mounts.sh"
# Every image lives under $WORK, and every mount is undone when the test
# exits. Where mounting is not permitted (no root, no loop device, a
# container without CAP_SYS_ADMIN, a kernel without the filesystem), the
# test prints one "SKIP: ..." line and exits 0: these tests can only prove
# something on a real mount.

MOUNTS=()

unmount_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null
  done
  MOUNTS=()
}
trap unmount_all EXIT

# skip REASON: the test cannot run here; says why and exits 0.
skip() {
  printf 'SKIP: %s\n' "$*"
  exit 0
}

# require_mounts FSTYPE...: skips unless this process may loop-mount each
# FSTYPE (root, the kernel lists it, its mkfs is installed).
require_mounts() {
  ((EUID == 0)) || skip "loop mounts need root (running as uid $EUID)"
  [[ -e /dev/loop-control ]] || skip "no /dev/loop-control: loop devices are not available"
  local fs
  for fs in "$@"; do
    grep -qw "$fs" /proc/filesystems || skip "the kernel has no $fs (not in /proc/filesystems)"
    command -v "mkfs.$fs" >/dev/null 2>&1 || skip "mkfs.$fs is not installed (tools/setup installs it)"
  done
}

# mount_image FSTYPE SIZE_MIB DIR [MKFS_OPTION...]: makes a SIZE_MIB image of
# FSTYPE under $WORK and loop-mounts it at DIR (created). Skips the test
# when the mount is refused.
mount_image() {
  local fs=$1 size=$2 dir=$3
  shift 3
  local image
  image=$(mktemp "$WORK/$fs-image.XXXXXX") || die "mktemp under $WORK failed"
  truncate -s "${size}M" "$image" || die "truncate $image failed"
  local out
  case $fs in
    ext4) out=$(mkfs.ext4 -q -F "$@" "$image" 2>&1) ;;
    btrfs) out=$(mkfs.btrfs -q -f "$@" "$image" 2>&1) ;;
    xfs) out=$(mkfs.xfs -q -f "$@" "$image" 2>&1) ;;
    *) die "mount_image: no mkfs for $fs" ;;
  esac
  (($? == 0)) || die "mkfs.$fs $image failed: $out"
  mkdir -p "$dir" || die "mkdir $dir failed"
  out=$(mount -o loop "$image" "$dir" 2>&1) || skip "mount -o loop of a $fs image is refused here: $out"
  MOUNTS+=("$dir")
}

# remount DIR OPTIONS: mount -o remount,OPTIONS DIR, or fail the test.
remount() {
  mount -o "remount,$2" "$1" || die "mount -o remount,$2 $1 failed"
}

# fill_disk DIR: writes DIR/.fill until the filesystem holding DIR has no
# block left for root, and syncs so that every block is really taken.
fill_disk() {
  local dir=$1
  dd if=/dev/zero of="$dir/.fill" bs=1M status=none 2>/dev/null
  dd if=/dev/zero of="$dir/.fill-tail" bs=4k status=none 2>/dev/null
  sync -f "$dir" 2>/dev/null || sync
  return 0
}

# fill_inodes DIR: creates empty files under DIR/.inodes until the
# filesystem holding DIR has no free inode left.
fill_inodes() {
  local dir=$1/.inodes i=0
  mkdir -p "$dir" || die "mkdir $dir failed"
  while : >"$dir/$i" 2>/dev/null; do
    i=$((i + 1))
  done
  sync -f "$1" 2>/dev/null || sync
  return 0
}

# mount_tmpfs SIZE_MIB DIR: mounts a tmpfs of SIZE_MIB at DIR (created),
# its root mode 0755 as a directory mkdir makes (not tmpfs's 1777). Skips
# the test when the mount is refused.
mount_tmpfs() {
  local size=$1 dir=$2 out
  ((EUID == 0)) || skip "mounting a tmpfs needs root (running as uid $EUID)"
  mkdir -p "$dir" || die "mkdir $dir failed"
  out=$(mount -t tmpfs -o "size=${size}m,mode=0755" tmpfs "$dir" 2>&1) ||
    skip "mount -t tmpfs is refused here: $out"
  MOUNTS+=("$dir")
}

# bind_mount SRC DIR: mounts the directory SRC at DIR (created) too, as
# mount --bind does. Skips the test when the mount is refused.
bind_mount() {
  local src=$1 dir=$2 out
  ((EUID == 0)) || skip "a bind mount needs root (running as uid $EUID)"
  mkdir -p "$dir" || die "mkdir $dir failed"
  out=$(mount --bind "$src" "$dir" 2>&1) || skip "mount --bind is refused here: $out"
  MOUNTS+=("$dir")
}
