#!/usr/bin/env bash
# A full disk, on real loop-mounted filesystems. On each of ext4 and btrfs
# (256 MiB): a deploy bigger than the free space fails with a clear "no
# space left", is undone, and leaves the site byte for byte as before,
# never killed by a signal (btrfs used to SIGBUS in LMDB); log and verify
# work on the full disk; and `persist undo` of the last deploy completes
# on a disk filled to the last block, back to the exact tree. On ext4 with
# every inode taken, a deploy says "no free inodes".
#
# usage: full_disk_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
source "$(dirname "$0")/mounts.sh"
cd "$WORK" || die "cd $WORK"
require_mounts ext4 btrfs

sample_release up shop
for i in $(seq 1 40); do printf '<?php // file %s\n' "$i" >"up/app/f$i.php"; done

for fs in ext4 btrfs; do
  mount_image "$fs" 256 "$fs"
  site=$fs/site
  mkdir "$site"
  run_persist "$fs-d1" deploy up --root "$site" --id v1 --empty-trash wait
  check "$fs: the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file "$fs-d1.err"
  printf 'a user upload\n' >"$site/shared/public/uploads/photo.jpg"

  # ---- a deploy bigger than the free space
  free_mib=$(df -m --output=avail "$fs" | tail -n 1)
  rm -rf big
  cp -a up big
  head -c "$(((free_mib + 32) * 1048576))" /dev/urandom >big/app/blob || die "cannot write big/app/blob"
  snapshot "$site" "$fs-before.snap"
  run_persist "$fs-big" deploy big --root "$site" --id v2 --empty-trash wait
  check "$fs: a deploy bigger than the disk fails with exit 1, not a signal (got $rc)" \
    test "$rc" -eq 1 || show_file "$fs-big.err"
  check "$fs: it says the filesystem has no space left" \
    grep -q "has no space left (df -h" "$fs-big.err" || show_file "$fs-big.err"
  check "$fs: and that the run was undone" grep -q "failed and was undone" "$fs-big.err"
  snapshot "$site" "$fs-after.snap"
  check "$fs: the site is exactly as before the deploy" same_snapshot "$fs-before.snap" "$fs-after.snap"
  rm -rf big

  # ---- log, verify and undo on a disk with no block left
  printf '<?php // v2\n' >up/app/index.php
  snapshot "$site" "$fs-before-v2.snap"
  run_persist "$fs-d2" deploy up --root "$site" --id v2 --empty-trash wait
  check "$fs: a small deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file "$fs-d2.err"
  fill_disk "$fs"
  check "$fs: the disk is full" test "$(df -k --output=avail "$fs" | tail -n 1)" -lt 1024
  run_persist "$fs-log" log --root "$site"
  check "$fs: persist log works on the full disk (got $rc)" test "$rc" -eq 0 || show_file "$fs-log.err"
  check "$fs: and shows the failed deploy undone" grep -q "failed (undone)" "$fs-log.out"
  run_persist "$fs-verify" verify --root "$site"
  check "$fs: persist verify finds the site healthy on the full disk (got $rc)" test "$rc" -eq 0 ||
    show_file "$fs-verify.out"
  run_persist "$fs-undo" undo --root "$site" --empty-trash wait
  check "$fs: persist undo completes on the full disk (got $rc)" test "$rc" -eq 0 ||
    show_file "$fs-undo.err"
  snapshot "$site" "$fs-after-undo.snap"
  check "$fs: and leaves the site exactly as before that deploy" \
    same_snapshot "$fs-before-v2.snap" "$fs-after-undo.snap"
  run_persist "$fs-log2" log --root "$site"
  check "$fs: persist log still works (got $rc)" test "$rc" -eq 0 || show_file "$fs-log2.err"
  rm -f "$fs/.fill" "$fs/.fill-tail"
  printf '<?php // v1\n' >up/app/index.php
done

# ---- no free inodes
mount_image ext4 16 inodes -N 256
mkdir inodes/site
run_persist i-d1 deploy up --root inodes/site --id v1 --empty-trash wait
check "a deploy on the small ext4 exits 0 (got $rc)" test "$rc" -eq 0 || show_file i-d1.err
fill_inodes inodes
snapshot inodes/site i-before.snap
run_persist i-d2 deploy up --root inodes/site --id v2
check "with every inode taken a deploy fails (got $rc)" test "$rc" -eq 1 || show_file i-d2.err
check "it says the filesystem has no free inodes left, not no space" \
  grep -q "has no free inodes left (df -i" i-d2.err || show_file i-d2.err
snapshot inodes/site i-after.snap
check "and leaves the site exactly as it was" same_snapshot i-before.snap i-after.snap

finish
