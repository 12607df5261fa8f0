#!/usr/bin/env bash
# docs/guides/customisation.md works as written: from a site set up as
# first-setup.md leaves it, where since then code was added in
# current/app/Custom/ and the app made public/gallery/, the verify output
# the guide quotes is what persist prints, and every command the guide
# gives to type runs in order and succeeds. After the vendor update it
# ends with, release 2.0.0 links both into shared/, byte for byte as they
# were written, and the profile's runtime path too; the site is healthy.
#
# usage: customisation_guide_test.sh PATH_TO_PERSIST PATH_TO_GUIDE   (bazel passes both)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/guide_lib.sh"
init_guide_test "${1:-}" "${2:-}"

first_site "$home"
mkdir -p "$site/current/app/Custom" "$site/current/public/gallery/2026"
printf '<?php // the client'"'"'s own hooks\n' >"$site/current/app/Custom/Hooks.php"
printf 'jpeg bytes of a gallery photo\n' >"$site/current/public/gallery/2026/photo.jpg"
mkdir -p written && cp -a "$site/current/app/Custom" "$site/current/public/gallery" written/

# What the guide quotes of verify is what verify prints.
persist_cmd verify-before verify --root "$site"
expect_rc 1 "verify names what was written into the release"
cat verify-before.out verify-before.err >verify-before.all
while IFS= read -r line; do
  check "verify prints the guide's line: $line" has verify-before.all "$line"
done < <(sed -n '/^    problem: /,/^      fix: /{s/^    //;p}' "$GUIDE")

run_guide "$GUIDE" "$home"

check "current is releases/2.0.0" same_text current "$(readlink "$site/current")" "releases/2.0.0"
check "2.0.0 links app/Custom into shared/" \
  same_text custom "$(readlink "$site/current/app/Custom")" "../../../shared/app/Custom"
check "2.0.0 links public/gallery into shared/" \
  same_text gallery "$(readlink "$site/current/public/gallery")" "../../../shared/public/gallery"
check "2.0.0 links public/pdf into shared/" \
  same_text pdf "$(readlink "$site/current/public/pdf")" "../../../shared/public/pdf"
check "shared/public/pdf is a directory" test -d "$site/shared/public/pdf" -a ! -L "$site/shared/public/pdf"
check "app/Custom is byte for byte as written" same_tree written/Custom "$site/shared/app/Custom"
check "public/gallery is byte for byte as written" same_tree written/gallery "$site/shared/public/gallery"
check "the profile lists both custom paths" \
  same_text profile "$(grep -E '^(custom|runtime|keep_releases)' "$site/shared/.persistence-config")" \
  "$(printf 'custom: "app/Custom/"\ncustom: "public/gallery/"\nruntime: "public/pdf/"\nkeep_releases: 3')"
last_classify=$(guide_commands "$GUIDE" | grep -n '^persist classify' | tail -1 | cut -d: -f1)
check "classify names the profile's rules" \
  grep -qE '^CUSTOM +app/Custom/ +app/Custom/ \(profile CUSTOM\)' "$WORK/guide-customisation-$last_classify.out"
persist_cmd verify verify --root "$site"
expect_rc 0 "the site the guide leaves is healthy"

finish
