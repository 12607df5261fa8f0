#!/usr/bin/env bash
# Pruning never destroys drift: files written into a release after its deploy
# (not in its manifest) are named when a deploy prunes the release, wait in
# that run's stash while it can be undone, and are moved to
# .persist/rescued/<release>/ when the stash is purged.
#
# usage: prune_drift_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

sample_release up shop
mkdir site
run_persist d1 deploy up --root site --id v1 --keep 2
check "the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file d1.err
mkdir -p site/current/public/gallery
printf 'a photo nobody protected\n' >site/current/public/gallery/photo.jpg

run_persist d2 deploy up --root site --id v2 --keep 2
run_persist d3 deploy up --root site --id v3 --keep 2
check "the deploy that prunes v1 exits 0 (got $rc)" test "$rc" -eq 0 || show_file d3.err
check "it names the drifted path it prunes" grep -q "releases/v1/public/gallery was written into a release this deploy prunes" d3.out
check "v1 is gone from releases/" test ! -e site/releases/v1
check "nothing is rescued while the run can still be undone" test ! -e site/.persist/rescued/v1

# Five more runs push the pruning run out of the undo window.
for v in v4 v5 v6 v7 v8; do
  run_persist "d-$v" deploy up --root site --id "$v" --keep 2
  check "deploy $v exits 0 (got $rc)" test "$rc" -eq 0 || show_file "d-$v.err"
done
check "the drifted photo is kept in .persist/rescued/v1/" \
  test "$(cat site/.persist/rescued/v1/public/gallery/photo.jpg 2>/dev/null)" = "a photo nobody protected"
check "the purge said so" grep -q "kept in .persist/rescued/v1/public/gallery" d-v8.err
check "only the undo window's five stashes remain" test "$(ls site/.persist/stash | wc -l)" -le 5

finish
