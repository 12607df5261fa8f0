#!/usr/bin/env bash
# .persist/trash/ through the real binary: a deploy killed once its whole
# release is staged (SIGKILL at its first renameat2, strace) is recovered
# exactly, the staged release going whole into the trash instead of being
# removed file by file; the trash is then emptied as --empty-trash says
# (wait: before recover exits; later: by `persist empty-trash`; background,
# the default: by a detached emptier, within seconds), and the same for a
# trash left full by an earlier command; a stash purged when its run leaves
# the undo window goes to the trash too, and that run can no longer be undone.
# The detached emptier runs at the idle I/O class and nice 10.
#
# usage: trash_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# Environment: VERBOSE=1 prints every passing check.
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace

cd "$WORK" || die "cd $WORK"

# ---------------------------------------------------------------- helpers

# make_release DIR VERSION: a Laravel-style release with 300 files in vendor/
# (so that the staged tree is worth setting aside), a shared storage/ and a
# .env.example. Fixed past mtimes.
make_release() {
  local d=$1 v=$2 i
  mkdir -p "$d"/app "$d"/public/css "$d"/storage/logs "$d"/bootstrap/cache
  for i in $(seq 1 30); do mkdir -p "$d/vendor/pkg$i"; done
  for i in $(seq 1 300); do
    printf '<?php // file %d of %s\n' "$i" "$v" >"$d/vendor/pkg$((i % 30 + 1))/F$i.php"
  done
  printf 'APP_NAME=Shop\nAPP_KEY=\n' >"$d"/.env.example
  printf '<?php // app %s\n' "$v" >"$d"/app/Kernel.php
  printf '{"name": "acme/shop"}\n' >"$d"/composer.json
  printf 'body{}\n' >"$d"/public/css/app.css
  printf '*\n' >"$d"/storage/logs/.gitignore
  printf '*\n' >"$d"/bootstrap/cache/.gitignore
  local n=0 p
  while IFS= read -r -d '' p; do
    n=$((n + 1))
    touch -h -d "2024-06-07 08:09:$((n % 60)).$((400000000 + n * 3456789)) UTC" "$p"
  done < <(find "$d" ! -type d -print0 | sort -z)
}


# contents DIR: every file beneath DIR with its SHA-256, by relative path.
contents() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# trash_names: the names in site/.persist/trash/, one a line (none when it
# does not exist).
trash_names() {
  [[ -d site/.persist/trash ]] || return 0
  find site/.persist/trash -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

trash_is_empty() { [[ -z "$(trash_names)" ]]; }

no_staged_name() { [[ -z "$(find site/releases -maxdepth 1 -name '.persist-*')" ]]; }

# kill_staged_deploy WHAT [ENV...]: a deploy of rel-v2 killed (SIGKILL) at its
# first renameat2, the rename of its release into place: the whole release
# is staged (and synced) under a temporary name.
kill_staged_deploy() {
  local what=$1
  run_quiet kill.out kill.err strace -f -o /dev/null -e trace=renameat2 \
    -e inject=renameat2:signal=KILL "$PERSIST" deploy rel-v2 --root site --id v2 --quiet
  check "$what: the deploy dies of SIGKILL at its first renameat2 (exit 137, got $rc)" \
    test "$rc" -eq 137 || show_file kill.err
  staged=$(find site/releases -maxdepth 1 -name '.persist-*' | head -n 1)
  check "$what: the killed deploy left its release staged" test -n "$staged"
  if [[ -n "$staged" ]]; then
    check "$what: the whole release is staged" test "$(contents "$staged")" = "$(contents rel-v2)"
  fi
}

# wait_for_empty_trash SECONDS: polls until the trash is empty.
wait_for_empty_trash() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    trash_is_empty && return 0
    sleep 0.1
  done
  trash_is_empty
}

make_release rel-v1 v1
make_release rel-v2 v2
mkdir site
persist_cmd deploy1 deploy rel-v1 --root site --id v1 --empty-trash later
expect_rc 0 "a first deploy"
snapshot site before.snap

# ---------------------------------------------------------------- wait

kill_staged_deploy "(wait)"
persist_cmd w_recover recover --root site --empty-trash=wait
expect_rc 0 "(wait) recover"
snapshot site w.snap
check "(wait) the site outside .persist/ is exactly as before" same_snapshot before.snap w.snap
check "(wait) nothing is left under the temporary name" no_staged_name
check "(wait) recover says the staged tree was set aside and is removed now" \
  has w_recover.out "set aside in .persist/trash/ and is removed now"
check "(wait) the trash is empty when recover returns" trash_is_empty

# ---------------------------------------------------------------- later

kill_staged_deploy "(later)"
persist_cmd l_recover recover --root site --empty-trash later
expect_rc 0 "(later) recover"
snapshot site l.snap
check "(later) the site outside .persist/ is exactly as before" same_snapshot before.snap l.snap
check "(later) nothing is left under the temporary name" no_staged_name
check "(later) recover names persist empty-trash" has l_recover.out "persist empty-trash --root"
names=$(trash_names)
check "(later) the trash holds one entry, the staged release ($names)" \
  test "$(wc -l <<<"$names")" -eq 1 -a "${names%.staged}" != "$names"
check "(later) the entry is the release, whole" \
  test "$(contents "site/.persist/trash/$names")" = "$(contents rel-v2)"
