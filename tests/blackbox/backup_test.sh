#!/usr/bin/env bash
# persist backup and restore, seen from outside: a backup of shared/ (pax,
# mode 0600, never overwritten) restored over a changed shared/ gives it back
# exactly (mtimes to the nanosecond); what the archive lacks is kept in
# .persist/rescued/; persist undo gives back the shared/ before the restore
# exactly; a restore into an empty directory rebuilds shared/; bad archives
# exit 2 and change nothing; a backup while a run is under way exits 4; an
# interrupted restore is refused (exit 3) by backup and restore alike and
# undone exactly by persist recover.
#
# usage: backup_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace
cd "$WORK" || die "cd $WORK"
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

# persist_cmd NAME ARGS...: runs persist, output in NAME.out and NAME.err.
last=
persist_cmd() {
  last=$1
  shift
  run_persist "$last" "$@"
}
# expect_rc CODE WHAT: the last persist_cmd exited CODE.
expect_rc() {
  check "$2 exits $1 (got $rc)" test "$rc" -eq "$1" || { show_file "$last.err"; true; }
}
# no_scratch_left: every restore removes its extraction from TMPDIR.
no_scratch_left() {
  test -z "$(ls -A "$TMPDIR")"
}

sample_release up1 shop v1
mkdir site
persist_cmd d1 deploy up1 --root site --id v1
check "the deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err

# User data in shared/: modes 0600 and 0755, a symlink, an empty directory,
# a name with a space, nanosecond mtimes, and the profile.
printf 'avatar one\n' >site/shared/public/uploads/user-1.png
printf 'private\n' >'site/shared/public/uploads/contract of sale.pdf'
chmod 0600 'site/shared/public/uploads/contract of sale.pdf'
printf '#!/bin/sh\necho hi\n' >site/shared/storage/run.sh
chmod 0755 site/shared/storage/run.sh
printf 'log line\n' >site/shared/storage/logs/laravel.log
mkdir -p site/shared/storage/app/empty
ln -s uploads/user-1.png site/shared/public/latest.png
printf 'user: "public/attachments/"\n' >site/shared/.persistence-config
i=0
while IFS= read -r -d '' p; do
  i=$((i + 1))
  touch -h -d "2024-03-04 05:06:$((i % 60)).$((100000000 + i * 7654321)) UTC" "$p"
done < <(find site/shared ! -type d -print0 | sort -z)
snapshot site/shared backup-time.snap

# ---------------------------------------------------------------- backup

persist_cmd b1 backup --root site --out site.tar
expect_rc 0 "backup"
check "backup says what it wrote" grep -q "wrote site.tar" b1.out
check "the archive is mode 0600 (it holds .env)" test "$(stat -c %a site.tar)" = 600
check "GNU tar reads it, with shared/.env in it" grep -qx 'shared/.env' <(tar -tf site.tar 2>/dev/null)
tar --full-time -tvf site.tar >listing.txt 2>/dev/null
check "it keeps nanosecond mtimes" grep -q '\.[0-9]\{6,9\} *shared/storage/run.sh$' listing.txt
check "it stores the symlink as a symlink" \
  grep -q 'shared/public/latest.png -> uploads/user-1.png' listing.txt
sum=$(sha256sum site.tar)

persist_cmd b2 backup --root site --out site.tar
expect_rc 2 "a backup onto an existing file"
check "it names the file and says it never overwrites" grep -q "site.tar exists; persist never overwrites" b2.err
check "the existing archive is untouched" test "$(sha256sum site.tar)" = "$sum"
persist_cmd b3 backup --root site --out site/shared/inside.tar
expect_rc 2 "a backup written inside shared/"
check "nothing was left in shared/" test -z "$(ls -A site/shared | grep -F inside.tar)"
mkdir -p elsewhere
last=b4
(cd elsewhere && "$PERSIST" backup --root ../site >../b4.out 2>../b4.err) && rc=0 || rc=$?
expect_rc 0 "a backup with the default name"
check "the default name is persist-backup-site-<UTC time>.tar in the current directory" \
  test -n "$(ls elsewhere | grep -E '^persist-backup-site-[0-9]{8}T[0-9]{6}Z\.tar$')"
persist_cmd b5 backup --root nowhere
expect_rc 2 "a backup of a missing site"

# ---------------------------------------------------------------- change shared/

printf 'avatar one, edited\n' >site/shared/public/uploads/user-1.png
rm site/shared/storage/logs/laravel.log
printf 'uploaded after the backup\n' >site/shared/public/uploads/user-2.png
snapshot site pre-restore.snap

# ---------------------------------------------------------------- bad archives

