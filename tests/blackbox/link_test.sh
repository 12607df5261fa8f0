#!/usr/bin/env bash
# persist link and scripts/ultimate-persistence.sh: the blueprint's in-place
# form, with its own spellings ("$(pwd)" "$(pwd)/../shared" "true"), run
# twice (the second changes nothing), verified, undone exactly; local mode
# only makes missing directories; bad input changes nothing.
#
# usage: link_test.sh PATH_TO_PERSIST PATH_TO_SCRIPT   (bazel passes both)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
SCRIPT=$(readlink -f "${2:-}") || die "usage: $0 PERSIST SCRIPT"
export PERSIST
cd "$WORK" || die "cd $WORK"

make_app() {
  mkdir -p "$1/public/uploads/demo" "$1/public/qrcodes" "$1/public/templates" "$1/storage/logs" \
    "$1/bootstrap/cache" "$1/vendor"
  printf 'APP_KEY=\n' >"$1/.env.example"
  printf 'demo avatar\n' >"$1/public/uploads/demo/avatar.txt"
  printf '<html>invoice</html>\n' >"$1/public/templates/invoice.html"
  printf 'log\n' >"$1/storage/logs/laravel.log"
}

make_app site/app
snapshot site before.snap
run_quiet first.out first.err bash -c "cd site/app && bash '$SCRIPT' \"\$(pwd)\" \"\$(pwd)/../shared\" true"
check "the blueprint's first-deploy spelling exits 0 (got $rc)" test "$rc" -eq 0 || show_file first.err
check "public/uploads is linked into shared" test "$(readlink site/app/public/uploads)" = ../../shared/public/uploads
check "storage is linked into shared" test "$(readlink site/app/storage)" = ../shared/storage
check "the demo upload now lives in shared" test -f site/shared/public/uploads/demo/avatar.txt
check "templates stay app code" test -d site/app/public/templates -a ! -L site/app/public/templates
check ".env was seeded from .env.example, private" test "$(stat -c %a site/shared/.env)" = 600
check "the journal is in the directory holding both" test -d site/.persist/journal

snapshot site linked.snap
run_quiet again.out again.err bash "$SCRIPT" site/app site/shared auto
check "running it again exits 0 (got $rc)" test "$rc" -eq 0
check "running it again says nothing changes" grep -q "nothing to change" again.out
snapshot site again.snap
check "running it again changes nothing" same_snapshot linked.snap again.snap

run_quiet verify.out verify.err bash "$SCRIPT" site/app site/shared verify
check "verify exits 0 on a linked app (got $rc)" test "$rc" -eq 0
rm site/app/public/uploads && mkdir site/app/public/uploads
run_quiet verify2.out verify2.err bash "$SCRIPT" site/app site/shared verify
check "verify exits 1 when a link became a directory (got $rc)" test "$rc" -eq 1
check "verify names the path" grep -q "app/public/uploads: is not linked" verify2.out
rmdir site/app/public/uploads && ln -s ../../shared/public/uploads site/app/public/uploads

run_persist undo undo --root site
check "undo of the link exits 0 (got $rc)" test "$rc" -eq 0
snapshot site undone.snap
check "undo restores the app exactly" same_snapshot before.snap undone.snap

# local: no links, just the directories.
make_app work/app
rm -rf work/app/storage work/app/public/qrcodes
run_quiet local.out local.err bash "$SCRIPT" work/app work/shared first local
check "local mode exits 0 (got $rc)" test "$rc" -eq 0 || show_file local.err
check "local mode made the missing storage/" test -d work/app/storage -a ! -L work/app/storage
check "local mode made no links" test -z "$(find work/app -type l)"
check "local mode made no shared directory" test ! -e work/shared

# Bad input: nothing changes.
snapshot site bad-before.snap
run_quiet bad1.out bad1.err bash "$SCRIPT" site/app site/shared sometimes
check "an unknown mode exits 2 (got $rc)" test "$rc" -eq 2
check "an unknown mode is named" grep -q 'unknown mode "sometimes"' bad1.err
run_quiet bad2.out bad2.err bash "$SCRIPT" site/nope site/shared
check "a missing app directory exits 2 (got $rc)" test "$rc" -eq 2
run_quiet bad3.out bad3.err bash "$SCRIPT" site/app site/app/shared
check "a shared directory inside the app exits 2 (got $rc)" test "$rc" -eq 2
run_quiet bad4.out bad4.err bash "$SCRIPT" onlyone
check "a wrong argument count exits 2 with usage (got $rc)" test "$rc" -eq 2
snapshot site bad-after.snap
check "bad input changed nothing" same_snapshot bad-before.snap bad-after.snap

finish
