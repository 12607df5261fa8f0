#!/usr/bin/env bash
# Kills a real `persist adopt` with SIGKILL at the entry of its Nth call of
# each syscall it mutates the filesystem or the journal with, for every N,
# and checks that `persist recover` then leaves the site exactly as it was
# installed (owners, modes, mtimes, contents, link targets), or exactly as
# an uninterrupted adoption leaves it (when the kill landed after the run
# committed). Both layouts of adopt_test.sh:
#  1. shared hosting: the whole app in SITE/public_html (artisan,
#     composer.json, app/, vendor/, public/, users' uploads, storage/
#     files, an .htaccess, a world-readable .env that the adoption makes
#     0640), the home directory and everything in it the account's user's
#     (nobody, where chown is permitted), adopted by root with --allow-root,
#     so that everything persist creates is given that owner too (fchownat);
#  2. a VPS directory served from its public/ (/var/www/example.com): the
#     app is the site, its storage/ and public/uploads/ the web server's
#     user's (www-data, uid 33).
# Beside the campaign of lib.sh (kill_campaign):
#  - a kill before the journal existed (while .persist/ is being made and
#    locked) leaves the app exactly as installed, recovered or not, and a
#    fresh `persist adopt` then succeeds and leaves the after-state, with
#    or without `persist recover` first: at every such kill;
#  - after a kill recovered to the before-state, `persist adopt` again
#    completes and leaves the after-state: at the first kill point of every
#    syscall and at every READOPT_STEP-th such kill;
#  - after a kill recovered to the after-state, `persist undo` gives the
#    installed app back exactly (once per layout);
#  - on shared hosting, everything in the site, .persist/ included, is
#    still its owner's after every recovery (below).
#
# usage: adopt_kill_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# The kill is strace's fault injection (-e inject=SC:signal=KILL:when=N): the
# Nth call of SC never runs and the process dies as in an OOM kill. The page
# cache survives, so this tests the logic of recovery, not fsync durability.
#
# The snapshots (lib.sh snapshot) leave out the site's .persist/ and
# shared/.deployment-history, and nothing else:
#  - .persist/: a killed adoption and its recovery leave one behind, as
#    every run does, which the installed app never had (on a VPS, in the
#    app's own directory). What it holds is checked through persist after
#    every recovery: `persist log` reads it and shows no unfinished run,
#    and `persist adopt` works on it again (sampled, see above). On shared
#    hosting, all of it (the site too) must still be the site owner's
#    (owned_by_site_owner): a kill between creating a file of .persist/ and
#    giving it away once left it root's, locking the owner out.
#  - shared/.deployment-history: the log of the runs, with their times.
#    A site recovered to its before-state has no shared/ at all.
#
# Kill points: every call of every mutating syscall (lib.sh kill_points;
# none is called MAX_EXHAUSTIVE times, so none is sampled); openat and
# openat2 at every call that can create or write, plus every OPEN_STEP-th.
# About 300 kills per layout, with their recoveries, snapshots and the
# checks above: about 3 minutes on 2 cores (177 s beside another build).
#
# Environment: VERBOSE=1 prints every passing check; READOPT_STEP (default
# 15), MAX_EXHAUSTIVE, SAMPLE_STEP and OPEN_STEP (lib.sh) set the sampling.
#
# strace counts when=N per thread. The one tree copy an adoption makes (a
# .env from .env.example, for an app installed without its .env) copies
# files on worker threads: PERSIST_COPY_WORKERS=1 keeps them on the main
# thread, where the Nth call is the Nth of the process and every kill point
# is reached. These installs have their .env, so nothing is copied today;
# the setting keeps the kill points honest if that changes.
#
# What recover sets aside in .persist/trash/ is left there (PERSIST_EMPTY_TRASH
# =later): an emptier started in the background would be traced too (strace
# -f), adding its own calls to the counts the kill points come from.
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace
export PERSIST_COPY_WORKERS=1
export PERSIST_EMPTY_TRASH=later
# Owners are part of what an adoption must keep and recover must restore.
SNAPSHOT_OPTIONS=(--owners)
READOPT_STEP=${READOPT_STEP:-15}
cd "$WORK" || die "cd $WORK"

# Whether this test may give files to other users: as root, outside a
# user namespace that maps only root (the target runs unsandboxed).
other_owners=no
touch chown-probe || die "cannot write in $WORK"
if chown 65534:65534 chown-probe 2>/dev/null; then
  other_owners=yes
else
  echo "note: chown is not permitted here; every file has the test's owner (owners are compared all the same)" >&2
fi
rm -f chown-probe

# install_shop DIR: the app installed in place (lib.sh install_app), with
# the vendor's composer.json, a compiled view, and the .env world-readable
# as an FTP client leaves it (the adoption makes it 0640: a chmod op).
install_shop() {
  install_app "$1"
  printf '{"name": "acme/invoicly", "require": {"laravel/framework": "^10.0"}}\n' \
    >"$1/composer.json"
  printf 'compiled view\n' >"$1/storage/framework/views/5f3a.php"
  chmod 0644 "$1/.env"
}

# Counted over both layouts.
readopts=0
undos=0

