#!/usr/bin/env bash
# Which directory is the site: without --root, the nearest directory at or
# above the current one that holds .persist/ (commands run from inside
# current/, a release or shared/ act on the site, not on a new empty one);
# and a site is never made inside another site's releases/, shared/ or live
# release (exit 2, the site named, nothing created), however the path is
# spelled.
#
# usage: site_root_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"


# run_in DIR NAME ARGS...: persist ARGS run from DIR, output in $WORK/NAME.*.
run_in() {
  local dir=$1 name=$2
  shift 2
  last=$WORK/$name
  rc=0
  (cd "$dir" && "$PERSIST" "$@") >"$last.out" 2>"$last.err" || rc=$?
}

# no_stray_site: no .persist/ anywhere in the site but its own.
no_stray_site() {
  local found
  found=$(find "$WORK/site" -mindepth 2 -name .persist)
  [[ -z "$found" ]] && return 0
  echo "    stray .persist/: $found" >&2
  return 1
}

make_release() {
  mkdir -p "$1/public" "$1/storage/logs" "$1/bootstrap/cache"
  printf '{"name": "acme/shop", "version": "%s"}\n' "$2" >"$1/composer.json"
  printf '<?php // %s\n' "$2" >"$1/public/index.php"
  printf 'APP_KEY=\n' >"$1/.env.example"
}
make_release rel-v1 v1
make_release rel-v2 v2
mkdir site
persist_cmd v1 deploy rel-v1 --root site --id v1
expect_rc 0 "a first deploy"
persist_cmd v2 deploy rel-v2 --root site --id v2
expect_rc 0 "a second deploy"

# ---------------------------------------------------------------- (a) found above

run_in site/current/public a_log log --json
expect_rc 0 "(a) log from inside current/public"
check "(a) it lists the site's two deploys" json_check "$last.out" '[.runs[].release] == ["v1", "v2"]'
run_in site/current a_verify verify
expect_rc 0 "(a) verify from inside current"
check "(a) verify checked the site's live release" has "$last.out" "current -> releases/v2"
run_in site/shared/storage/logs a_rollback rollback
expect_rc 0 "(a) rollback from inside shared/storage/logs"
check "(a) the rollback moved the site's current" test "$(readlink site/current)" = releases/v1
run_in site/releases/v2 a_switch switch v2
expect_rc 0 "(a) switch from inside releases/v2"
check "(a) the switch moved the site's current" test "$(readlink site/current)" = releases/v2
run_in site/current/public a_deploy deploy "$WORK/rel-v1" --id v3
expect_rc 0 "(a) a deploy from inside current/public"
check "(a) it made releases/v3 in the site" test -d site/releases/v3 -a "$(readlink site/current)" = releases/v3
run_in site a_here log
expect_rc 0 "(a) log from the site itself"
check "(a) no .persist/ was made inside the site" no_stray_site
mkdir nowhere
run_in nowhere a_nowhere log
expect_rc 2 "(a) log where no directory above holds .persist/"
check "(a) it says there is no journal in the current directory" has "$last.err" "no journal at ./.persist"

# ---------------------------------------------------------------- (b) refused

mkdir -p site/releases/v3/app site/releases/v3/data  # for a link inside a release
snapshot site b-before.snap
runs_before=$("$PERSIST" log --root site --json | json_get - '.runs | length')
ln -s "$WORK/site/current" live-alias
mkdir -p elsewhere
ln -s ../site/shared elsewhere/shared-alias

