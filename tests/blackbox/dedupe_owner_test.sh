#!/usr/bin/env bash
# persist deploy --dedupe: unchanged files hard-linked to the live release (or
# copied), each release still exactly its source, undo removing only the new
# names; and root on a site owned by another user: refused without
# --allow-root, and with it, everything created takes its directory's owner.
#
# usage: dedupe_owner_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

# A release: vendor files with fixed mtimes, and the persistent paths.
make_release() {
  local dir=$1 i
  mkdir -p "$dir"/vendor/pkg "$dir"/public/uploads "$dir"/storage/logs "$dir"/bootstrap/cache
  printf 'APP_KEY=\n' >"$dir/.env.example"
  for i in 1 2 3 4 5 6 7 8; do
    printf '<?php // file %s\n' "$i" >"$dir/vendor/pkg/F$i.php"
  done
  printf '<?php echo "v1";\n' >"$dir/index.php"
  printf '{"name": "acme/shop"}\n' >"$dir/composer.json"
  find "$dir" -exec touch -h -d '2026-01-01 00:00:00' {} +
}
make_release v1
cp -a v1 v2
printf '<?php echo "v2, longer";\n' >v2/index.php
touch -d '2026-02-01 00:00:00' v2/index.php
snapshot v2 want-v2.txt

inode() { stat -c %i "$1"; }

# ---- dedupe hardlink

mkdir site
run_persist d1 deploy v1 --root site --id r1
check "the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
snapshot site before-d2.txt
run_persist d2 deploy v2 --root site --id r2 --dedupe hardlink
check "a deploy with --dedupe hardlink exits 0 (got $rc)" test "$rc" -eq 0 || show_file d2.err
check "it says how many files it linked" grep -q "^10 of 11 files unchanged since the live release were hard-linked" d2.out
check "an unchanged file shares the live release's inode" \
  test "$(inode site/releases/r1/vendor/pkg/F3.php)" = "$(inode site/releases/r2/vendor/pkg/F3.php)"
check "a changed file has its own" \
  test "$(inode site/releases/r1/index.php)" != "$(inode site/releases/r2/index.php)"
check "the old release still holds its own index.php" grep -q '"v1"' site/releases/r1/index.php
snapshot site/releases/r2 got-r2.txt
# The release differs from SRC only where paths became links into shared/.
not_code() {
  grep -v -E -e $'^\\./(storage|public/uploads|bootstrap/cache|\\.env)(/|\t)' \
    -e '\./public/\.well-known' "$1"
}
not_code want-v2.txt >want-code.txt
not_code got-r2.txt >got-code.txt
check "the hard-linked release holds its source's code exactly" same_snapshot want-code.txt got-code.txt
run_persist v2v verify --root site
check "persist verify passes on it (got $rc)" test "$rc" -eq 0 || show_file v2v.out
printf 'defaced\n' >>site/releases/r2/vendor/pkg/F5.php
run_persist v2t verify --root site
check "an edit in place is reported by verify (exit $rc)" test "$rc" -ne 0
check "verify names the edited file" grep -q "vendor/pkg/F5.php" v2t.out v2t.err
truncate -s -8 site/releases/r2/vendor/pkg/F5.php
touch -d '2026-01-01 00:00:00' site/releases/r2/vendor/pkg/F5.php
run_persist u2 undo --root site
check "undo of the deduplicated deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file u2.err
snapshot site after-u2.txt
check "undo leaves the site exactly as before it, the shared files whole" same_snapshot before-d2.txt after-u2.txt

run_persist d3 deploy v2 --root site --id r3 --dedupe off
check "--dedupe off copies every file" \
  test "$(inode site/releases/r1/vendor/pkg/F3.php)" != "$(inode site/releases/r3/vendor/pkg/F3.php)"
run_persist bad deploy v2 --root site --dedupe symlink
check "an unknown --dedupe is exit 2 (got $rc)" test "$rc" -eq 2
check "it names the choices" grep -q "auto, reflink, hardlink or off" bad.err

# ---- root on another user's site

if ((EUID == 0)) && chown 65534:65534 "$WORK" 2>/dev/null; then
  chown root:root "$WORK"
  mkdir owned
  chown 65534:65534 owned
  snapshot owned before-root.txt
  run_persist r1 deploy v1 --root owned --id o1
  check "root on a site owned by another user is exit 2 (got $rc)" test "$rc" -eq 2
  check "the refusal names the owner and --allow-root" grep -q "belongs to .*uid 65534.*--allow-root" r1.err
  snapshot owned after-root.txt
  check "and leaves the site as it was" same_snapshot before-root.txt after-root.txt
  run_persist r2 deploy v1 --root owned --id o1 --allow-root
  check "--allow-root deploys (got $rc)" test "$rc" -eq 0 || show_file r2.err
  others=$(find owned -path owned/.persist -prune -o ! -user 65534 -print | head -n 5)
  check "everything it created belongs to the site's owner (not: $others)" test -z "$others"
else
  echo "skip: the root checks need root and a filesystem that takes chown"
fi

finish
