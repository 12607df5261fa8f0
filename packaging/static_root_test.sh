#!/usr/bin/env bash
# The static binary for shared hosts, in an empty root: a directory holding
# only the binary, /tmp, the vendor's releases and the site, entered with
# `unshare --root` (no /etc/passwd, no /proc, no shared library). There it
# creates the site, deploys, deploys the update, verifies, undoes the update
# byte for byte, and refuses a health check by name, since the root has no
# curl, which this build asks for health checks (it has no libcurl:
# net/BUILD.bazel). Then, outside the root, where the host's curl is on
# PATH, its health checks work: a deploy checked against a real server
# passes, one whose check fails is undone, the site as before byte for byte.
#
# usage: static_root_test.sh PERSIST SNAPSHOT VERSION_FILE
#   bazel test --config=static //packaging:static_root_test
source "$TEST_SRCDIR/persist/tests/blackbox/lib.sh" || exit 1
source "$TEST_SRCDIR/persist/tests/blackbox/guide_lib.sh" || exit 1

bin=$(readlink -f "${1:?usage: static_root_test.sh PERSIST SNAPSHOT VERSION_FILE}")
SNAPSHOT_TOOL=$(readlink -f "${2:?}")
version=$(tr -d ' \t\r\n' <"${3:?}")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/static.XXXXXX")
cd "$work" || exit 1
file -L "$bin" >file.out
check "file says the binary is statically linked" grep -q 'statically linked' file.out ||
  show_file file.out
ldd "$bin" >ldd.out 2>&1
check "ldd says it is not a dynamic executable" grep -q 'not a dynamic executable' ldd.out ||
  show_file ldd.out

jail=$work/jail
mkdir -p "$jail/tmp" "$jail/srv/vendor"
chmod 1777 "$jail/tmp"
cp "$bin" "$jail/persist"
examples=$(dirname "$(readlink -f "$0")")/../examples
[[ -d $examples/sample-app ]] || examples=$TEST_SRCDIR/persist/examples
cp -rL "$examples/sample-app" "$jail/srv/vendor/v1"
cp -rL "$examples/sample-app-v2" "$jail/srv/vendor/v2"

# jailed NAME ARGS...: persist ARGS in the empty root, output in NAME.out
# and NAME.err, exit code in rc. unshare -r maps this user to root in a new
# user namespace, so that no real privilege is needed for --root.
jailed() {
  local name=$1
  shift
  rc=0
  unshare -r --root="$jail" --wd=/ /persist "$@" >"$name.out" 2>"$name.err" || rc=$?
}

last=version; jailed version --version
expect_rc 0 "persist --version in the empty root"
check "it prints persist $version" test "$(sed -n 1p version.out)" = "persist $version"
check "the root holds no /etc and no /proc" test ! -e "$jail/etc" -a ! -e "$jail/proc"

last=deploy1; jailed deploy1 deploy /srv/vendor/v1 --root /srv/site --id v1 --allow-root
expect_rc 0 "deploy of the sample app into a site directory that does not exist yet"
check "the deploy said it created the site directory" grep -q "created the site directory" deploy1.out ||
  show_file deploy1.out
check "current points at v1" test "$(readlink "$jail/srv/site/current")" = releases/v1
snapshot "$jail/srv/site" before.snap

last=deploy2; jailed deploy2 deploy /srv/vendor/v2 --root /srv/site --id v2 --allow-root
expect_rc 0 "deploy of the vendor's update"
check "current points at v2" test "$(readlink "$jail/srv/site/current")" = releases/v2

last=verify; jailed verify verify --root /srv/site
expect_rc 0 "verify after the update"

last=status; jailed status status --root /srv/site --json
expect_rc 0 "status --json"
check "status names v2 as current, and both releases" \
  test "$(jq -r '[.current, (.releases | map(.id) | join(","))] | join(" ")' status.out)" = "v2 v1,v2"

snapshot "$jail/srv/site" updated.snap
last=health; jailed health deploy /srv/vendor/v1 --root /srv/site --id v3 --allow-root \
  --health-url http://127.0.0.1:9/
expect_rc 2 "a deploy asking for a health check"
check "its error names the static build, the missing curl and --no-health" \
  grep -q "static build.*no curl on PATH.*--no-health" health.err || show_file health.err
snapshot "$jail/srv/site" refused.snap
check "the refused deploy changed nothing" same_snapshot updated.snap refused.snap

last=undo; jailed undo undo --root /srv/site --yes --allow-root
expect_rc 0 "undo of the update"
snapshot "$jail/srv/site" undone.snap
check "after undo the site is byte for byte as after the first deploy" \
  same_snapshot before.snap undone.snap
last=verify2; jailed verify2 verify --root /srv/site
expect_rc 0 "verify after the undo"
user=$(jq -r '.last_run.user' <("$bin" status --root "$jail/srv/site" --json 2>/dev/null))
check "without /etc/passwd the runs name their user by number" test "$user" = "uid 0" -o "$user" = "0"

# Outside the root, with the host's curl on PATH: a real server on
# 127.0.0.1 answers / (200) and nothing else (404).
WORK=$work
mkdir -p www && printf '<h1>shop</h1>\n' >www/index.html
serve_site "$work/www"
hosted=$work/hosted
"$bin" deploy "$jail/srv/vendor/v1" --root "$hosted" --id h1 --allow-root \
  --health-url "http://127.0.0.1:$GUIDE_PORT/" >checked.out 2>checked.err
rc=$?
expect_rc 0 "a deploy checked by the host's curl against a server that answers 200"
check "its check passed, by status" \
  grep -q "health check http://127.0.0.1:$GUIDE_PORT/ (release h1): passed, status 200" checked.err || show_file checked.err
snapshot "$hosted" checked.snap
"$bin" deploy "$jail/srv/vendor/v2" --root "$hosted" --id h2 --allow-root \
  --health-url "http://127.0.0.1:$GUIDE_PORT/up" >failing.out 2>failing.err
rc=$?
expect_rc 1 "a deploy whose health check answers 404"
check "it names the URL and the status" \
  grep -q "http://127.0.0.1:$GUIDE_PORT/up (release h2): failed: status 404 outside 200-399" failing.err ||
  show_file failing.err
snapshot "$hosted" failing.snap
check "the deploy whose check failed was undone: the site is as before, byte for byte" \
  same_snapshot checked.snap failing.snap

finish
