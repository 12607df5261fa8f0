#!/usr/bin/env bash
# persist deploy of the vendor's archive itself (.zip, .tar, .tar.gz/.tgz,
# .tar.xz, .tar.bz2, .tar.zst), made by the real tools: Info-ZIP zip, GNU tar
# with gzip, xz, bzip2 and zstd, and python3's zipfile and tarfile for what
# those tools cannot make (Windows-made zips, hostile members).
#
#  1. A CodeCanyon zip, then a .tar.gz of the next version: each release is
#     its source tree exactly, shared/ is seeded once, user data survives,
#     verify is healthy, two undos give back the site before the first.
#  2. The app's own zip inside the download ("Main Files/shop.zip"): found,
#     said, --app-dir leads into it; two app zips are refused naming both.
#  3. Modes: Windows zips give 0644/0755, set-uid/set-gid dropped with a
#     note, nothing world-writable, zip members lose group-write.
#  4. __MACOSX/ and .DS_Store stay out of the release, counted in a note.
#  5. Hostile members (zip slip, absolute paths, symlinks and hard links out
#     of the app, members beneath a symlink or a file, fifos, devices,
#     duplicates, encryption, not an archive, cut short, in the download or
#     inside the app's own zip): exit 2 naming the archive and the member,
#     nothing changed, on a fresh site and on one with a live release.
#  6. Damaged data: a tarball (gzip, xz, bzip2, zstd) broken midway is refused
#     by the plan's scan, which reads all of it (exit 2); a zip whose member
#     data is broken (a bad deflate block, a bad CRC) passes the scan of its
#     central directory, fails mid-unpack and is undone (exit 1).
#  7. Limits: --max-entries, --max-unpacked, the ratio of a zip of zeros.
#  8. --json: a refusal is {"error": {code, message, path}}, path the archive.
#  9. Bad limit values: exit 2 with a clear message.
#
# usage: archive_deploy_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"
for tool in zip unzip tar gzip xz bzip2 zstd python3; do
  command -v "$tool" >/dev/null || die "$tool is needed (tools/setup installs it)"
done
export TZ=UTC

# ---------------------------------------------------------------- helpers

# The paths a deploy of the shop release links into shared/: a release holds
# symlinks there, its source the real directories.
LINKED=(.env storage bootstrap/cache public/uploads public/.well-known)

# app_snapshot DIR OUT: the snapshot of DIR without the LINKED paths.
app_snapshot() {
  local args=() p
  for p in "${LINKED[@]}"; do args+=(--exclude "$p"); done
  "$SNAPSHOT_TOOL" "${args[@]}" "$1" >"$2" || die "snapshot of $1 failed"
}

# fix_mtimes DIR BASE: whole-second, distinct mtimes on every non-directory
# (archives keep seconds), so that a release is its source exactly.
fix_mtimes() {
  local i=0 p
  while IFS= read -r -d '' p; do
    i=$((i + 1))
    touch -h -d "@$(($2 + i * 61))" "$p"
  done < <(find "$1" ! -type d -print0 | sort -z)
}

# same_app SRC RELEASE WHAT: the release is its source tree exactly (type,
# mode, size, content, symlink target, mtime), the LINKED paths aside.
same_app() {
  app_snapshot "$1" "$WORK/app-src.snap"
  app_snapshot "$2" "$WORK/app-rel.snap"
  check "$3: the release is its source tree exactly" same_snapshot "$WORK/app-src.snap" "$WORK/app-rel.snap"
}

# empty_site DIR WHAT: DIR holds nothing (no .persist/ either).
empty_site() {
  check "$2: the site is left empty (no .persist/ either)" test -z "$(ls -A "$1")" ||
    ls -A "$1" >&2
}

# refused NAME ARCHIVE MEMBER WHAT [FLAGS...]: deploying ARCHIVE is refused
# with exit 2 and a message naming the archive and MEMBER ("" for none), on
# a fresh site (left empty) and on the live site (snapshot and journal
# unchanged).
refused() {
  local name=$1 archive=$2 member=$3 what=$4
  shift 4
  rm -rf "fresh-$name" && mkdir "fresh-$name"
  persist_cmd "$name-fresh" deploy "$archive" --root "fresh-$name" --id v9 "$@"
  expect_rc 2 "$what (fresh site)"
  check "$what: the message names the archive" has "$name-fresh.err" "$archive"
  [[ -z "$member" ]] || check "$what: the message names the member" has "$name-fresh.err" "$member"
  empty_site "fresh-$name" "$what"
  snapshot live "$name-before.snap"
  "$PERSIST" log --root live >"$name-log-before.txt" 2>&1
  persist_cmd "$name-live" deploy "$archive" --root live --id v9 "$@"
  expect_rc 2 "$what (site with a live release)"
  local deployed=$((rc == 0))
  [[ -z "$member" ]] || check "$what: the message names the member (live site)" has "$name-live.err" "$member"
  snapshot live "$name-after.snap"
  check "$what: the live site is exactly as before" same_snapshot "$name-before.snap" "$name-after.snap"
  "$PERSIST" log --root live >"$name-log-after.txt" 2>&1
  check "$what: no run was recorded" cmp -s "$name-log-before.txt" "$name-log-after.txt"
  # A wrongful success is taken back, so that the next cases start alike.
  ((deployed == 0)) || "$PERSIST" undo --yes --root live >/dev/null 2>&1 || die "undo on live failed"
}