# refused NAME WHAT TEXT ARGS...: exit 2 naming the site and TEXT, nothing
# changed in the site, no run recorded, no .persist/ made inside it.
refused() {
  local name=$1 what=$2 text=$3
  shift 3
  persist_cmd "$name" "$@"
  expect_rc 2 "(b) $what"
  check "(b) $what: stderr says where the root lies" has "$name.err" "$text"
  check "(b) $what: stderr names the site and --root" has "$name.err" "give --root $WORK/site"
  snapshot site b-after.snap
  check "(b) $what: the site is unchanged" same_snapshot b-before.snap b-after.snap
  check "(b) $what: no .persist/ was made inside the site" no_stray_site
  local runs
  runs=$("$PERSIST" log --root site --json | json_get - '.runs | length')
  check "(b) $what: no run was recorded" test "$runs" -eq "$runs_before"
}

refused b_current "deploy --root SITE/current/public" "lies inside the live release" \
  deploy rel-v2 --root site/current/public --id n1
refused b_release "deploy --root SITE/releases/v1" "lies inside the releases/" \
  deploy rel-v2 --root site/releases/v1 --id n1
refused b_releases "deploy --root SITE/releases" "is the releases/" \
  deploy rel-v2 --root site/releases --id n1
refused b_shared "deploy --root SITE/shared" "is the shared/" deploy rel-v2 --root site/shared --id n1
refused b_storage "deploy --root SITE/shared/storage/logs" "lies inside the shared/" \
  deploy rel-v2 --root site/shared/storage/logs --id n1
refused b_alias "deploy --root through a symlink to current" "of the site $WORK/site" \
  deploy rel-v2 --root live-alias/public --id n1
refused b_alias_shared "deploy --root through a symlink to shared/" "is the shared/" \
  deploy rel-v2 --root elsewhere/shared-alias --id n1
refused b_dotdot "deploy --root spelled with .. through a symlink" "lies inside the shared/" \
  deploy rel-v2 --root elsewhere/shared-alias/storage/../storage --id n1
printf 'op { mkdir { path: "x" } }\n' >mkdir.plan
refused b_exec "exec --root SITE/current" "is the live release" exec mkdir.plan --root site/current
refused b_recover "recover --root SITE/shared" "is the shared/" recover --root site/shared
refused b_custom "custom add --root SITE/releases/v2" "lies inside the releases/" \
  custom add public/gallery/ --root site/releases/v2
refused b_link "link of an app inside the live release" "is the live release" \
  link site/releases/v3/app site/releases/v3/data
rmdir site/releases/v3/app site/releases/v3/data

# A site beside the releases, in a directory of its own, is not refused.
mkdir site/tools
persist_cmd b_beside exec mkdir.plan --root site/tools
expect_rc 0 "(b) exec on a directory of the site that is no release or shared/"
rm -rf site/tools

# A site an older persist made inside a release: recover and undo still
# reach it, nothing else does.
mkdir old-nested
persist_cmd b_old exec mkdir.plan --root old-nested
expect_rc 0 "(b) a run on a site that will end up inside a release"
mv old-nested site/releases/v2/old-nested
persist_cmd b_old_exec exec mkdir.plan --root site/releases/v2/old-nested
expect_rc 2 "(b) exec on a site inside a release"
check "(b) it says how to undo what is there" has b_old_exec.err "persist undo --root $WORK/site/releases/v2/old-nested"
persist_cmd b_old_undo undo --root site/releases/v2/old-nested
expect_rc 0 "(b) undo on a site inside a release, made by an older persist"
check "(b) the undo reversed its run" test ! -e site/releases/v2/old-nested/x

# ---------------------------------------------------------------- (c) nothing created

# A command refused on a directory persist never opened leaves no .persist/
# there: it plans on the tree as it is before it creates anything.
mkdir -p fresh empty-src
# untouched WHAT DIR: DIR holds the names fresh.list lists: no .persist/ either.
untouched() {
  local out
  out=$(cd "$2" && find . | sort | diff - "$WORK/fresh.list") && return 0
  echo "    $2 changed: $out" >&2
  return 1
}
(cd fresh && find . | sort) >fresh.list

