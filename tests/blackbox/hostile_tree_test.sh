#!/usr/bin/env bash
# Hostile releases through the real binary: fifos, sockets and a device node
# (refused before anything is touched, each one named); a persistent path
# that is a symlink out of the release (refused, never followed); names of
# any bytes and a tree 100 levels deep (deployed exactly, then checked by
# verify, compared by diff, shown by show --json and undone exactly).
#
# usage: hostile_tree_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

# stderr_has NAME TEXT: NAME.err contains TEXT (fixed string).
stderr_has() {
  grep -qF -- "$2" "$1.err" && return 0
  echo "    stderr of $1 does not contain: $2" >&2
  show_file "$1.err"
  return 1
}

# make_release DIR VERSION: the shop sample release with a demo upload.
make_release() {
  sample_release "$1" shop "$2"
  mkdir -p "$1"/public/uploads/demo
  printf 'demo\n' >"$1"/public/uploads/demo/avatar.txt
}

# no_journal_run SITE: no run was recorded (no journal, or none in it).
no_journal_run() {
  [[ -e "$1/.persist/journal/data.mdb" ]] || return 0
  run_quiet runs.out runs.err "$PERSIST" log --root "$1" --json
  json_get runs.out '.runs | length == 0' >/dev/null
}

mkdir site
make_release up-v1 v1
run_persist base deploy up-v1 --root site --id v1
check "the base deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file base.err

# ---------------------------------------------------------------- special files

make_release special v2
mkfifo special/public/queue
mkfifo special/app/"fifo with
newline"
python3 -c 'import socket,os,sys; os.chdir(sys.argv[1]); socket.socket(socket.AF_UNIX).bind("php.sock")' special/storage/logs
device=0
mknod special/app/null c 1 3 2>/dev/null && device=1
snapshot site special-before.snap
persist_cmd special deploy special --root site --id v2
check "a release holding fifos, a socket and a device is refused with exit 2 (got $rc)" test "$rc" -eq 2 ||
  show_file special.err
check "the refusal names the fifo" stderr_has special "public/queue (fifo)"
check "the refusal names the fifo with a newline on one line" stderr_has special 'app/fifo with\x0anewline (fifo)'
check "the refusal names the socket" stderr_has special "storage/logs/php.sock (socket)"
if ((device)); then
  check "the refusal names the device" stderr_has special "app/null (character device)"
fi
check "the refusal says what to do" stderr_has special "deploy again (nothing was changed)"
snapshot site special-after.snap
check "the site is unchanged after the refusal" same_snapshot special-before.snap special-after.snap
check "no release v2 was made" test ! -e site/releases/v2

# ---------------------------------------------------------------- a persistent path leading out

mkdir -p outside
printf 'outside the site\n' >outside/keep.txt
snapshot outside outside-before.snap
for shared_path in storage public/uploads .env; do
  rm -rf escape
  make_release escape v2
  rm -rf "escape/$shared_path"
  ln -s "$WORK/outside" "escape/$shared_path"
  snapshot site escape-before.snap
  name="escape-${shared_path//\//-}"
  persist_cmd "$name" deploy escape --root site --id v2
  check "a release whose $shared_path leads out of it is refused with exit 2 (got $rc)" test "$rc" -eq 2 ||
    show_file "$name.err"
  check "the refusal names $shared_path and its target" stderr_has "$name" "$shared_path in the release is a symlink (-> $WORK/outside)"
  snapshot site escape-after.snap
  check "the site is unchanged after refusing $shared_path" same_snapshot escape-before.snap escape-after.snap
done
snapshot outside outside-after.snap
check "nothing outside the site changed" same_snapshot outside-before.snap outside-after.snap

# ---------------------------------------------------------------- names of any bytes, 100 levels

make_release odd v2
python3 - odd <<'PY'
import os, sys
root = sys.argv[1].encode()
names = [b"a name with spaces.php", b"new\nline.php", b"caf\xe9-latin1.php", b"\xff\xfe\xfd",
         b"x" * 251 + b".php", b"-rf", b" leading", b"trailing ", b"back\\slash", b"tab\there"]
for base in (b"app/odd", b"public/uploads/odd"):
    os.makedirs(os.path.join(root, base), exist_ok=True)
    for n in names:
        # Uploads hold no PHP (verify would rightly flag it): the same odd
        # names there end in .jpg.
        n = n if base == b"app/odd" else n.replace(b".php", b".jpg")
        with open(os.path.join(root, base, n), "wb") as f:
            f.write(b"content of " + n)
deep = os.path.join(root, b"app/deep", *[b"d%d" % i for i in range(100)])
os.makedirs(deep)
with open(os.path.join(deep, b"leaf.php"), "wb") as f:
    f.write(b"<?php // a hundred levels down\n")
PY
snapshot site odd-before.snap
persist_cmd odd deploy odd --root site --id v2 --merge-new
check "a release with hostile names deploys (got $rc)" test "$rc" -eq 0 || show_file odd.err
# app_code DIR OUT: the snapshot of a release but for its shared paths
# (storage/, bootstrap/, .env, public/uploads/) and public/.well-known/, and
# but for the release directory's own line.
app_code() {
  "$SNAPSHOT_TOOL" --exclude storage --exclude bootstrap --exclude .env \
    --exclude public/uploads --exclude public/.well-known "$1" | grep -v $'^\\.\t' >"$2"
}
app_code odd odd-code.snap
app_code site/releases/v2 v2-code.snap
check "its app code is deployed exactly" same_snapshot odd-code.snap v2-code.snap
check "--merge-new copies the hostile names of public/uploads into shared/ exactly" \
  cmp -s "odd/public/uploads/odd/$(printf 'caf\xe9-latin1.jpg')" "site/shared/public/uploads/odd/$(printf 'caf\xe9-latin1.jpg')"
persist_cmd odd-verify verify --root site
check "verify checks the release against its manifest and finds it healthy (got $rc)" test "$rc" -eq 0 ||
  show_file odd-verify.out
check "verify did check the manifest" grep -q "paths of release v2 checked against its manifest" odd-verify.out
printf 'tampered\n' >"site/releases/v2/app/odd/$(printf '\xff\xfe\xfd')"
persist_cmd odd-tampered verify --root site
check "verify names a tampered file with a raw name (got $rc)" test "$rc" -eq 1
check "the tampered name is printed escaped" grep -qF 'app/odd/\xff\xfe\xfd' odd-tampered.out
printf 'content of \xff\xfe\xfd' >"site/releases/v2/app/odd/$(printf '\xff\xfe\xfd')"
persist_cmd odd-diff diff v1 v2 --root site
check "diff of the releases works (got $rc)" test "$rc" -eq 0 || show_file odd-diff.err
check "diff lists the raw name, escaped" grep -qF 'caf\xe9-latin1.php' odd-diff.out
run_id=$("$PERSIST" log --root site --json | json_get - '.runs[-1].id')
persist_cmd odd-show show "$run_id" --root site --json
check "show --json of the deploy is valid JSON (got $rc)" json_check odd-show.out 'true'
persist_cmd odd-undo undo --root site
check "undo of the hostile deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file odd-undo.err
snapshot site odd-after.snap
check "undo leaves the site exactly as before the hostile deploy" same_snapshot odd-before.snap odd-after.snap
persist_cmd odd-log log --root site
check "the journal still lists both runs, the second undone" \
  test "$(grep -c '^2' odd-log.out)" -eq 2 -a "$(grep -c ' undone ' odd-log.out)" -eq 1

finish