# A python3 helper for the archives zip and tar cannot make.
cat >mkarchive.py <<'PY'
import io, struct, sys, tarfile, zipfile, warnings
warnings.simplefilter("ignore")  # zipfile warns on a duplicate name
T = 1700000000
APP = [("shop/composer.json", b'{"name": "acme/shop"}\n'),
       ("shop/app/index.php", b"<?php // v1\n")]

def tar(path, extra):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        for name, data in APP:
            add(t, name, data=data)
        for e in extra:
            add(t, **e)

def add(t, name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime, ti.linkname = kind, mode, T, link
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

def zipped(path, extra, app=APP):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in app + extra:
            z.writestr(name, data)

def windows_entry(name, attr):
    zi = zipfile.ZipInfo(name, date_time=(2023, 5, 6, 7, 8, 10))
    zi.create_system = 0  # MS-DOS: no Unix mode at all
    zi.external_attr = attr
    zi.compress_type = zipfile.ZIP_DEFLATED
    return zi

def member_data(path, member):
    """Offset and length of a zip member's compressed data."""
    with zipfile.ZipFile(path) as z:
        zi = z.getinfo(member)
    data = open(path, "rb").read()
    off = zi.header_offset
    n, m = struct.unpack_from("<HH", data, off + 26)
    return off + 30 + n + m, zi.compress_size

kind, out = sys.argv[1], sys.argv[2]
R, S, H = tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
if kind == "tar-dotdot":
    tar(out, [dict(name="shop/../../evil.php", data=b"x")])
elif kind == "tar-absolute":
    tar(out, [dict(name="/tmp/evil.php", data=b"x")])
elif kind == "zip-dotdot":
    zipped(out, [("shop/../../evil.php", b"<?php system($_GET[1]);\n")])
elif kind == "zip-absolute":
    zipped(out, [("/tmp/evil.php", b"x")])
elif kind == "sym-absolute":
    tar(out, [dict(name="shop/public/passwd", kind=S, link="/etc/passwd")])
elif kind == "sym-up":
    tar(out, [dict(name="shop/public/up", kind=S, link="../../outside")])
elif kind == "sym-docs":  # in the archive, but outside the app
    tar(out, [dict(name="documentation/index.html", data=b"<html/>"),
              dict(name="shop/public/doc", kind=S, link="../../documentation/index.html")])
elif kind == "sym-chain":
    tar(out, [dict(name="shop/a", kind=S, link="app"),
              dict(name="shop/app/b", kind=S, link="../a/../../x")])
elif kind == "through-symlink":
    tar(out, [dict(name="shop/lnk", kind=S, link="app"),
              dict(name="shop/lnk/evil.php", data=b"x")])
elif kind == "beneath-file":
    tar(out, [dict(name="shop/app/index.php/evil.php", data=b"x")])
elif kind == "hard-forward":
    tar(out, [dict(name="shop/app/h.php", kind=H, link="shop/app/later.php"),
              dict(name="shop/app/later.php", data=b"y")])
elif kind == "hard-absolute":
    tar(out, [dict(name="shop/app/h.php", kind=H, link="/etc/passwd")])
elif kind == "hard-outside-app":  # earlier in the archive, but not in the app
    tar(out, [dict(name="documentation/index.html", data=b"<html/>"),
              dict(name="shop/app/h.php", kind=H, link="documentation/index.html")])
elif kind == "fifo":
    tar(out, [dict(name="shop/app/pipe", kind=tarfile.FIFOTYPE)])
elif kind == "chardev":
    tar(out, [dict(name="shop/app/null", kind=tarfile.CHRTYPE)])
elif kind == "blockdev":
    tar(out, [dict(name="shop/app/disk", kind=tarfile.BLKTYPE)])
elif kind == "tar-duplicate":
    tar(out, [dict(name="shop/app/index.php", data=b"<?php // evil\n")])
elif kind == "zip-duplicate":
    zipped(out, [("shop/app/index.php", b"<?php // evil\n")])
elif kind == "windows":
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(windows_entry("Shop/", 0x10), b"")
        z.writestr(windows_entry("Shop/composer.json", 0x20), b'{"name": "acme/shop"}\n')
        z.writestr(windows_entry("Shop/app/", 0x10), b"")
        z.writestr(windows_entry("Shop/app/index.php", 0x20), b"<?php // v1\n")
        z.writestr(windows_entry("Shop/public/css/app.css", 0x20), b"body {}\n")
        z.writestr(windows_entry("Shop/artisan", 0x20), b"#!/usr/bin/env php\n")
elif kind == "flip-middle":  # ARGV 3: member: flip bytes in its data
    start, size = member_data(out, sys.argv[3])
    data = bytearray(open(out, "rb").read())
    for i in range(start + size // 2, start + size // 2 + 16):
        data[i] ^= 0x5A
    open(out, "wb").write(bytes(data))
elif kind == "bad-block":  # ARGV 3: member: its deflate stream starts with block type 3
    start, size = member_data(out, sys.argv[3])
    data = bytearray(open(out, "rb").read())
    data[start] = 0x07
    open(out, "wb").write(bytes(data))
elif kind == "flip-at":  # ARGV 3: offset: flip 8 bytes of any file there
    data = bytearray(open(out, "rb").read())
    at = int(sys.argv[3])
    for i in range(at, at + 8):
        data[i] ^= 0xA5
    open(out, "wb").write(bytes(data))
else:
    sys.exit("unknown kind " + kind)
PY
mkarchive() { python3 mkarchive.py "$@" || die "mkarchive.py $* failed"; }

# ---------------------------------------------------------------- 1. zip, then tar.gz, then undo twice
# The vendor's first download: documentation/ beside the app folder, zipped
# by Info-ZIP (-y: symlinks as symlinks). The app has demo uploads and
# storage files (seeded into shared/), an executable, a private file, a
# symlink and a vendor/ tree.
make_shop() {  # DIR VERSION
  sample_release "$1" shop "$2"
  mkdir -p "$1"/vendor/acme/lib/src "$1"/public/css "$1"/storage/app "$1"/public/uploads/demo \
    "$1"/storage/framework/views
  printf '<?php // lib %s\n' "$2" >"$1"/vendor/acme/lib/src/Lib.php
  printf 'body { color: %s }\n' "$2" >"$1"/public/css/app.css
  printf '<?php // front %s\n' "$2" >"$1"/public/index.php
  printf '#!/usr/bin/env php\n<?php // %s\n' "$2" >"$1"/artisan
  chmod 0755 "$1"/artisan
  printf 'vendor secret %s\n' "$2" >"$1"/app/secret.key
  chmod 0600 "$1"/app/secret.key
  ln -s index.php "$1"/app/latest.php
  printf 'demo avatar %s\n' "$2" >"$1"/public/uploads/demo/avatar.png
  printf 'seed %s\n' "$2" >"$1"/storage/app/seed.txt
}
mkdir -p v1dl/documentation
printf '<html>how to install</html>\n' >v1dl/documentation/index.html
make_shop v1dl/shop v1
fix_mtimes v1dl 1700000000
(cd v1dl && zip -qry ../shop-v1.zip documentation shop) || die "zip failed"
mkdir site1
snapshot site1 s1-before.snap

persist_cmd c1dry deploy shop-v1.zip --root site1 --id v1 --dry-run
expect_rc 0 "(1) a dry run of the zip"
check "(1) the plan unpacks the app's folder of the zip" \
  has c1dry.out "unpack $WORK/shop-v1.zip: shop -> releases/v1"
check "(1) the note says which directory of the zip and why" \
  has c1dry.out "note: deploying $WORK/shop-v1.zip: shop: it is the one directory"
empty_site site1 "(1) the dry run"

persist_cmd c1d1 deploy shop-v1.zip --root site1 --id v1
expect_rc 0 "(1) the first deploy, from the zip"
check "(1) it says what it deployed" has c1d1.out "note: deploying $WORK/shop-v1.zip: shop"
same_app v1dl/shop site1/releases/v1 "(1) v1 from the zip"
check "(1) current -> releases/v1" test "$(readlink site1/current)" = releases/v1
check "(1) storage is linked into shared/" test "$(readlink site1/releases/v1/storage)" = ../../shared/storage
check "(1) public/uploads is linked into shared/" \
  test "$(readlink site1/releases/v1/public/uploads)" = ../../../shared/public/uploads
check "(1) the documentation stayed out" test ! -e site1/releases/v1/documentation -a ! -e site1/releases/v1/shop
"$SNAPSHOT_TOOL" v1dl/shop/storage >seed-storage-src.snap
"$SNAPSHOT_TOOL" site1/shared/storage >seed-storage-site.snap
check "(1) shared/storage was seeded with the release's storage/ exactly" \
  same_snapshot seed-storage-src.snap seed-storage-site.snap
"$SNAPSHOT_TOOL" v1dl/shop/public/uploads >seed-up-src.snap
"$SNAPSHOT_TOOL" site1/shared/public/uploads >seed-up-site.snap
check "(1) shared/public/uploads was seeded with the demo uploads exactly" \
  same_snapshot seed-up-src.snap seed-up-site.snap
check "(1) shared/.env was seeded from .env.example" cmp -s v1dl/shop/.env.example site1/shared/.env
persist_cmd c1v1 verify --root site1
expect_rc 0 "(1) verify after the first deploy"
check "(1) verify finds the site healthy" has c1v1.out "the site is healthy"
app_snapshot site1/releases/v1 v1-release.snap

# The users' data, between the deploys.
printf 'a user photo\n' >site1/shared/public/uploads/user-1.png
printf 'APP_KEY=base64:c2VjcmV0\n' >site1/shared/.env
printf 'order 1\n' >site1/shared/storage/app/order-1.txt
touch -d @1710000000 site1/shared/public/uploads/user-1.png site1/shared/.env site1/shared/storage/app/order-1.txt
snapshot site1 s1-between.snap
"$SNAPSHOT_TOOL" --exclude .deployment-history site1/shared >shared-between.snap

# The update, as a .tar.gz made by GNU tar: files changed, one added, one
# gone, and the vendor's own demo uploads changed (never to overwrite).
make_shop v2src v2
rm v2src/app/secret.key
printf '<?php // new in v2\n' >v2src/app/Feature.php
printf 'demo avatar changed\n' >v2src/public/uploads/demo/avatar.png
printf 'another demo\n' >v2src/public/uploads/demo/banner.png
fix_mtimes v2src 1705000000
tar -C v2src -czf shop-v2.tar.gz . || die "tar -czf failed"
persist_cmd c1d2dry deploy shop-v2.tar.gz --root site1 --id v2 --dry-run
expect_rc 0 "(1) a dry run of the .tar.gz"
check "(1) the plan unpacks the whole .tar.gz, the app being its top" \
  has c1d2dry.out "unpack $WORK/shop-v2.tar.gz -> releases/v2"
persist_cmd c1d2 deploy shop-v2.tar.gz --root site1 --id v2
expect_rc 0 "(1) the second deploy, from the .tar.gz"
check "(1) it keeps shared/public/uploads as it is" \
  has c1d2.out "shared/public/uploads is kept as it is"
same_app v2src site1/releases/v2 "(1) v2 from the .tar.gz"
check "(1) current -> releases/v2" test "$(readlink site1/current)" = releases/v2
app_snapshot site1/releases/v1 v1-release-after.snap
check "(1) releases/v1 is untouched by the second deploy" same_snapshot v1-release.snap v1-release-after.snap
"$SNAPSHOT_TOOL" --exclude .deployment-history site1/shared >shared-after-v2.snap
check "(1) shared/ (the users' data, the seeded demo) is untouched by the update" \
  same_snapshot shared-between.snap shared-after-v2.snap
persist_cmd c1v2 verify --root site1
expect_rc 0 "(1) verify after the second deploy"
check "(1) verify finds the site healthy again" has c1v2.out "the site is healthy"

persist_cmd c1u1 undo --yes --root site1
expect_rc 0 "(1) undo of the second deploy"
snapshot site1 s1-undo1.snap
check "(1) undo gives back the site between the deploys exactly" same_snapshot s1-between.snap s1-undo1.snap
# The users' files came after the first deploy: undoing it keeps them in
# .persist/rescued/ rather than delete them.
persist_cmd c1u2 undo --yes --root site1
expect_rc 0 "(1) undo of the first deploy"
snapshot site1 s1-undo2.snap
check "(1) two undos give back the site before the first deploy exactly" same_snapshot s1-before.snap s1-undo2.snap
for f in user-1.png order-1.txt; do
  kept=$(find site1/.persist/rescued -name "$f" -type f | head -n 1)
  check "(1) undo kept the user's $f in .persist/rescued/" test -n "$kept"
done

# Every tar compressor, and a plain tar, deploy the same tree.
(cd v2src && tar -cf ../fmt.tar . && tar -cJf ../fmt.tar.xz . && tar -cjf ../fmt.tar.bz2 . &&
  tar --zstd -cf ../fmt.tar.zst . && tar -czf ../fmt.tgz .) || die "tar failed"
for a in fmt.tar fmt.tar.xz fmt.tar.bz2 fmt.tar.zst fmt.tgz; do
  rm -rf "site-$a" && mkdir "site-$a"
  persist_cmd "d-$a" deploy "$a" --root "site-$a" --id v2
  expect_rc 0 "(1) a deploy of $a"
  same_app v2src "site-$a/releases/v2" "(1) $a"
done

# ---------------------------------------------------------------- the live site of 5 and 6
mkdir live
persist_cmd live1 deploy shop-v2.tar.gz --root live --id v1
expect_rc 0 "a deploy for the site with a live release"

# ---------------------------------------------------------------- 2. the app's zip inside the download
mkdir -p inner "outer/Main Files" outer/documentation
make_shop inner/shop v1
fix_mtimes inner 1700000000
(cd inner && zip -qry "../outer/Main Files/shop.zip" shop) || die "zip failed"
printf '<html>docs</html>\n' >outer/documentation/index.html
(cd outer && zip -qr ../nested.zip .) || die "zip failed"
mkdir site2 site2b site2c
persist_cmd c2dry deploy nested.zip --root site2 --id v1 --dry-run
expect_rc 0 "(2) a dry run of the nested zip"
check "(2) the plan unpacks from the inner zip" \
  has c2dry.out "unpack $WORK/nested.zip: Main Files/shop.zip: shop -> releases/v1"
check "(2) the note names the inner archive and why" \
  has c2dry.out "note: deploying $WORK/nested.zip: Main Files/shop.zip: shop: it is the one archive in the delivery that holds an app"
snapshot site2 s2-before.snap
persist_cmd c2d deploy nested.zip --root site2 --id v1
expect_rc 0 "(2) the deploy of the nested zip"
check "(2) the note names the inner archive" has c2d.out "Main Files/shop.zip: shop"
same_app inner/shop site2/releases/v1 "(2) the app of the inner zip"
persist_cmd c2v verify --root site2
expect_rc 0 "(2) verify after the nested deploy"
persist_cmd c2u undo --yes --root site2
expect_rc 0 "(2) undo of the nested deploy"
snapshot site2 s2-after.snap
check "(2) undo of the nested deploy is exact" same_snapshot s2-before.snap s2-after.snap

persist_cmd c2app deploy nested.zip --root site2b --id v1 --app-dir "Main Files/shop.zip/shop"
expect_rc 0 "(2) --app-dir into the inner zip"
check "(2) the note says it was named" has c2app.out "deploying $WORK/nested.zip: Main Files/shop.zip: shop: it was named"
same_app inner/shop site2b/releases/v1 "(2) --app-dir Main Files/shop.zip/shop"

cp nested.zip two.zip
mkdir -p more/Upgrade && cp "outer/Main Files/shop.zip" more/Upgrade/shop-v2.zip
(cd more && zip -qr ../two.zip Upgrade) || die "zip failed"
persist_cmd c2two deploy two.zip --root site2c --id v1
expect_rc 2 "(2) a download with two app zips"
check "(2) the refusal names both and --app-dir" \
  has c2two.err "holds 2 apps ($WORK/two.zip: Main Files/shop.zip: shop, $WORK/two.zip: Upgrade/shop-v2.zip: shop); name the app's directory with --app-dir PATH"
empty_site site2c "(2) the refused download with two apps"
persist_cmd c2two2 deploy two.zip --root site2c --id v1 --app-dir Upgrade/shop-v2.zip/shop
expect_rc 0 "(2) the same download with --app-dir naming one"
check "(2) the named one was deployed" has c2two2.out "Upgrade/shop-v2.zip: shop: it was named"

# ---------------------------------------------------------------- 3. modes
mkarchive windows win.zip
mkdir site3w
persist_cmd c3w deploy win.zip --root site3w --id v1
expect_rc 0 "(3) a Windows-made zip"
for p in composer.json app/index.php public/css/app.css artisan; do
  check "(3) $p of the Windows zip is 0644 (got $(stat -c %a "site3w/releases/v1/$p"))" \
    test "$(stat -c %a "site3w/releases/v1/$p")" = 644
done
for p in . app public public/css; do
  check "(3) directory $p of the Windows zip is 0755 (got $(stat -c %a "site3w/releases/v1/$p"))" \
    test "$(stat -c %a "site3w/releases/v1/$p")" = 755
done

mkdir -p modes/shop/app modes/shop/bin modes/shop/public/js
printf '{"name": "acme/shop"}\n' >modes/shop/composer.json
printf '<?php\n' >modes/shop/app/index.php
printf 'suid\n' >modes/shop/bin/suid && chmod 4755 modes/shop/bin/suid
printf 'sgid\n' >modes/shop/bin/sgid && chmod 2755 modes/shop/bin/sgid
printf 'ww\n' >modes/shop/app/world.php && chmod 0777 modes/shop/app/world.php
printf 'gw\n' >modes/shop/app/group.php && chmod 0664 modes/shop/app/group.php
printf 'rw\n' >modes/shop/app/rw.php && chmod 0666 modes/shop/app/rw.php
printf 'private\n' >modes/shop/app/private.php && chmod 0600 modes/shop/app/private.php
chmod 0777 modes/shop/public/js
(cd modes && tar -czf ../modes.tar.gz shop && zip -qr ../modes.zip shop) || die "archiving modes failed"
mode_of() { stat -c %a "$1"; }
mkdir site3t site3z
persist_cmd c3t deploy modes.tar.gz --root site3t --id v1
expect_rc 0 "(3) a tarball with set-uid and world-writable members"
r=site3t/releases/v1
check "(3) tar: the 4755 file is deployed 0755 (got $(mode_of $r/bin/suid))" test "$(mode_of $r/bin/suid)" = 755
check "(3) tar: the 2755 file is deployed 0755 (got $(mode_of $r/bin/sgid))" test "$(mode_of $r/bin/sgid)" = 755
check "(3) tar: a note names the set-uid member" has c3t.out "shop/bin/suid: set-uid/set-gid bit dropped"
check "(3) tar: a note names the set-gid member" has c3t.out "shop/bin/sgid: set-uid/set-gid bit dropped"
check "(3) tar: the 0777 file is deployed 0775 (got $(mode_of $r/app/world.php))" test "$(mode_of $r/app/world.php)" = 775
check "(3) tar: the 0666 file is deployed 0664 (got $(mode_of $r/app/rw.php))" test "$(mode_of $r/app/rw.php)" = 664
check "(3) tar: the 0664 file keeps 0664 (got $(mode_of $r/app/group.php))" test "$(mode_of $r/app/group.php)" = 664
check "(3) tar: the 0600 file keeps 0600 (got $(mode_of $r/app/private.php))" test "$(mode_of $r/app/private.php)" = 600
check "(3) tar: the 0777 directory is deployed 0775 (got $(mode_of $r/public/js))" test "$(mode_of $r/public/js)" = 775
persist_cmd c3z deploy modes.zip --root site3z --id v1
expect_rc 0 "(3) the same tree as an Info-ZIP zip"
r=site3z/releases/v1
check "(3) zip: the 4755 file is deployed 0755 (got $(mode_of $r/bin/suid))" test "$(mode_of $r/bin/suid)" = 755
check "(3) zip: a note names the set-uid member" has c3z.out "shop/bin/suid: set-uid/set-gid bit dropped"
check "(3) zip: the 0777 file is deployed 0755 (got $(mode_of $r/app/world.php))" test "$(mode_of $r/app/world.php)" = 755
check "(3) zip: the 0664 file is deployed 0644 (got $(mode_of $r/app/group.php))" test "$(mode_of $r/app/group.php)" = 644
check "(3) zip: the 0600 file keeps 0600 (got $(mode_of $r/app/private.php))" test "$(mode_of $r/app/private.php)" = 600
check "(3) zip: the 0777 directory is deployed 0755 (got $(mode_of $r/public/js))" test "$(mode_of $r/public/js)" = 755
for s in site3w site3t site3z; do
  check "(3) $s: nothing in the release is world-writable" \
    test -z "$(find "$s/releases" ! -type l -perm -0002)"
  check "(3) $s: nothing in the release is set-uid or set-gid" \
    test -z "$(find "$s/releases" ! -type l -perm /6000)"
done

# ---------------------------------------------------------------- 4. __MACOSX/ and .DS_Store
mkdir -p mac/shop/app "mac/__MACOSX/shop/app"
printf '{"name": "acme/shop"}\n' >mac/shop/composer.json
printf '<?php\n' >mac/shop/app/index.php
printf 'Bud1' >mac/shop/.DS_Store
printf 'Bud1' >mac/shop/app/.DS_Store
printf 'Mac OS X' >mac/__MACOSX/shop/._composer.json
printf 'Mac OS X' >mac/__MACOSX/shop/app/._index.php
fix_mtimes mac 1700000000
(cd mac && zip -qr ../mac.zip .) || die "zip failed"
debris=$(unzip -Z1 mac.zip | grep -c -e '^__MACOSX/' -e '\.DS_Store$')
mkdir site4
persist_cmd c4 deploy mac.zip --root site4 --id v1
expect_rc 0 "(4) a zip made on a Mac"
check "(4) a note counts the $debris entries left out" \
  has c4.out "note: $debris __MACOSX/ and .DS_Store entries of the archive left out"
check "(4) no .DS_Store in the release" test -z "$(find site4/releases -name .DS_Store)"
check "(4) no __MACOSX in the release or the site" test -z "$(find site4 -name __MACOSX)"
rm mac/shop/.DS_Store mac/shop/app/.DS_Store
same_app mac/shop site4/releases/v1 "(4) the Mac zip"

# The same debris in a CodeCanyon download whose app is a zip: AppleDouble
# "._shop.zip" beside it is no second app.
mkdir -p macouter/__MACOSX/"Main Files"
cp -r outer/. macouter/
printf 'Mac OS X        \0\0\0\0' >"macouter/__MACOSX/Main Files/._shop.zip"
(cd macouter && zip -qr ../macnested.zip .) || die "zip failed"
mkdir site4n
persist_cmd c4n deploy macnested.zip --root site4n --id v1
expect_rc 0 "(4) a Mac-made download holding the app's zip"
check "(4) it deploys the app of Main Files/shop.zip" has c4n.out "Main Files/shop.zip: shop"

# ---------------------------------------------------------------- 5. hostile archives
mkarchive tar-dotdot h-dotdot.tar
refused dotdot h-dotdot.tar "shop/../../evil.php" "(5) a tar member with .."
mkarchive zip-dotdot h-dotdot.zip
refused zipdotdot h-dotdot.zip "shop/../../evil.php" "(5) a zip slip"
mkarchive tar-absolute h-abs.tar
refused abs h-abs.tar "/tmp/evil.php" "(5) a tar member with an absolute path"
mkarchive zip-absolute h-abs.zip
refused zipabs h-abs.zip "/tmp/evil.php" "(5) a zip member with an absolute path"
mkarchive sym-absolute h-symabs.tar
refused symabs h-symabs.tar "shop/public/passwd" "(5) a symlink to an absolute path"
mkarchive sym-up h-symup.tar
refused symup h-symup.tar "shop/public/up" "(5) a symlink climbing out with ../"
mkarchive sym-docs h-symdocs.tar
refused symdocs h-symdocs.tar "shop/public/doc" "(5) a symlink out of the app into the documentation"
mkarchive sym-chain h-symchain.tar
refused symchain h-symchain.tar "shop/app/b" "(5) a symlink out of the app through another"
mkarchive through-symlink h-through.tar
refused through h-through.tar "shop/lnk/evil.php" "(5) a member beneath a symlink member"
mkarchive beneath-file h-beneath.tar
refused beneath h-beneath.tar "shop/app/index.php/evil.php" "(5) a member beneath a file member"
mkarchive hard-forward h-hardfwd.tar
refused hardfwd h-hardfwd.tar "shop/app/h.php" "(5) a hard link to a file later in the archive"
mkarchive hard-absolute h-hardabs.tar
refused hardabs h-hardabs.tar "shop/app/h.php" "(5) a hard link to /etc/passwd"
mkarchive hard-outside-app h-hardout.tar
refused hardout h-hardout.tar "shop/app/h.php" "(5) a hard link out of the app to an earlier member"
mkarchive fifo h-fifo.tar
refused fifo h-fifo.tar "shop/app/pipe" "(5) a fifo member"
mkarchive chardev h-chr.tar
refused chr h-chr.tar "shop/app/null" "(5) a character device member"
mkarchive blockdev h-blk.tar
refused blk h-blk.tar "shop/app/disk" "(5) a block device member"
mkarchive tar-duplicate h-dup.tar
refused dup h-dup.tar "shop/app/index.php" "(5) a tar member given twice"
mkarchive zip-duplicate h-dup.zip
refused zipdup h-dup.zip "shop/app/index.php" "(5) a zip member given twice"
# An encrypted member, added by zip -P to an otherwise plain zip.
(cd inner && zip -qry ../h-enc.zip shop && printf 'key\n' >shop/app/secret.php &&
  zip -q -P hunter2 ../h-enc.zip shop/app/secret.php && rm shop/app/secret.php) || die "zip -P failed"
refused enc h-enc.zip "shop/app/secret.php" "(5) an encrypted zip member"
check "(5) the encryption refusal says so" has enc-fresh.err "encrypted"
printf 'this is no archive\n' >h-not.zip
refused notzip h-not.zip "" "(5) a .zip that is no archive"
head -c 5000 /dev/urandom >h-noise.tar.gz
refused noise h-noise.tar.gz "" "(5) a .tar.gz of noise"
size=$(stat -c %s shop-v2.tar.gz)
head -c $((size * 2 / 3)) shop-v2.tar.gz >h-cut.tar.gz
refused cut h-cut.tar.gz "" "(5) a .tar.gz cut short"
check "(5) the cut .tar.gz is said to be cut short" grep -qE "cut short|truncated" cut-fresh.err
# Zips cut off: midway through its members (the central directory gone,
# the last member read cut in two), and within the central directory (every
# member's data whole, but the modes and symlinks only the central directory
# records gone with it: unzip refuses it too).
cd_at=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.find(b"PK\x01\x02"))' shop-v1.zip)
((cd_at > 0)) || die "no central directory in shop-v1.zip"
head -c $((cd_at / 2)) shop-v1.zip >h-cut.zip
refused cutzip h-cut.zip "" "(5) a zip cut off midway through its members"
check "(5) the cut zip is said to be damaged or cut short" has cutzip-fresh.err "damaged or cut short"
head -c $((cd_at + 100)) shop-v1.zip >h-cutcd.zip
check "(5) unzip itself refuses the zip cut within its central directory" \
  bash -c '! unzip -tq h-cutcd.zip >/dev/null 2>&1'
refused cutcd h-cutcd.zip "" "(5) a zip cut off within its central directory"
# A hostile member inside the app's own zip: the message names both archives.
mkdir -p hn/"Main Files"
mkarchive zip-dotdot "hn/Main Files/shop.zip"
(cd hn && zip -qr ../h-nested.zip .) || die "zip failed"
refused nested h-nested.zip "shop/../../evil.php" "(5) a zip slip inside the app's zip"
check "(5) the message names the inner archive" has nested-fresh.err "$WORK/h-nested.zip: Main Files/shop.zip"

# --dry-run refuses the same way.
mkdir site5d
persist_cmd c5d deploy h-symabs.tar --root site5d --dry-run
expect_rc 2 "(5) a dry run of a hostile archive"
check "(5) the dry run names the member" has c5d.err "shop/public/passwd"
empty_site site5d "(5) the refused dry run"

# ---------------------------------------------------------------- 6. damaged data
# A .tar.gz broken in its middle: the scan reads all of it, so the refusal
# comes before the site changes. First where the deflate stream breaks ...
mkdir -p dmg/shop/app
printf '{"name": "acme/shop"}\n' >dmg/shop/composer.json
python3 -c '
import random
random.seed(7)
words = ["<?php", "echo", "$order", "->total", "();", "return", "null;", "\n"]
open("dmg/shop/app/Orders.php", "w").write(" ".join(random.choice(words) for _ in range(60000)))
' || die "python failed"
head -c 400000 /dev/urandom >dmg/shop/app/blob.bin
printf '<?php // last\n' >dmg/shop/app/zz.php
fix_mtimes dmg 1700000000
(cd dmg && tar --sort=name --owner=0 --group=0 --numeric-owner -cf - shop/composer.json shop/app/Orders.php |
  gzip -n >../d-text.tar.gz) || die "tar failed"
mkarchive flip-at d-text.tar.gz $(($(stat -c %s d-text.tar.gz) / 2))
check "(6) gzip itself finds the .tar.gz damaged" bash -c '! gzip -tq d-text.tar.gz 2>/dev/null'
refused dtext d-text.tar.gz "" "(6) a .tar.gz with its compressed text broken midway"
# ... then where only gzip's CRC tells: incompressible data, stored as is.
(cd dmg && tar --sort=name --owner=0 --group=0 --numeric-owner -cf - shop/composer.json shop/app/blob.bin shop/app/zz.php |
  gzip -n >../d-crc.tar.gz) || die "tar failed"
mkarchive flip-at d-crc.tar.gz $(($(stat -c %s d-crc.tar.gz) / 2))
check "(6) gzip itself finds the second .tar.gz damaged" bash -c '! gzip -tq d-crc.tar.gz 2>/dev/null'
refused dcrc d-crc.tar.gz "" "(6) a .tar.gz whose data only gzip's CRC shows broken"
# xz, bzip2 and zstd check their own data: the same damage midway.
for z in xz:xz bzip2:bz2 zstd:zst; do
  (cd dmg && tar --sort=name --owner=0 --group=0 --numeric-owner -cf - shop | "${z%:*}" -q >"../d.tar.${z#*:}") ||
    die "tar | ${z%:*} failed"
  mkarchive flip-at "d.tar.${z#*:}" $(($(stat -c %s "d.tar.${z#*:}") / 2))
  refused "d${z#*:}" "d.tar.${z#*:}" "" "(6) a .tar.${z#*:} damaged midway"
done
# A zip whose central directory is whole: the plan passes, the unpack meets
# the damage midway, fails, and the run is undone.
(cd dmg && zip -q ../d-block.zip shop/composer.json shop/app/Orders.php shop/app/zz.php) || die "zip failed"
cp d-block.zip d-crc.zip
mkarchive bad-block d-block.zip shop/app/Orders.php
check "(6) unzip itself finds the zip damaged" bash -c '! unzip -tq d-block.zip >/dev/null 2>&1'
mkarchive flip-middle d-crc.zip shop/app/Orders.php
check "(6) unzip itself finds the second zip damaged (bad CRC)" bash -c '! unzip -tq d-crc.zip >/dev/null 2>&1'
for z in d-block.zip d-crc.zip; do
  for s in fresh live; do
    [[ $s == fresh ]] && { rm -rf "site6-$z" && mkdir "site6-$z"; }
    root=site6-$z
    [[ $s == live ]] && root=live
    snapshot "$root" "6-$z-$s-before.snap"
    ls -A "$root/releases" >"6-$z-$s-releases-before.txt" 2>&1
    persist_cmd "c6-$z-$s" deploy "$z" --root "$root" --id v9
    deployed=$((rc == 0))
    expect_rc 1 "(6) $z, damaged midway ($s site)"
    check "(6) $z ($s site): the run failed and was undone" has "c6-$z-$s.err" "failed and was undone"
    check "(6) $z ($s site): the message names the archive" has "c6-$z-$s.err" "$WORK/$z"
    snapshot "$root" "6-$z-$s-after.snap"
    check "(6) $z ($s site): the site is exactly as before" \
      same_snapshot "6-$z-$s-before.snap" "6-$z-$s-after.snap"
    ls -A "$root/releases" >"6-$z-$s-releases-after.txt" 2>&1
    check "(6) $z ($s site): nothing is left in releases/" \
      cmp -s "6-$z-$s-releases-before.txt" "6-$z-$s-releases-after.txt"
    # A wrongful success is taken back, so that the next cases start alike.
    ((deployed == 0)) || [[ $s == fresh ]] || "$PERSIST" undo --yes --root live >/dev/null 2>&1 ||
      die "undo on live failed"
  done
done

# ---------------------------------------------------------------- 7. limits
refused entries shop-v1.zip "" "(7) more entries than --max-entries 5" --max-entries 5
check "(7) the refusal names --max-entries" has entries-fresh.err "--max-entries"
mkdir -p bomb/shop/app
printf '{"name": "acme/shop"}\n' >bomb/shop/composer.json
truncate -s 300M bomb/shop/app/zero.bin
(cd bomb && zip -q ../bomb.zip shop/composer.json shop/app/zero.bin) || die "zip failed"
rm bomb/shop/app/zero.bin
refused ratio bomb.zip "" "(7) a zip of 300 MiB of zeros, by the default --max-ratio"
check "(7) the refusal names --max-ratio" has ratio-fresh.err "--max-ratio"
refused unpacked bomb.zip "" "(7) the same under --max-unpacked 100M" --max-unpacked 100M --max-ratio 100000
check "(7) the refusal names --max-unpacked" has unpacked-fresh.err "--max-unpacked"
mkdir site7
snapshot site7 s7-before.snap
persist_cmd c7 deploy bomb.zip --root site7 --id v1 --max-ratio 100000
expect_rc 0 "(7) the zip of zeros with --max-ratio 100000"
check "(7) the 300 MiB file is all there" test "$(stat -c %s site7/releases/v1/app/zero.bin)" = 314572800
check "(7) and holds only zeros" cmp -s -n 314572800 site7/releases/v1/app/zero.bin /dev/zero
persist_cmd c7u undo --yes --root site7
expect_rc 0 "(7) undo of that deploy"
snapshot site7 s7-after.snap
check "(7) the undo is exact" same_snapshot s7-before.snap s7-after.snap
# A zip that declares 1 KiB and holds 300 MiB: the scan believes it, the
# unpack counts the real bytes, fails and is undone.
cp bomb.zip liar.zip
python3 - liar.zip <<'PY' || die "python failed"
import struct, sys, zipfile
path = sys.argv[1]
member = "shop/app/zero.bin"
with zipfile.ZipFile(path) as z:
    off = z.getinfo(member).header_offset
data = bytearray(open(path, "rb").read())
struct.pack_into("<I", data, off + 22, 1024)  # the local header's size
end = data.rfind(b"PK\x05\x06")
i = struct.unpack_from("<I", data, end + 16)[0]
while data[i:i + 4] == b"PK\x01\x02":  # the central directory's
    n, m, k = struct.unpack_from("<HHH", data, i + 28)
    if data[i + 46:i + 46 + n] == member.encode():
        struct.pack_into("<I", data, i + 24, 1024)
    i += 46 + n + m + k
open(path, "wb").write(bytes(data))
PY
mkdir site7l
snapshot site7l s7l-before.snap
persist_cmd c7l deploy liar.zip --root site7l --id v1
expect_rc 1 "(7) a zip lying about its size"
check "(7) the lie is caught by --max-ratio while unpacking, and undone" has c7l.err "failed and was undone"
check "(7) the message names --max-ratio" has c7l.err "--max-ratio"
snapshot site7l s7l-after.snap
check "(7) the site is exactly as before" same_snapshot s7l-before.snap s7l-after.snap
check "(7) nothing is left in releases/" test -z "$(ls -A site7l/releases 2>/dev/null)"

# ---------------------------------------------------------------- 8. --json
mkdir site8
persist_cmd c8 deploy h-symabs.tar --root site8 --json
expect_rc 2 "(8) a refused archive with --json"
check "(8) the error is one JSON document with code 2" json_check c8.out '.error.code == 2'
check "(8) its path is the archive" json_check c8.out '.error.path == $p' --arg p "$WORK/h-symabs.tar"
check "(8) its message names the member" json_check c8.out '.error.message | contains("shop/public/passwd")'
empty_site site8 "(8) the refused --json deploy"
persist_cmd c8b deploy d-block.zip --root site8 --id v1 --json
expect_rc 1 "(8) an archive damaged midway with --json"
check "(8) the failure is one JSON document with code 1" json_check c8b.out '.error.code == 1'
check "(8) its message says the run was undone" json_check c8b.out '.error.message | contains("failed and was undone")'

# ---------------------------------------------------------------- 9. bad limit values
mkdir site9
bad_flag() {  # NAME FLAG VALUE
  persist_cmd "c9-$1" deploy shop-v1.zip --root site9 "$2" "$3"
  expect_rc 2 "(9) $2 $3"
  check "(9) $2 $3: the message names the flag and the value" has "c9-$1.err" "$2 takes"
  check "(9) $2 $3: the message quotes the value" has "c9-$1.err" "\"$3\""
}
bad_flag entries0 --max-entries 0
bad_flag entriesneg --max-entries -5
bad_flag entriesx --max-entries lots
bad_flag unpackedq --max-unpacked 12Q
bad_flag unpacked0 --max-unpacked 0
bad_flag ratio0 --max-ratio 0
bad_flag ratiox --max-ratio 1.5
persist_cmd c9-missing deploy shop-v1.zip --root site9 --max-ratio
expect_rc 2 "(9) --max-ratio without a value"
empty_site site9 "(9) the bad flags"

finish