stat_mode=$(stat -c %a site/.persist/trash)
check "(later) the trash is mode 0700 (got $stat_mode)" test "$stat_mode" = 700
sleep 1
check "(later) nothing empties it meanwhile" test "$(trash_names)" = "$names"
persist_cmd l_empty empty-trash --root site
expect_rc 0 "(later) persist empty-trash"
check "(later) persist empty-trash says what it removed" has l_empty.out "removed 1 entry"
check "(later) persist empty-trash emptied the trash" trash_is_empty
persist_cmd l_again empty-trash --root site
expect_rc 0 "(later) persist empty-trash with nothing to remove"
check "(later) a second persist empty-trash finds nothing" has l_again.out "nothing to remove"

# ---------------------------------------------------------------- background

kill_staged_deploy "(background)"
persist_cmd b_recover recover --root site
expect_rc 0 "(background) recover"
snapshot site b.snap
check "(background) the site outside .persist/ is exactly as before" same_snapshot before.snap b.snap
check "(background) nothing is left under the temporary name" no_staged_name
check "(background) recover says the staged tree is removed in the background" \
  has b_recover.out "is being removed in the background"
check "(background) a detached emptier empties the trash within 30 s" wait_for_empty_trash 30
persist_cmd b_empty empty-trash --root site
expect_rc 0 "(background) persist empty-trash after it"
check "(background) persist empty-trash finds nothing left" has b_empty.out "nothing to remove"

# ---------------------------------------------------------------- idle

# The emptier a command starts asks for the idle I/O class and nice 10, so
# that removing a release never competes with the site for the disk. strace
# -f follows it from recover, and waits for it.
kill_staged_deploy "(idle)"
run_quiet i_recover.out i_recover.err strace -f -qq -o i_trace.txt \
  -e trace=ioprio_set,setpriority "$PERSIST" recover --root site
check "(idle) recover under strace (exit 0, got $rc)" test "$rc" -eq 0 || show_file i_recover.err
check "(idle) the emptier asks for the idle I/O class" has i_trace.txt "IOPRIO_CLASS_IDLE"
check "(idle) and for nice 10" grep -qE 'setpriority\(PRIO_PROCESS, 0, 10\) += 0' i_trace.txt
check "(idle) and it emptied the trash" wait_for_empty_trash 30

# ---------------------------------------------------------------- the next command

# A trash left full (later, or an emptier killed) is emptied in the
# background after the next command that takes the site lock, whatever it
# does, here a recover with nothing to recover. The environment variable
# chooses the mode as the option does.
kill_staged_deploy "(next)"
PERSIST_EMPTY_TRASH=later run_persist n_recover recover --root site
last=n_recover
expect_rc 0 "(next) recover with PERSIST_EMPTY_TRASH=later"
check "(next) PERSIST_EMPTY_TRASH=later leaves the trash full" test -n "$(trash_names)"
persist_cmd n_bad recover --root site --empty-trash soon
expect_rc 2 "(next) --empty-trash soon"
check "(next) the error names the three modes" has n_bad.err "background, wait or later"
check "(next) a refused command leaves the trash alone" test -n "$(trash_names)"
persist_cmd n_nothing recover --root site
expect_rc 0 "(next) recover with nothing to recover"
check "(next) the next command empties the trash in the background within 30 s" \
  wait_for_empty_trash 30
snapshot site n.snap
check "(next) the site outside .persist/ is exactly as before" same_snapshot before.snap n.snap

# ---------------------------------------------------------------- purge

# Six committed runs: the oldest (the first deploy) leaves the undo window of
# five, and its stash goes to the trash as <run>.stash.
persist_cmd p_deploy deploy rel-v2 --root site --id v2 --empty-trash later
expect_rc 0 "(purge) deploy v2"
for target in v1 v2 v1; do
  persist_cmd p_switch switch "$target" --root site --empty-trash later
  expect_rc 0 "(purge) switch $target"
done
run_quiet p_log.json p_log.err "$PERSIST" log --root site --json
first=$(json_get p_log.json '.runs[0].id')
check "(purge) the first run's stash is kept while it is in the window" \
  test -d "site/.persist/stash/$first"
persist_cmd p_last switch v2 --root site --empty-trash later
expect_rc 0 "(purge) the sixth run"
check "(purge) the first run's stash left .persist/stash/" test ! -e "site/.persist/stash/$first"
check "(purge) the first run's stash is in the trash as $first.stash" \
  test -d "site/.persist/trash/$first.stash"
persist_cmd p_logtable log --root site
check "(purge) persist log shows the first run beyond undo" has p_logtable.out "committed (beyond undo)"
persist_cmd p_empty empty-trash --root site
expect_rc 0 "(purge) persist empty-trash"
check "(purge) it removed the purged stash" trash_is_empty
for i in 1 2 3 4 5; do
  persist_cmd p_undo undo --root site --empty-trash wait
  expect_rc 0 "(purge) undo $i of the five runs in the window"
done
persist_cmd p_refused undo --root site
expect_rc 2 "(purge) undo of the run beyond the window"
check "(purge) the refusal names the undo window" has p_refused.err "undo window"
snapshot site p.snap
check "(purge) the five undos restore the site after the first deploy" same_snapshot before.snap p.snap

finish