persist_cmd c_self deploy fresh --root fresh
expect_rc 2 "(c) deploy of a new site into itself"
check "(c) it says SRC is the site" has c_self.err "$WORK/fresh is the site"
check "(c) it leaves no .persist/" untouched "deploy SITE --root SITE" fresh
persist_cmd c_parent deploy . --root fresh
expect_rc 2 "(c) deploy of the directory holding a new site into it"
check "(c) it says SRC holds the site" has c_parent.err "$WORK holds the site"
check "(c) it leaves no .persist/" untouched "deploy PARENT --root SITE" fresh
persist_cmd c_empty deploy empty-src --root fresh
expect_rc 2 "(c) deploy of an empty SRC into a new site"
check "(c) it leaves no .persist/" untouched "deploy of an empty SRC" fresh
make_release rel-etc v3
rm -rf rel-etc/storage && ln -s /etc rel-etc/storage
persist_cmd c_etc deploy rel-etc --root fresh
expect_rc 2 "(c) deploy of a release whose storage -> /etc into a new site"
check "(c) it names storage" has c_etc.err "storage in the release is a symlink (-> /etc)"
check "(c) it leaves no .persist/" untouched "storage -> /etc" fresh
printf 'keep_releases: "three"\n' >profile.txt
mkdir -p fresh-profile/shared && cp profile.txt fresh-profile/shared/.persistence-config
persist_cmd c_profile deploy rel-v1 --root fresh-profile
expect_rc 2 "(c) deploy into a new site with a malformed profile"
check "(c) it leaves no .persist/" test ! -e fresh-profile/.persist
persist_cmd c_manifest deploy rel-v1 --root fresh --manifest maybe
expect_rc 2 "(c) deploy --manifest maybe into a new site"
check "(c) it leaves no .persist/" untouched "--manifest maybe" fresh
persist_cmd c_dry deploy rel-v1 --root fresh --dry-run
expect_rc 0 "(c) deploy --dry-run into a new site"
check "(c) --dry-run prints the plan" has c_dry.out "nothing changed"
check "(c) --dry-run leaves no .persist/" untouched "--dry-run" fresh
persist_cmd c_switch switch v1 --root fresh
expect_rc 2 "(c) switch to a release a new site lacks"
check "(c) it says there is no such release" has c_switch.err "there is no release v1"
check "(c) it leaves no .persist/" untouched "switch v1" fresh
persist_cmd c_rollback rollback --to v1 --root fresh
expect_rc 2 "(c) rollback --to a release a new site lacks"
check "(c) it leaves no .persist/" untouched "rollback --to v1" fresh

# link: an app whose storage leads out of it, in a directory never linked.
mkdir -p fresh-link/app/public
ln -s /etc fresh-link/app/storage
persist_cmd c_link link fresh-link/app fresh-link/shared
expect_rc 2 "(c) link of an app whose storage -> /etc"
check "(c) it leaves no .persist/ and no shared/" test ! -e fresh-link/.persist -a ! -e fresh-link/shared

# link to another shared directory than the one the app is linked to: the
# message names that directory, not the first of the app's links.
mkdir -p linked/app/public/uploads linked/app/storage/logs
printf 'APP_KEY=\n' >linked/app/.env.example
persist_cmd c_linked link linked/app linked/shared
expect_rc 0 "(c) link of an app"
snapshot linked c-linked.snap
persist_cmd c_other link linked/app linked/other-shared
expect_rc 2 "(c) link of that app to another shared directory"
check "(c) it says the app is linked to the other shared directory" \
  has c_other.err "is linked to another shared directory, $WORK/linked/shared"
check "(c) it says what to give" has c_other.err "persist link $WORK/linked/app $WORK/linked/shared"
check "(c) it does not blame .env for being a symlink" bash -c "! grep -q 'in the release is a symlink' c_other.err"
snapshot linked c-other.snap
check "(c) nothing changed" same_snapshot c-linked.snap c-other.snap
check "(c) no other-shared/ was made" test ! -e linked/other-shared

finish
