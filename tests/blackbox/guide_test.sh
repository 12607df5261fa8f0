#!/usr/bin/env bash
# persist guide shared-hosting: the guide works as written. Every command it
# gives to type (a line "    $ COMMAND") runs, in order, in a home
# directory laid out as a shared host's (public_html, the vendor's zips in
# uploads/, made by Info-ZIP), and succeeds; the site it leaves serves the
# release through a stub public_html and is healthy. docs/guides/ holds the
# same text as the binary prints, and so does every other guide there:
# `persist guide TOPIC` prints docs/guides/TOPIC.md byte for byte, and
# `persist guide` lists each topic with its title. An unknown topic is
# refused (exit 2).
#
# usage: guide_test.sh PATH_TO_PERSIST GUIDE.md...   (bazel passes them)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/guide_lib.sh"
init_test "${1:-}"
(($# >= 3)) || die "usage: $0 PERSIST GUIDE.md..."
GUIDES=()
for doc in "${@:2}"; do GUIDES+=("$(readlink -f "$doc")"); done
cd "$WORK" || die "cd $WORK"

persist_cmd topics guide
expect_rc 0 "persist guide (the list)"
for doc in "${GUIDES[@]}"; do
  topic=$(basename "$doc" .md)
  persist_cmd "page-$topic" guide "$topic"
  expect_rc 0 "persist guide $topic"
  check "docs/guides/$topic.md is what persist guide $topic prints" cmp "page-$topic.out" "$doc"
  check "persist guide lists $topic with its title" \
    grep -qE "^  $topic +$(head -n 1 "$doc" | sed 's/^# //; s/[][\.*^$()|+?{}]/\\&/g')\$" topics.out
done
check "persist guide lists every guide and nothing else" \
  test "$(grep -c '^  ' topics.out)" -eq "${#GUIDES[@]}"

persist_cmd guide guide shared-hosting
expect_rc 0 "persist guide shared-hosting"
check "the guide prints the stub index.php persist writes" \
  has guide.out "\$release = readlink(__DIR__ . '/../current');"

# A shared host's home: public_html served, the vendor's zips uploaded.
home="$WORK/home"
mkdir -p "$home/public_html" "$home/uploads"
for version in v1 v2; do
  mkdir -p "$version/shop/app" "$version/shop/public/css" "$version/shop/storage/framework/views" \
    "$version/shop/bootstrap/cache"
  printf '<?php // artisan\n' >"$version/shop/artisan"
  printf 'APP_KEY=\n' >"$version/shop/.env.example"
  printf '<?php echo "shop %s\\n";\n' "$version" >"$version/shop/app/version.php"
  printf "<?php require __DIR__ . '/../app/version.php';\n" >"$version/shop/public/index.php"
  printf 'body { color: %s }\n' "$version" >"$version/shop/public/css/app.css"
  (cd "$version" && zip -qr "$home/uploads/shop-$version.zip" shop) || die "zip of $version failed"
done

# Each command of the guide, as the operator types it.
check "the guide gives commands to type" test "$(guide_commands guide.out | wc -l)" -ge 8
run_guide guide.out "$home"

check "public_html is a real directory (the stub)" test -d "$home/public_html" -a ! -L "$home/public_html"
check "the probe is gone" test ! -e "$home/public_html/persist-probe" -a ! -e "$home/persist-probe"
check "the stub answers with the live release (v2: rollback, then undo)" \
  same_text "answer" "$(php "$home/public_html/index.php" 2>&1)" "shop v2"
check "its css is v2's" same_text "css" "$(cat "$home/public_html/css/app.css")" "body { color: v2 }"
persist_cmd verify verify --root "$home"
expect_rc 0 "the site the guide made is healthy"

persist_cmd unknown guide nothing-like-it
expect_rc 2 "an unknown guide"
check "the refusal lists the guides" \
  has unknown.err "the guides are: customisation, first-setup, maintenance, shared-hosting,"

finish
