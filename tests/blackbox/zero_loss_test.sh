#!/usr/bin/env bash
# Zero data loss, as a property: for each site layout below, every byte of
# data that was on the site before the first run (and every file the app
# wrote between runs) is still on the site after enough deploys and links
# that every stash has been purged: in shared/, in the live release, or in
# .persist/rescued/, and then named by the purge and by persist verify.
#
# Layouts: public_html holding a previous site; shared/ made ahead and
# empty; shared/ made ahead with a file of its own; persist link over an
# existing (empty, or holding other files) shared folder; a profile path
# the release does not ship, which the app writes into; custom and default
# release ids mixed, pruned by --keep.
#
# usage: zero_loss_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"
export PERSIST_EMPTY_TRASH=wait

# make_release DIR VERSION: a small Laravel-shaped release with demo content.
make_release() {
  local d=$1 v=$2
  mkdir -p "$d"/public/uploads/demo "$d"/storage/framework/views "$d"/storage/framework/cache \
    "$d"/storage/logs "$d"/bootstrap/cache "$d"/app
  printf '#!/usr/bin/env php\n<?php // %s\n' "$v" >"$d"/artisan
  printf '{"name": "vendor/app", "version": "%s"}\n' "$v" >"$d"/composer.json
  printf '<?php echo "%s";\n' "$v" >"$d"/public/index.php
  printf 'demo upload shipped with %s\n' "$v" >"$d"/public/uploads/demo/welcome.png
  printf 'APP_KEY=\n' >"$d"/.env.example
  printf '<?php // app code %s\n' "$v" >"$d"/app/Kernel.php
}

# data FILE: writes FILE with content no other file has, and remembers its
# digest as data that must survive.
data() {
  mkdir -p "$(dirname "$1")"
  printf 'site data %s %s\n' "$1" "$RANDOM$RANDOM" >"$1"
  sha256sum "$1" | cut -d' ' -f1 >>"$kept_digests"
}

# survives SITE WHAT: every remembered digest is a file somewhere on the
# site outside the stash and the trash (which a purge empties).
survives() {
  local site=$1 what=$2 digest missing=0
  find "$site" \( -path "$site/.persist/stash" -o -path "$site/.persist/trash" \) -prune \
    -o -type f -print0 | xargs -0r sha256sum | cut -d' ' -f1 | sort -u >"$WORK/present"
  while read -r digest; do
    grep -qx "$digest" "$WORK/present" || missing=$((missing + 1))
  done <"$kept_digests"
  check "$what: all $(wc -l <"$kept_digests") pieces of site data survive ($missing missing)" \
    test "$missing" -eq 0
}

# deploy_until_purged SITE RELEASE LABEL: seven more deploys, so that every
# earlier run leaves the undo window of five and its stash is purged.
deploy_until_purged() {
  local site=$1 release=$2 label=$3 i
  : >"$WORK/$label.purge.err"
  for i in 1 2 3 4 5 6 7; do
    run_persist "$label-more-$i" deploy "$release" --root "$site" --id "$label-r$i"
    check "$label: deploy $i exits 0 (got $rc)" test "$rc" -eq 0 || show_file "$label-more-$i.err"
    cat "$label-more-$i.err" >>"$WORK/$label.purge.err"
  done
  check "$label: no stash of the first run is left" test ! -e "$site/.persist/stash/$(first_run "$site")"
}

first_run() {
  "$PERSIST" log --root "$1" --json | json_get - '.runs[0].id'
}

make_release rel-v1 v1
make_release rel-v2 v2

# ---- 1. public_html holding a previous site -------------------------------
kept_digests=$WORK/digests-1
: >"$kept_digests"
mkdir -p s1/public_html
data s1/public_html/index.html
data s1/public_html/.well-known/acme-challenge/token
data s1/public_html/photos/holiday.jpg
run_persist s1-d1 deploy rel-v1 --root s1 --id first
check "public_html: the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file s1-d1.err
check "public_html: the deploy says where the old content goes" \
  grep -q "moved to .persist/rescued/RUN/public_html/ when the run leaves the undo window" s1-d1.out
deploy_until_purged s1 rel-v2 s1
survives s1 "public_html"
check "public_html: the old site is in .persist/rescued/<run>/public_html/" \
  test -f "s1/.persist/rescued/$(first_run s1)/public_html/photos/holiday.jpg"
check "public_html: the purge named it" grep -q "public_html.*is kept in .persist/rescued" s1.purge.err
run_persist s1-show show "$(first_run s1)" --root s1
check "public_html: persist show lists the rescued path" grep -q "rescued: .persist/rescued/.*/public_html" s1-show.out
run_persist s1-verify verify --root s1
check "public_html: persist verify names what waits in .persist/rescued/" \
  grep -q "note: .persist/rescued/$(first_run s1)" s1-verify.out

# ---- 2. shared/ made ahead, empty ----------------------------------------
kept_digests=$WORK/digests-2
: >"$kept_digests"
mkdir -p s2/shared/storage s2/shared/public/uploads s2/shared/bootstrap/cache
run_persist s2-d1 deploy rel-v1 --root s2
check "empty shared/: the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file s2-d1.err
check "empty shared/: storage's skeleton is in shared/storage" \
  test -d s2/shared/storage/framework/views -a -d s2/shared/storage/framework/cache -a -d s2/shared/storage/logs
