#!/usr/bin/env bash
# persist deploy of a vendor's download as the buyer unpacks it: the
# CodeCanyon shape, zipped and unzipped with Info-ZIP, documentation/ beside
# the app one folder down. The deploy finds the app, says which directory
# and why (in --dry-run too), and deploys only that; a download with two apps
# is refused naming both, with nothing created, until --app-dir names one.
#
# usage: vendor_delivery_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"
command -v zip >/dev/null && command -v unzip >/dev/null ||
  die "Info-ZIP zip and unzip are needed (tools/setup installs them)"

# ---- the vendor's zip, as CodeCanyon hands it over ---------------------------
mkdir -p vendor/documentation "vendor/Main Files"
printf '<html>how to install</html>\n' >vendor/documentation/index.html
sample_release "vendor/Main Files/script" small
printf '{"name": "acme/lib"}\n' >"vendor/Main Files/script/composer.json"
mkdir -p "vendor/Main Files/script/vendor/acme/lib"
printf '{"name": "acme/lib"}\n' >"vendor/Main Files/script/vendor/acme/lib/composer.json"
(cd vendor && zip -qr ../codecanyon-123.zip .) || die "zip failed"
mkdir download && (cd download && unzip -q ../codecanyon-123.zip) || die "unzip failed"

mkdir site site2 site3
# ---- 1. the app is found one folder down, said, and deployed alone -------------
persist_cmd dry deploy download --root site --id v1 --dry-run
expect_rc 0 "a dry run of the download"
check "the dry run says which directory it deploys and why" \
  has dry.out "note: deploying Main Files/script of $WORK/download: it is the one directory"
check "the dry run creates nothing" test ! -e site/.persist -a ! -e site/releases
persist_cmd d1 deploy download --root site --id v1
expect_rc 0 "the deploy of the download"
check "the deploy says which directory it deployed" has d1.out "note: deploying Main Files/script"
check "the release is the app, not the download" test -f site/releases/v1/composer.json
check "the documentation stays out of the release" test ! -e site/releases/v1/documentation
check "nor is the download's wrapper folder in it" test ! -e "site/releases/v1/Main Files"
check "the app's own files are there byte for byte" \
  cmp -s "download/Main Files/script/composer.json" site/releases/v1/composer.json

# ---- 2. two apps in one download: refused, naming both -------------------------
cp -a download two
sample_release "two/Upgrade/script" small
persist_cmd d2 deploy two --root site2 --id v1
expect_rc 2 "a download with two apps"
check "the refusal names both and --app-dir" \
  has d2.err "holds 2 apps (Main Files/script, Upgrade/script); name the app's directory with --app-dir PATH"
check "the refused deploy created nothing" test -z "$(ls -A site2)"
persist_cmd d3 deploy two --root site2 --id v1 --app-dir Upgrade/script
expect_rc 0 "the same download with --app-dir"
check "the named app was deployed" test -d site2/releases/v1 -a ! -e site2/releases/v1/Upgrade
persist_cmd d4 deploy two --root site3 --id v1 --app-dir documentation
expect_rc 2 "--app-dir naming a directory without an app"
check "that refusal names the directory" has d4.err "the app directory documentation in $WORK/two holds none of"
check "and creates nothing" test -z "$(ls -A site3)"

finish