printf 'this is not an archive\n' >garbled.tar
: >empty.tar
gzip -c up1/app/index.php >text.gz
mkdir -p evil/inner && printf 'x\n' >evil/outside.txt
(cd evil/inner && tar -cPf ../../dotdot.tar ../outside.txt)
tar -cPf absolute.tar "$WORK/evil/outside.txt"
tar -cf foreign.tar up1
head -c 4000 site.tar >truncated.tar
for bad in missing.tar garbled.tar empty.tar text.gz dotdot.tar absolute.tar foreign.tar truncated.tar; do
  name=r_${bad%%.*}
  persist_cmd "$name" restore "$bad" --root site
  expect_rc 2 "restore of $bad"
  check "the error about $bad names it" grep -qF "$bad" "$name.err"
  snapshot site after-bad.snap
  check "restore of $bad changed nothing" same_snapshot pre-restore.snap after-bad.snap
  check "restore of $bad left nothing in TMPDIR" no_scratch_left
done
check "the archive holding .. is refused for it" grep -q '\.\.' r_dotdot.err
check "the archive holding an absolute path is refused for it" grep -q 'absolute' r_absolute.err
check "nothing was written outside" test "$(cat evil/outside.txt)" = x

# ---------------------------------------------------------------- restore

persist_cmd r1 restore site.tar --root site
expect_rc 0 "restore"
snapshot site/shared restored.snap
check "shared/ is exactly as at backup time (mtimes included)" same_snapshot backup-time.snap restored.snap
rescued=$(ls -d site/.persist/rescued/restore-*/shared 2>/dev/null | head -1)
check "what the archive lacks is kept in .persist/rescued/restore-RUN/shared" test -n "$rescued"
check "the file added after the backup is kept" \
  test "$(cat "$rescued/public/uploads/user-2.png" 2>/dev/null)" = "uploaded after the backup"
check "the file edited after the backup is kept as edited" \
  test "$(cat "$rescued/public/uploads/user-1.png" 2>/dev/null)" = "avatar one, edited"
check "restore lists what it kept" grep -q "public/uploads/user-2.png (not in the archive)" r1.out
check "restore left nothing in TMPDIR" no_scratch_left
check "the live release still reads shared/ through its links" \
  test "$(cat site/current/public/uploads/user-1.png)" = "avatar one"

persist_cmd u1 undo --root site
expect_rc 0 "undo of the restore"
snapshot site undone.snap
check "undo gives back the shared/ before the restore exactly" same_snapshot pre-restore.snap undone.snap

# Disaster recovery: an empty directory gets shared/ back.
mkdir fresh
persist_cmd r2 restore site.tar --root fresh
expect_rc 0 "restore into an empty directory"
snapshot fresh/shared fresh.snap
check "it rebuilds shared/ exactly" same_snapshot backup-time.snap fresh.snap

# ---------------------------------------------------------------- under way

# A restore paused for 3 s as it enters its first renameat2 (strace
# delay_enter is in microseconds): its run is under way, its tree half made.
strace -f -o /dev/null -e trace=renameat2 -e inject=renameat2:delay_enter=3000000:when=1 \
  "$PERSIST" restore site.tar --root site >w_restore.out 2>w_restore.err &
strace_pid=$!
for _ in $(seq 1 200); do
  compgen -G 'site/.persist-*.tmp' >/dev/null && break
  sleep 0.05
done
check "the paused restore is staging its tree" compgen -G 'site/.persist-*.tmp'
persist_cmd w1 backup --root site --out under-way.tar
expect_rc 4 "a backup while a restore is under way"
check "it says a run is changing the site right now" grep -q "right now" w1.err
check "it wrote no archive" test ! -e under-way.tar
rc=0
wait "$strace_pid" || rc=$?
check "the paused restore then finished (got $rc)" test "$rc" -eq 0 || show_file w_restore.err
persist_cmd w2 undo --root site
expect_rc 0 "undo of that restore"
snapshot site undone-again.snap
check "undo gives back the shared/ before it exactly" same_snapshot pre-restore.snap undone-again.snap
check "that restore left nothing in TMPDIR" no_scratch_left

# ---------------------------------------------------------------- interrupted

run_quiet k.out k.err strace -f -o /dev/null -e trace=renameat2 \
  -e inject=renameat2:signal=KILL:when=1 "$PERSIST" restore site.tar --root site
check "the restore was killed at its first renameat2 (exit 137, got $rc)" test "$rc" -eq 137 || show_file k.err
persist_cmd i1 backup --root site --out interrupted.tar
expect_rc 3 "a backup while a restore is interrupted"
check "it names persist recover" grep -q "persist recover" i1.err
check "it wrote no archive" test ! -e interrupted.tar
persist_cmd i2 restore site.tar --root site
expect_rc 3 "a restore while a restore is interrupted"
persist_cmd i3 recover --root site
expect_rc 0 "recover"
snapshot site recovered.snap
check "recover gives back the shared/ before the restore exactly" same_snapshot pre-restore.snap recovered.snap

finish