check "empty shared/: the demo upload is in shared/" test -f s2/shared/public/uploads/demo/welcome.png
check "empty shared/: the live release reaches it" test -f s2/current/public/uploads/demo/welcome.png
data s2/current/public/uploads/user/avatar.png
data s2/current/storage/logs/laravel.log
deploy_until_purged s2 rel-v2 s2
survives s2 "empty shared/"

# ---- 3. shared/ made ahead, holding the operator's own file ----------------
kept_digests=$WORK/digests-3
: >"$kept_digests"
data s3/shared/storage/logs/old.log
data s3/shared/public/uploads/demo/welcome.png   # same name as the release's demo
run_persist s3-d1 deploy rel-v1 --root s3
check "made-ahead shared/: the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file s3-d1.err
check "made-ahead shared/: what shared/storage lacked came from the release" \
  test -d s3/shared/storage/framework/views
check "made-ahead shared/: the operator's file is untouched" \
  grep -q "site data s3/shared/public/uploads/demo/welcome.png" s3/shared/public/uploads/demo/welcome.png
deploy_until_purged s3 rel-v2 s3
survives s3 "made-ahead shared/"

# ---- 4. persist link over an existing shared folder ------------------------
for variant in empty other; do
  kept_digests=$WORK/digests-4-$variant
  : >"$kept_digests"
  site=s4-$variant
  mkdir -p "$site/app" "$site/shared/public/uploads"
  cp -a rel-v1/. "$site/app/"
  data "$site/app/public/uploads/2026/invoice-photo.jpg"
  data "$site/app/public/uploads/demo/welcome.png"   # the live copy differs from the vendor's
  if [[ $variant == other ]]; then
    data "$site/shared/public/uploads/demo/welcome.png"   # and from what shared/ holds
  fi
  run_persist "$site-link" link "$site/app" "$site/shared"
  check "link over $variant shared: exits 0 (got $rc)" test "$rc" -eq 0 || show_file "$site-link.err"
  check "link over $variant shared: the live upload is still served through the app" \
    test -f "$site/app/public/uploads/2026/invoice-photo.jpg"
  check "link over $variant shared: public/uploads is a link into shared/" test -L "$site/app/public/uploads"
  # Five more runs on the site (deploys into it) push the link out of the window.
  deploy_until_purged "$site" rel-v2 "$site"
  survives "$site" "link over $variant shared"
done
check "link over other shared: the differing copy was named" grep -q "differ from what" s4-other-link.out

# ---- 5. a profile path the release does not ship ---------------------------
kept_digests=$WORK/digests-5
: >"$kept_digests"
mkdir -p s5/shared
printf 'user: "public/attachments/"\n' >s5/shared/.persistence-config
run_persist s5-d1 deploy rel-v1 --root s5
check "absent profile path: the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file s5-d1.err
check "absent profile path: shared/public/attachments/ was made" test -d s5/shared/public/attachments
check "absent profile path: the release links it" test -L "s5/current/public/attachments"
check "absent profile path: the deploy says so" grep -q "shared/public/attachments/ was made (empty) and linked" s5-d1.out
data s5/current/public/attachments/contract.pdf
run_persist s5-d2 deploy rel-v2 --root s5
check "absent profile path: the next release serves the file written before it" \
  test -f s5/current/public/attachments/contract.pdf
deploy_until_purged s5 rel-v2 s5
survives s5 "absent profile path"

# ---- 6. custom and default ids mixed, pruned by --keep ---------------------
mkdir s6
run_persist s6-a deploy rel-v1 --root s6 --id gamma --keep 2
check "mixed ids: gamma deploys (got $rc)" test "$rc" -eq 0 || show_file s6-a.err
run_persist s6-b deploy rel-v2 --root s6 --keep 2
check "mixed ids: a default id deploys (got $rc)" test "$rc" -eq 0 || show_file s6-b.err
second=$(readlink s6/current | cut -d/ -f2)
run_persist s6-c deploy rel-v1 --root s6 --id alpha --keep 2
check "mixed ids: alpha deploys (got $rc)" test "$rc" -eq 0 || show_file s6-c.err
check "mixed ids: --keep pruned the oldest deploy, gamma" test ! -e s6/releases/gamma
check "mixed ids: the release deployed before the live one is kept" test -d "s6/releases/$second"
run_persist s6-rb rollback --root s6
check "mixed ids: rollback exits 0 (got $rc)" test "$rc" -eq 0 || show_file s6-rb.err
check "mixed ids: rollback goes to the release deployed before alpha" \
  test "$(readlink s6/current)" = "releases/$second"

# ---- 7. deploy --json keeps the notes ---------------------------------------
mkdir -p s7/public_html
printf 'old site\n' >s7/public_html/index.html
run_persist s7-d1 deploy rel-v1 --root s7 --json
check "--json: the deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file s7-d1.err
check "--json: the output holds the run and the public_html note" json_check s7-d1.out '
  (.runs | length == 1) and any(.notes[]; contains("public_html was a directory"))'

finish
