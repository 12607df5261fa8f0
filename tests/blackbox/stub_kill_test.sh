#!/usr/bin/env bash
# Kills a real `persist switch` that makes or remakes a stub web root
# (web_root: "stub", copy_assets: true; planner/web_root.h) with SIGKILL at
# the entry of its Nth call of each syscall it mutates the filesystem or
# the journal with, and checks that `persist recover` then leaves the site
# exactly as before the switch, or exactly as the uninterrupted switch
# leaves it. Nothing else is acceptable.
#  1. The conversion: public_html a symlink to current/public (the default
#     web root), the profile then asking for the stub: the switch to v2
#     builds the stub beside public_html, copies v2's public files into it,
#     exchanges it for the link and stashes the link.
#  2. The remake: a stub of v2's copies, an operator's file in it; the
#     switch back to v1 copies v1's files over v2's (each swapped in), and
#     removes what only v2 ships.
#
# usage: stub_kill_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# The kill is strace's fault injection (lib.sh kill_campaign, as in
# kill_at_every_syscall_test): the Nth call of SC never runs and the
# process dies as in an OOM kill. Files are copied on the main thread
# (PERSIST_COPY_WORKERS=1), so that the Nth call is the process's; what
# recover sets aside in .persist/trash/ stays there (PERSIST_EMPTY_TRASH=
# later), so that no emptier adds calls of its own.
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace
export PERSIST_COPY_WORKERS=1
export PERSIST_EMPTY_TRASH=later
cd "$WORK" || die "cd $WORK"

# release DIR VERSION: public files that differ by version, a file only
# VERSION ships, and an uploads directory that becomes a link into shared/.
release() {
  local dir=$1 version=$2
  mkdir -p "$dir/public/css" "$dir/public/uploads" "$dir/storage/framework/views" "$dir/bootstrap/cache"
  printf '<?php // artisan\n' >"$dir/artisan"
  printf 'APP_KEY=\n' >"$dir/.env.example"
  printf "<?php echo 'release %s';\n" "$version" >"$dir/public/index.php"
  printf 'RewriteEngine On # %s\n' "$version" >"$dir/public/.htaccess"
  printf 'body { color: %s }\n' "$version" >"$dir/public/css/app.css"
  printf 'only in %s\n' "$version" >"$dir/public/only-$version.txt"
}
release v1 v1
release v2 v2

# ------------------------------------------------- 1. link to stub, switch

mkdir -p site/public_html
persist_cmd d1 deploy "$WORK/v1" --root site --id v1
expect_rc 0 "deploy of v1 (public_html becomes a link)"
persist_cmd d2 deploy "$WORK/v2" --root site --id v2 --no-switch
expect_rc 0 "v2 staged"
check "public_html is a link" test -L site/public_html
printf 'web_root: "stub"\ncopy_assets: true\n' >site/shared/.persistence-config
mv site template || die "mv site template"
snapshot template before.snap
# Run ids come from the clock, with a suffix when one is taken in the same
# second: a second later, every run below gets an id of one length, so the
# journal's pages, and so its writes (LMDB's writev), are the same in every
# run, and each kill point is reached.
sleep 1

reference_after convert.trace switch v2 --root site
check "the switch made the stub" test -d site/public_html -a ! -L site/public_html
check "with v2's copies" test "$(cat site/public_html/css/app.css)" = "body { color: v2 }"
count_calls convert.trace "${KILL_SYSCALLS[@]}"
((${count[renameat2]:-0} > 0)) || die "the reference switch made no renameat2 call"
kill_campaign "switch v2, public_html a link made a stub" convert.trace "" switch v2 --root site
conversion_kills=$kills

# ------------------------------------------------- 2. stub remade, switch back

# The site as the conversion leaves it, uninterrupted, with an operator's
# file in the stub.
reference_run "" switch v2 --root site
printf 'google-site-verification\n' >site/public_html/google123.html
rm -rf template && mv site template || die "mv site template"
snapshot template before.snap
sleep 1

reference_after back.trace switch v1 --root site
check "the switch back serves v1's copies" test "$(cat site/public_html/css/app.css)" = "body { color: v1 }"
check "v2's own file is gone" test ! -e site/public_html/only-v2.txt
check "the operator's file stays" test -f site/public_html/google123.html
count_calls back.trace "${KILL_SYSCALLS[@]}"
kill_campaign "switch v1, the stub's copies remade" back.trace "" switch v1 --root site

echo "kills: $conversion_kills in the conversion, $kills in the remake"
finish
