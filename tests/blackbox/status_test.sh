#!/usr/bin/env bash
# persist status and persist releases, human and --json, on a real site
# after two deploys, then with a run left interrupted (a deploy killed by
# strace at its second renameat2) and with the site lock held by another
# process; neither command may create or change anything in the site,
# .persist/ included: a snapshot of the whole tree before and after each
# must be equal byte for byte, but for LMDB's own lock file
# (.persist/journal/lock.mdb), whose reader table every reader of the
# journal writes its slot in: that is how LMDB lets readers and the writer
# run side by side without blocking. Then persist deploy into a site directory
# that does not exist yet: created when its parent exists, refused by name
# (nothing created) when the parent is missing; its dry run shows the plan
# of a deploy into an empty site directory and creates nothing.
#
# usage: status_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace
cd "$WORK" || die "cd $WORK"

# whole SITE OUT: a snapshot of every path of SITE, .persist/ and the
# history included, mtimes too (LMDB's lock file aside, see above): what a
# read-only command must leave as is.
whole() {
  "$SNAPSHOT_TOOL" --exclude .persist/journal/lock.mdb "$1" >"$2" || die "snapshot of $1 failed"
}

# read_only NAME ARGS...: runs persist ARGS (output in NAME.out/.err) and
# checks that the site is byte for byte as before.
read_only() {
  local name=$1
  shift
  whole site "$name.before"
  persist_cmd "$name" "$@"
  whole site "$name.after"
  check "persist $* changed nothing in the site" same_snapshot "$name.before" "$name.after"
}

sample_release v1 small v1
sample_release v2 small v2
sample_release v3 small v3
persist_cmd d1 deploy v1 --root site --id r1
expect_rc 0 "first deploy"
persist_cmd d2 deploy v2 --root site --id r2
expect_rc 0 "second deploy"
deploy2=$("$PERSIST" log --root site --json | jq -r '.runs[-1].id')

# ---- after two deploys
read_only status status --root site
expect_rc 0 "persist status"
check "status names the live release" has status.out "current:       r2"
check "status lists both releases, the live one marked" \
  grep -qE '^  r2 +\* ' status.out
check "status lists r1 as not live" grep -qE '^  r1 +[0-9]' status.out
check "status says no run is interrupted" has status.out "interrupted:   none"
check "status says the lock is free" has status.out "lock:          free"
check "status names what persist undo would reverse" has status.out "persist undo takes run $deploy2"
check "status prints nothing on stderr" test ! -s status.err

read_only status_json status --root site --json
expect_rc 0 "persist status --json"
check "status --json has version 1" json_check status_json.out '.version == 1'
check "status --json names current r2" json_check status_json.out '.current == "r2"'
check "status --json lists r1 then r2, only r2 live" \
  json_check status_json.out '[.releases[] | "\(.id):\(.live)"] == ["r1:false", "r2:true"]'
check "status --json gives each release a size, a file count and its deploy run" \
  json_check status_json.out \
  'all(.releases[]; .bytes > 0 and .files > 0 and .deployed_ns > 0 and (.run | type) == "string")'
check "status --json measures shared/" json_check status_json.out '.shared.files > 0'
check "status --json: nothing interrupted, the lock free" \
  json_check status_json.out '.interrupted == null and .lock.held == false'
check "status --json: the undo window and the runs it can undo, newest first" \
  json_check status_json.out '.undo_window.runs == 5 and (.undo_window.undoable | length) == 2
    and .undo_window.undoable[0] == $run' --arg run "$deploy2"
check "status --json: the last run is the second deploy" \
  json_check status_json.out '.last_run.id == $run and .last_run.kind == "deploy"' --arg run "$deploy2"
size_r2=$(find site/releases/r2 -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
check "status --json: r2's bytes are the sum of its regular files ($size_r2)" \
  json_check status_json.out '.releases[1].bytes == ($size | tonumber)' --arg size "$size_r2"

read_only releases releases --root site
expect_rc 0 "persist releases"
check "releases prints a header and one line per release" test "$(wc -l <releases.out)" -eq 3
read_only releases_json releases --root site --json
expect_rc 0 "persist releases --json"
check "releases --json has version 1 and the same releases as status" \
  json_check releases_json.out '.version == 1 and .current == "r2" and
    ([.releases[].id] == ["r1", "r2"])'

# ---- a run left interrupted
run_quiet killed.out killed.err strace -f -o /dev/null -e trace=renameat2 \
  -e inject=renameat2:signal=KILL:when=2 "$PERSIST" deploy v3 --root site --id r3
check "the third deploy was killed (exit 137, got $rc)" test "$rc" -eq 137
killed=$("$PERSIST" log --root site --json | jq -r '.runs[-1].id')
read_only interrupted status --root site --json
expect_rc 0 "persist status with a run interrupted"
check "status --json names the interrupted run" \
  json_check interrupted.out '.interrupted.id == $run and .interrupted.state == "RUN_APPLYING"' \
  --arg run "$killed"
read_only interrupted_text status --root site
check "status says to run persist recover" has interrupted_text.out "run persist recover"
persist_cmd recover recover --root site
expect_rc 0 "recover"

# ---- the lock held by another process
flock site/.persist/lock sleep 60 &
holder=$!
sleep 0.5
read_only locked status --root site --json
expect_rc 0 "persist status while the lock is held"
check "status --json says the lock is held" json_check locked.out '.lock.held == true'
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# ---- no journal yet
mkdir empty
persist_cmd nojournal status --root empty
expect_rc 2 "persist status on a directory persist has not run on"
check "the error names the directory's journal" has nojournal.err "empty/.persist/journal"
check "status created nothing there" test -z "$(ls -A empty)"

# ---- deploy into a site directory that does not exist yet
mkdir parent
persist_cmd created deploy v1 --root parent/site --id r1
expect_rc 0 "deploy into parent/site, which does not exist"
check "the deploy says it created the site directory" \
  has created.out "created the site directory parent/site"
check "the new site has its release live" test "$(readlink parent/site/current)" = releases/r1
persist_cmd orphan deploy v1 --root missing/site --id r1
expect_rc 2 "deploy into missing/site, whose parent does not exist"
check "the error names the parent and how to create it" has orphan.err "mkdir -p missing"
check "nothing was created" test ! -e missing
mkdir -p parent/empty dry-tmp
TMPDIR=$WORK/dry-tmp persist_cmd dry deploy v1 --root parent/dry --id r2 --dry-run
expect_rc 0 "a dry run into a site directory that does not exist"
check "it says the deploy will create the site directory" \
  has dry.out "the site directory parent/dry does not exist yet: the deploy will create it"
check "the dry run created nothing" test ! -e parent/dry
check "it left nothing in TMPDIR" test -z "$(ls -A dry-tmp)"
persist_cmd dry-empty deploy v1 --root parent/empty --id r2 --dry-run
expect_rc 0 "the same dry run into an empty site directory"
check "its plan is the plan into the empty directory, op for op" \
  same_text "plan" "$(grep -E '^ +[0-9]+\. ' dry.out)" "$(grep -E '^ +[0-9]+\. ' dry-empty.out)"
check "the plan has ops" grep -qE '^ +1\. ' dry.out

finish
