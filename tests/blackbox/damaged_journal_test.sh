#!/usr/bin/env bash
# A damaged journal: data.mdb truncated (to nothing, to one page, halfway),
# overwritten with random bytes, or missing beside its lock.mdb. Every
# command that needs the journal exits with a clear error that names
# data.mdb and the way out (moving the journal aside), never dies of a
# signal, and leaves the site exactly as it was; `persist verify` reports the
# damage as a problem (exit 1). Moving the journal aside, as the message
# says, lets persist work again.
#
# usage: damaged_journal_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

# stderr_has NAME TEXT: NAME.err contains TEXT (fixed string).
stderr_has() {
  grep -qF -- "$2" "$1.err" && return 0
  echo "    stderr of $1 does not contain: $2" >&2
  show_file "$1.err"
  return 1
}

# A release and a site with two deploys, user data, and a third release to
# try deploying.
sample_release up shop
printf 'demo\n' >up/public/uploads/demo.txt
mkdir site
run_persist setup1 deploy up --root site --id v1
check "the first deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file setup1.err
printf '<?php // v2\n' >up/app/index.php
run_persist setup2 deploy up --root site --id v2
check "the second deploy exits 0 (got $rc)" test "$rc" -eq 0 || show_file setup2.err
printf 'a user photo\n' >site/shared/public/uploads/user.jpg
printf '<?php // v3\n' >up/app/index.php
cp -a site pristine

journal=site/.persist/journal/data.mdb
size=$(stat -c %s "pristine/.persist/journal/data.mdb")
((size > 3 * 4096)) || die "the journal is too small to damage halfway ($size bytes)"

# damage KIND: the site fresh from pristine/, with data.mdb damaged.
damage() {
  rm -rf site
  cp -a pristine site
  case $1 in
    empty) : >"$journal" ;;
    one-page) truncate -s 4096 "$journal" ;;
    halfway) truncate -s $(((size / 4096 / 2) * 4096 + 100)) "$journal" ;;
    garbled) head -c "$size" /dev/urandom >"$journal" ;;
    missing) rm "$journal" ;;
    *) die "unknown damage $1" ;;
  esac
}

for kind in empty one-page halfway garbled missing; do
  damage "$kind"
  snapshot site "$kind-before.snap"
  cp "$journal" "$kind-journal.copy" 2>/dev/null || : >"$kind-journal.copy"
  for cmd in "log" "show" "recover" "undo" "rollback" "deploy up --id v3"; do
    name="$kind-${cmd%% *}"
    args=($cmd)
    [[ ${args[0]} == show ]] && args+=("$(ls pristine/.persist/stash | sort | tail -n 1)")
    persist_cmd "$name" "${args[@]}" --root site
    check "$kind journal: persist ${args[0]} fails with exit 1, not a signal (got $rc)" \
      test "$rc" -eq 1 || show_file "$name.err"
    check "$kind journal: persist ${args[0]} names data.mdb" stderr_has "$name" "data.mdb"
    check "$kind journal: persist ${args[0]} gives the way out" \
      stderr_has "$name" "mv .persist/journal .persist/journal."
  done
  persist_cmd "$kind-verify" verify --root site
  check "$kind journal: persist verify exits 1 (got $rc)" test "$rc" -eq 1 || show_file "$kind-verify.err"
  check "$kind journal: persist verify reports the journal as a problem" \
    grep -q '^problem: .persist/journal: .*data.mdb' "$kind-verify.out"
  snapshot site "$kind-after.snap"
  check "$kind journal: the site is exactly as it was" same_snapshot "$kind-before.snap" "$kind-after.snap"
  if [[ $kind == missing ]]; then
    check "missing journal: no new data.mdb was made" test ! -e "$journal"
  else
    check "$kind journal: data.mdb is left as it was found" cmp -s "$journal" "$kind-journal.copy"
  fi
  check "$kind journal: no release was added" test ! -e site/releases/v3
done

# The way out works: with the journal moved aside, persist starts a new one
# and deploys again; the user's data is kept.
damage halfway
mv site/.persist/journal site/.persist/journal.damaged
persist_cmd after-deploy deploy up --root site --id v3
check "a deploy after moving the journal aside exits 0 (got $rc)" test "$rc" -eq 0 ||
  show_file after-deploy.err
check "the user's photo is still there" test "$(cat site/shared/public/uploads/user.jpg)" = "a user photo"
check "the damaged journal is kept where it was moved" test -s site/.persist/journal.damaged/data.mdb

finish