# on_adopt_kill WHAT WHERE SC N: kill_campaign's ON_KILL, after a kill
# recovered to WHERE (see the header).
before_kills=0
undone=no
on_adopt_kill() {
  local what=$1 where=$2 sc=$3 n=$4
  [[ -z "$site_owner" ]] ||
    check "$what: everything in the site is still its owner's, .persist/ included" owned_by_site_owner
  if [[ $journal_at_kill == no ]]; then
    check "$what: killed before the journal existed, recover leaves the app exactly as installed" \
      test "$where" = before || return 0
    adopt_again "$what, recovered"
    # The operator may as well just run the adoption again.
    check "$what: killed again" kill_at "$sc" "$n" "${adopt_args[@]}" || return 0
    snapshot site killed.snap
    check "$what: killed before the journal existed, the app is exactly as installed" \
      same_snapshot before.snap killed.snap
    adopt_again "$what, not recovered"
  elif [[ $where == before ]]; then
    before_kills=$((before_kills + 1))
    if ((n == 1 || before_kills % READOPT_STEP == 0)); then
      adopt_again "$what, recovered"
    fi
  elif [[ $undone == no ]]; then
    undone=yes
    undos=$((undos + 1))
    run_quiet undo.out undo.err "$PERSIST" undo --yes --root site "${RECOVER_OPTIONS[@]}"
    check "$what, recovered to the after-state: persist undo exits 0 (got $rc)" test "$rc" -eq 0 ||
      { show_file undo.err; return 0; }
    snapshot site undone.snap
    check "$what, recovered to the after-state: undo gives the installed app back exactly" \
      same_snapshot before.snap undone.snap
    check "$what, recovered to the after-state and undone: persist log shows no unfinished run" \
      log_is_settled site
  fi
}

# owned_by_site_owner: every path in site/ belongs to site_owner, but for
# - shared/.deployment-history, the log added to after the run committed:
#   killed between making it and giving it away, the run leaves it root's
#   until the next run as root adds a line (it is outside the exactness
#   promise, and shared/, the owner's, lets the owner replace it);
# - what recover set aside in .persist/trash/ that is root's: a temporary
#   made by the killed run before it was given away, which the site's
#   owner can delete all the same (the trash is the owner's), being a file,
#   a link or an empty directory.
# Else prints the paths that are not the owner's.
owned_by_site_owner() {
  local uid=${site_owner%:*} gid=${site_owner#*:} path others=''
  while IFS= read -r -d '' path; do
    if [[ $(dirname "$path") == site/.persist/trash ]] &&
      { [[ ! -d $path || -L $path ]] || [[ -z $(ls -A "$path") ]]; }; then
      continue
    fi
    others+="$path ($(stat -c %u:%g "$path")) "
  done < <(find site -path site/shared/.deployment-history -prune -o \
    \( ! -uid "$uid" -o ! -gid "$gid" \) -print0)
  [[ -z "$others" ]] && return 0
  echo "    not $site_owner: $others" >&2
  return 1
}

# adopt_again WHAT: on a killed site in its before-state, `persist adopt`
# completes and leaves exactly the after-state.
adopt_again() {
  readopts=$((readopts + 1))
  run_quiet again.out again.err "$PERSIST" "${adopt_args[@]}"
  check "$1: persist adopt again exits 0 (got $rc)" test "$rc" -eq 0 ||
    { show_file again.err; return 0; }
  snapshot site again.snap
  check "$1: adopting again leaves the after-state" \
    same_snapshot after.snap <(mask_mtimes again.snap volatile.txt)
  check "$1 and adopted again: persist log shows no unfinished run" log_is_settled site
  [[ -z "$site_owner" ]] ||
    check "$1 and adopted again: everything in the site is its owner's" owned_by_site_owner
}

# adopt_campaign LABEL: with template/ and adopt_args ready in the current
# directory, the reference runs, then every kill.
adopt_campaign() {
  local label=$1
  snapshot template before.snap
  reference_after ref.trace "${adopt_args[@]}"
  count_calls ref.trace "${KILL_SYSCALLS[@]}"
  ((${count[renameat2]:-0} > 0)) || die "$label: the reference adoption made no renameat2 call"
  if [[ -n "$site_owner" ]]; then
    check "$label: root gives what it creates the site's owner (the reference run calls fchownat)" \
      test "${count[fchownat]:-0}" -gt 0
  fi
  before_kills=0
  undone=no
  kill_campaign "$label" ref.trace on_adopt_kill "${adopt_args[@]}"
  check "$label: some kills came before the journal existed" test "$kills_before_journal" -gt 0
  check "$label: some kills recovered to the after-state, and undo was checked on one" \
    test "$undone" = yes
}

# ------------------------------------------------ 1. shared hosting, public_html

mkdir shared-hosting
cd shared-hosting || die "cd shared-hosting"
mkdir template
install_shop template/public_html
# The rest of the home directory, which the adoption must leave alone.
mkdir -p template/logs template/mail/new
printf '203.0.113.9 - - "GET / HTTP/1.1" 200\n' >template/logs/access.log
printf 'From: client\n\nhello\n' >template/mail/new/1.eml
fixed_mtimes template "2025-03-04 05:06" 300000000 2345678
site_owner=''
if [[ $other_owners == yes ]]; then
  chown -R 65534:65534 template || die "chown of the home directory failed"
  site_owner=65534:65534
fi
# Root adopts the account's site: --allow-root, for recover and undo too.
RECOVER_OPTIONS=(--allow-root)
adopt_args=(adopt site/public_html --id a1 --allow-root)
adopt_campaign "shared hosting"
cd "$WORK" || die "cd $WORK"

# ------------------------------------------------ 2. a VPS directory, public/

mkdir vps
cd vps || die "cd vps"
install_shop template
fixed_mtimes template "2025-07-08 09:10" 400000000 3456789
if [[ $other_owners == yes ]]; then
  chown -R 33:33 template/storage template/public/uploads || die "chown to www-data failed"
fi
# root's site: what persist creates is root's too, nothing to check.
site_owner=''
RECOVER_OPTIONS=()
adopt_args=(adopt site --id a1)
adopt_campaign "VPS"
cd "$WORK" || die "cd $WORK"

echo "persist adopt run again after $readopts kills, persist undo after $undos"
finish
