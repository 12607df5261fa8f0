# Shared helpers for the black-box tests of the persist binary.
#
# Source it from a test script:   source "$(dirname "$0")/lib.sh"
# The tests run the real binary and look at the site only from outside:
# snapshots of every path, exit codes, stdout and stderr.

set -uo pipefail

# ---------------------------------------------------------------- reporting

failures=0
checks=0

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  failures=$((failures + 1))
}

pass() {
  checks=$((checks + 1))
  [[ -n "${VERBOSE:-}" ]] && printf 'ok: %s\n' "$*"
  return 0
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then
    [[ -n "${VERBOSE:-}" ]] && printf 'ok: %s\n' "$what"
    return 0
  fi
  fail "$what"
  return 1
}

die() {
  printf 'FATAL: %s\n' "$*" >&2
  exit 1
}

# finish: prints the tally and exits non-zero when any check failed.
finish() {
  printf '%s: %d checks, %d failed (%ds)\n' "$(basename "$0")" "$checks" "$failures" "$SECONDS"
  ((failures == 0)) || exit 1
  exit 0
}

# ---------------------------------------------------------------- setup

# init_test BINARY: sets PERSIST (absolute path of the binary), SNAPSHOT_TOOL
# and MAKE_RELEASE_TOOL (tests/testing's tools, from $SNAPSHOT and
# $MAKE_RELEASE) and WORK (a fresh directory under
# $TEST_TMPDIR). Every path a test touches is under WORK.
init_test() {
  local bin=${1:-}
  [[ -n "$bin" ]] || die "usage: $0 PATH_TO_PERSIST (pass \$(location //cli:persist) in args)"
  [[ -n "${TEST_TMPDIR:-}" ]] || die "TEST_TMPDIR is not set: run this test with bazel test"
  PERSIST=$(readlink -f "$bin") || die "cannot resolve $bin"
  [[ -x "$PERSIST" ]] || die "$PERSIST is not an executable"
  [[ -n "${SNAPSHOT:-}" ]] ||
    die "SNAPSHOT is not set: the test's target passes \$(rootpath //tests/testing:snapshot) (tests/blackbox/BUILD.bazel)"
  SNAPSHOT_TOOL=$(readlink -f "$SNAPSHOT") || die "cannot resolve $SNAPSHOT"
  [[ -n "${MAKE_RELEASE:-}" ]] ||
    die "MAKE_RELEASE is not set: the test's target passes \$(rootpath //tests/testing:make_release) (tests/blackbox/BUILD.bazel)"
  MAKE_RELEASE_TOOL=$(readlink -f "$MAKE_RELEASE") || die "cannot resolve $MAKE_RELEASE"
  command -v jq >/dev/null 2>&1 || die "jq is not installed (PATH=$PATH); run tools/setup, which installs it"
  [[ -x "$SNAPSHOT_TOOL" ]] || die "$SNAPSHOT_TOOL is not an executable"
  WORK=$(mktemp -d "$TEST_TMPDIR/work.XXXXXX") || die "mktemp failed under $TEST_TMPDIR"
  export LC_ALL=C
  # LeakSanitizer cannot run under ptrace, and these tests run persist under
  # strace: in the sanitizer build (config asan) the leak check is the unit
  # tests'; ASan and UBSan still check every run here.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  SECONDS=0
}

# require_strace: strace is part of the test's tooling (tools/setup installs
# it). Its absence is a failure, never a silent skip.
require_strace() {
  if ! command -v strace >/dev/null 2>&1; then
    die "strace is not installed (PATH=$PATH); run tools/setup, which installs it"
  fi
  # The checks rely on signal= and delay_enter= injection and on when=N.
  strace -f -o /dev/null -e trace=getpid -e inject=getpid:delay_enter=1:when=1 true \
    || die "strace cannot trace here (ptrace refused?): $(strace -o /dev/null true 2>&1)"
}

# ---------------------------------------------------------------- snapshots

# SNAPSHOT_OPTIONS: further options of the snapshot tool for every
# snapshot, none unless a test sets them: --owners (" owner=UID:GID" on
# every line) where a test's files belong to several users.
SNAPSHOT_OPTIONS=()

# snapshot DIR OUT: writes to OUT the snapshot of DIR made by the snapshot
# tool (tests/testing/snapshot_main.cc, the same walk as the C++ tests'
# TakeSnapshot): one line per path, DIR itself first as ".",
#   ./PATH <TAB> dir mode=0755
#   ./PATH <TAB> file mode=0644 size=N mtime=NS sha256=HEX
#   ./PATH <TAB> symlink -> TARGET mtime=NS
#   ./PATH <TAB> other mode=10644 mtime=NS        (fifo, socket, device)
# except DIR/.persist (the journal) and DIR/shared/.deployment-history (the
# log every run appends to, undo and recover included; DIR/.deployment-history
# where DIR is shared/ itself), both excluded from every comparison by the
# exactness promise. Directory mtimes are excluded by the promise; directory
# sizes are too, since on ext4 a directory never shrinks once it has grown,
# and its entries are listed anyway. Symlink mtimes are the link's own.
# SNAPSHOT_OPTIONS (above) come first.
snapshot() {
  local dir=$1 out=$2
  "$SNAPSHOT_TOOL" "${SNAPSHOT_OPTIONS[@]}" --exclude .persist \
    --exclude shared/.deployment-history --exclude .deployment-history "$dir" >"$out" ||
    die "snapshot of $dir failed"
}

# same_snapshot A B: succeeds when the two snapshots are equal, else prints
# the paths that differ (at most 40 lines) on stderr.
same_snapshot() {
  local out
  out=$("$SNAPSHOT_TOOL" --compare "$1" "$2" 2>&1) && return 0
  printf '%s\n' "$out" | head -n 40 >&2
  return 1
}

# mask_mtimes SNAPSHOT PATHS_FILE: prints SNAPSHOT with the mtime of every
# path listed in PATHS_FILE (one "./path" a line) replaced by "*".
mask_mtimes() {
  awk -F'\t' 'BEGIN { OFS = "\t" }
             FILENAME == ARGV[1] { volatile[$0] = 1; next }
             ($1 in volatile) { sub(/ mtime=[0-9]+/, " mtime=*", $2) }
             { print }' "$2" "$1"
}

# volatile_paths SNAP1 SNAP2: prints the paths whose line differs between two
# snapshots of the same outcome (paths a run creates get the time of the run:
# a new symlink, a written file). Masking their mtimes (mask_mtimes) still
# compares everything else of them.
volatile_paths() {
  diff <(sort "$1") <(sort "$2") | sed -n 's/^[<>] //p' | cut -f1 | sort -u
}

# ---------------------------------------------------------------- sites

# sample_release DIR SHAPE [VERSION]: writes into DIR the sample release the
# C++ tests deploy too (tests/testing/sample_release.h, through the
# make_release tool):
#   shop     "acme/shop" as the operator uploads it: composer.json,
#            app/index.php ("<?php // VERSION"; tests bump it), .env.example
#            and empty public/uploads/, storage/logs/ and bootstrap/cache/
#   small    a Laravel-shaped release with nothing but what a deploy needs to
#            recognise and link it: artisan, public/index.php, .env.example,
#            public/uploads/, storage/ with framework/views/, bootstrap/cache/
#   laravel  the C++ campaigns' CodeCanyon-style release, fixed mtimes
# VERSION defaults to v1.
sample_release() {
  "$MAKE_RELEASE_TOOL" "$@" || die "make_release $* failed"
}

# fixed_mtimes DIR MINUTE NS NS_STEP: gives every non-directory beneath DIR
# (DIR/.persist aside) a fixed, distinct past mtime, nanoseconds included:
# "MINUTE:SS.N UTC", the Ith path in name order at second I mod 60 and
# nanosecond NS + I * NS_STEP. Anything a run writes then differs from it.
fixed_mtimes() {
  local d=$1 minute=$2 ns=$3 step=$4 i=0 p
  while IFS= read -r -d '' p; do
    i=$((i + 1))
    touch -h -d "$minute:$((i % 60)).$((ns + i * step)) UTC" "$p"
  done < <(find "$d" -path "$d/.persist" -prune -o ! -type d -print0 | sort -z)
}

# install_app DIR: the vendor's Laravel app (sample_release laravel)
# unpacked in place and used for a while, as persist adopt finds it: an
# .htaccess sending requests on to public/, users' uploads and invoices, a
# .env (0600), logs, a session.
install_app() {
  sample_release "$1" laravel
  printf '<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteRule ^(.*)$ public/$1 [L]\n</IfModule>\n' \
    >"$1/.htaccess"
  mkdir -p "$1/public/uploads/avatars" "$1/public/invoices" "$1/storage/logs" \
    "$1/storage/framework/views" "$1/storage/framework/cache" \
    "$1/storage/framework/sessions"
  printf 'jpeg bytes of user 42\n' >"$1/public/uploads/avatars/user-42.jpg"
  printf '%%PDF invoice 7\n' >"$1/public/invoices/INV-0007.pdf"
  printf 'APP_KEY=base64:live-secret\nDB_PASSWORD=hunter2\n' >"$1/.env"
  chmod 0600 "$1/.env"
  printf '[2026-12-01] production.INFO: live\n' >"$1/storage/logs/laravel.log"
  printf 'session\n' >"$1/storage/framework/sessions/abc"
}

# make_site DIR: a small site such as persist deploys into:
#   current -> releases/v1               the existing switch symlink
#   releases/v1/...                      nested dirs, files 0600 and 0755,
#                                        relative symlinks into shared/
#   shared/.env (0600), shared/storage/  persistent data
#   incoming/v2/...                      the next release, with a nested tree
#                                        and a symlink inside it
#   old/logs/                            a directory the plans move away
#   config.txt, a.txt, b.txt             files the plans write and exchange
# mtimes are set to fixed past values so they differ from anything a run
# writes.
make_site() {
  local d=$1
  mkdir -p "$d"/releases/v1/app/sub/deeper "$d"/releases/v1/public \
    "$d"/shared/storage/logs "$d"/shared/public/uploads \
    "$d"/incoming/v2/app/nested/deep "$d"/incoming/v2/public "$d"/old/logs
  printf '<?php echo "v1";\n' >"$d"/releases/v1/app/index.php
  printf 'sub file\n' >"$d"/releases/v1/app/sub/a.txt
  printf 'deeper file\n' >"$d"/releases/v1/app/sub/deeper/b.txt
  printf '#!/bin/sh\necho v1\n' >"$d"/releases/v1/app/run.sh
  chmod 0755 "$d"/releases/v1/app/run.sh
  printf 'secret v1\n' >"$d"/releases/v1/app/secret.key
  chmod 0600 "$d"/releases/v1/app/secret.key
  ln -s ../../shared/storage "$d"/releases/v1/storage
  ln -s ../../../shared/public/uploads "$d"/releases/v1/public/uploads
  ln -s ../shared/.env "$d"/releases/v1/.env
  ln -s releases/v1 "$d"/current
  printf 'APP_KEY=base64:c2VjcmV0\nDB_PASSWORD=hunter2\n' >"$d"/shared/.env
  chmod 0600 "$d"/shared/.env
  printf 'log line\n' >"$d"/shared/storage/logs/laravel.log
  printf 'avatar bytes\n' >"$d"/shared/public/uploads/user-1.png
  printf '<?php echo "v2";\n' >"$d"/incoming/v2/app/index.php
  printf 'deep file\n' >"$d"/incoming/v2/app/nested/deep/f.txt
  printf '#!/bin/sh\necho v2\n' >"$d"/incoming/v2/app/run.sh
  chmod 0755 "$d"/incoming/v2/app/run.sh
  printf 'private v2\n' >"$d"/incoming/v2/app/nested/private.txt
  chmod 0600 "$d"/incoming/v2/app/nested/private.txt
  ln -s ../index.php "$d"/incoming/v2/app/nested/index-link.php
  printf 'body {}\n' >"$d"/incoming/v2/public/app.css
  printf 'old log\n' >"$d"/old/logs/a.log
  printf 'config v1\n' >"$d"/config.txt
  printf 'A\n' >"$d"/a.txt
  printf 'B\n' >"$d"/b.txt
  fixed_mtimes "$d" "2024-01-02 03:04" 100000000 1234567
}

# make_design_site DIR: a site ready for the example plan of DESIGN.md ("A
# plan file"): releases/r1 live behind `current`, with a tmp/ to remove;
# shared/ holding .env (0600) and storage/ but no public/ yet; the vendor's
# r2 unpacked in incoming/v2 with public/uploads (a demo upload, nested), a
# 0755 artisan, a 0600 file and a symlink into shared/. Fixed past mtimes.
make_design_site() {
  local d=$1
  mkdir -p "$d"/releases/r1/app/Http "$d"/releases/r1/tmp/cache "$d"/releases/r1/public     "$d"/shared/storage/logs     "$d"/incoming/v2/app/Http/Controllers "$d"/incoming/v2/public/uploads/demo     "$d"/incoming/v2/public/css
  printf '<?php // r1 kernel\n' >"$d"/releases/r1/app/Http/Kernel.php
  printf '#!/usr/bin/env php\n<?php // r1\n' >"$d"/releases/r1/artisan
  chmod 0755 "$d"/releases/r1/artisan
  printf 'compiled view\n' >"$d"/releases/r1/tmp/cache/view.php
  printf 'r1 index\n' >"$d"/releases/r1/public/index.php
  ln -s ../../shared/storage "$d"/releases/r1/storage
  ln -s ../../shared/.env "$d"/releases/r1/.env
  ln -s releases/r1 "$d"/current
  printf 'APP_KEY=base64:c2VjcmV0\n' >"$d"/shared/.env
  chmod 0600 "$d"/shared/.env
  printf 'r1 log\n' >"$d"/shared/storage/logs/laravel.log
  printf '<?php // r2 kernel\n' >"$d"/incoming/v2/app/Http/Kernel.php
  printf '<?php // r2 controller\n' >"$d"/incoming/v2/app/Http/Controllers/Home.php
  printf '#!/usr/bin/env php\n<?php // r2\n' >"$d"/incoming/v2/artisan
  chmod 0755 "$d"/incoming/v2/artisan
  printf 'r2 secret default\n' >"$d"/incoming/v2/app/secret.php
  chmod 0600 "$d"/incoming/v2/app/secret.php
  printf 'demo avatar\n' >"$d"/incoming/v2/public/uploads/demo/avatar.png
  printf 'body{}\n' >"$d"/incoming/v2/public/css/app.css
  ln -s ../../shared/.env "$d"/incoming/v2/.env
  fixed_mtimes "$d" "2023-05-06 07:08" 200000000 7654321
}

# write_design_plan FILE: the example plan of DESIGN.md, "A plan file".
write_design_plan() {
  cat >"$1" <<'PLAN'
op { mkdir   { path: "shared/public" } }
op { copy    { from: "incoming/v2" to: "releases/r2" } }
op { move    { from: "releases/r2/public/uploads" to: "shared/public/uploads" } }
op { symlink { target: "../../../shared/public/uploads" path: "releases/r2/public/uploads" } }
op { remove  { path: "releases/r1/tmp" } }
op { write   { path: "shared/.deployment-history" content: "r2 deployed\n" } }
PLAN
}

# write_mixed_plan FILE: eight ops of every kind, against make_site's site.
write_mixed_plan() {
  cat >"$1" <<'PLAN'
# Eight mixed ops against make_site's site.
op { mkdir    { path: "releases/v2-data" mode: 0750 } }
op { copy     { from: "incoming/v2" to: "releases/v2" } }
op { move     { from: "old" to: "releases/v2-data/old" } }
op { symlink  { target: "releases/v2" path: "current" } }
op { remove   { path: "releases/v1/app/sub" } }
op { write    { path: "config.txt" content: "config v2\n" } }
op { chmod    { path: "releases/v1/app/run.sh" mode: 0700 } }
op { exchange { a: "a.txt" b: "b.txt" } }
PLAN
}

# run_persist OUT_PREFIX ARGS...: runs the binary, stdout to OUT_PREFIX.out,
# stderr to OUT_PREFIX.err; sets rc.
run_persist() {
  local prefix=$1
  shift
  rc=0
  "$PERSIST" "$@" >"$prefix.out" 2>"$prefix.err" || rc=$?
}

# run_quiet OUT ERR COMMAND...: runs COMMAND with stdout to OUT and stderr to
# ERR and sets rc. Bash's own "Killed" notice for a command that dies of a
# signal (as strace does when its tracee is killed) is kept out of the log.
run_quiet() {
  local out=$1 err=$2
  shift 2
  rc=0
  { "$@" >"$out" 2>"$err"; } 2>/dev/null || rc=$?
}

# show_file FILE: prints FILE indented on stderr (for failure context).
show_file() {
  [[ -s "$1" ]] && sed 's/^/    | /' "$1" >&2
  return 0
}

# ---------------------------------------------------------------- JSON

# json_get FILE FILTER [JQ_OPTION...]: prints what the jq FILTER makes of the
# JSON document in FILE ("-": standard input), strings raw. Fails, saying why
# on stderr, when FILE is not exactly one JSON document in valid UTF-8 (jq
# alone would take several, and would mend invalid bytes), when the filter
# fails, or when its last output is false or null. JQ_OPTION: --arg NAME
# VALUE, --argjson NAME JSON.
json_get() {
  local file=$1 filter=$2
  shift 2
  if [[ $file == - ]]; then
    file=$(mktemp "$WORK/json.XXXXXX") || die "mktemp failed under $WORK"
    cat >"$file"
  fi
  if ! iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1; then
    echo "    $file is not valid UTF-8" >&2
    return 1
  fi
  jq -e -r --slurp "$@" \
    "if length == 1 then .[0] | ($filter) else error(\"not one JSON document but \\(length)\") end" \
    "$file"
}

# json_check FILE FILTER [JQ_OPTION...]: FILTER is true of FILE's JSON
# document (json_get); else says so and shows FILE.
json_check() {
  local out
  out=$(json_get "$@" 2>&1) && return 0
  printf '    %s: not true: %s\n' "$1" "$2" >&2
  [[ -z "$out" ]] || printf '    %s\n' "$out" >&2
  [[ $1 == - ]] || head -c 4000 "$1" | sed 's/^/    | /' >&2
  return 1
}

# ---------------------------------------------------------------- expectations

# has FILE TEXT: FILE contains TEXT (a fixed string); else says so and shows
# FILE.
has() {
  if grep -qF -- "$2" "$1"; then
    return 0
  fi
  echo "    $1 does not contain: $2" >&2
  show_file "$1"
  return 1
}

# expect_rc WANT WHAT: checks the rc of the last run_persist/run_quiet,
# showing its stderr when it differs.
expect_rc() {
  local want=$1 what=$2
  check "$what: exit $want (got $rc)" test "$rc" -eq "$want" || show_file "$last.err"
}

# persist_cmd NAME ARGS...: runs persist with output in NAME.out/NAME.err.
persist_cmd() {
  last=$1
  shift
  run_persist "$last" "$@"
}

# changes SITE A B: `persist diff A B --json` as sorted "CHANGE PATH" lines.
changes() {
  "$PERSIST" diff "$2" "$3" --root "$1" --json >"diff-$2-$3.json" 2>"diff-$2-$3.err" ||
    echo "persist diff $2 $3 failed: $(cat "diff-$2-$3.err")"
  jq -r '.changes[] | "\(.change) \(.path)"' "diff-$2-$3.json" 2>/dev/null | sort
}

# same_text WHAT GOT WANT: two texts are equal; else shows both.
same_text() {
  [[ "$2" == "$3" ]] && return 0
  printf '    %s\n    want:\n%s\n    got:\n%s\n' "$1" "$(sed 's/^/      /' <<<"$3")" \
    "$(sed 's/^/      /' <<<"$2")" >&2
  return 1
}

# as_owner CMD...: runs CMD as uid 65534, the site owner of the tests that
# give a site to another user (setpriv, from util-linux).
as_owner() {
  setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# enter_owner_base NAME: for a test that gives a site to uid 65534: exits
# with SKIP unless root, else makes a directory uid 65534 can reach (under
# /var/tmp or /dev/shm, not $TEST_TMPDIR: bazel's output tree is beneath
# /root, which no other user may enter, nor, on some machines, /tmp), root's
# and 0755, removed on exit, and cds into it.
enter_owner_base() {
  ((EUID == 0)) || { echo "SKIP: giving a site to another user needs root"; exit 0; }
  command -v setpriv >/dev/null 2>&1 || die "setpriv (util-linux) is not installed"
  base=
  local parent
  for parent in /var/tmp /dev/shm; do
    if [[ -d "$parent" ]] && as_owner test -x "$parent" && as_owner test -w "$parent"; then
      base=$(mktemp -d "$parent/$1.XXXXXX") || die "mktemp under $parent failed"
      break
    fi
  done
  [[ -n "$base" ]] || { echo "SKIP: no directory that uid 65534 can reach (/var/tmp, /dev/shm)"; exit 0; }
  trap 'rm -rf "$base"' EXIT
  chmod 0755 "$base"
  cd "$base" || die "cd $base"
  chown 65534:65534 "$base" 2>/dev/null || { echo "SKIP: $base does not take chown"; exit 0; }
  chown root:root "$base"
}

# ---------------------------------------------------------------- kill campaigns

# The kill tests kill the real binary with SIGKILL at the entry of its Nth
# call of a syscall (strace -e inject=SC:signal=KILL:when=N), recover, and
# compare the whole site with the state before the run, or after an
# uninterrupted one. The functions below work in the current directory:
#   template/      the site before the run, never run on itself
#   site/          the copy each run works on (fresh_site)
#   before.snap    the template's snapshot
#   after.snap     an uninterrupted run's, the run's own mtimes masked
#   volatile.txt   the paths whose mtime is the run's own (reference_after)

# The syscalls that could change the site or the journal. Those the binary
# really calls (counted on an uninterrupted run) are the kill points; openat
# and openat2 too, at their creating calls (see kill_points).
KILL_SYSCALLS=(
  renameat2 renameat rename mkdirat mkdir symlinkat symlink unlinkat unlink rmdir linkat link
  openat openat2 open creat write writev pwrite64 pwritev pwritev2
  fsync fdatasync syncfs sync sync_file_range msync
  fchmod fchmodat chmod fchown fchownat lchown utimensat futimesat utimes
  copy_file_range sendfile ftruncate truncate fallocate flock
)
# Sampling (kill_points); the environment, or the test after sourcing this
# file, may change them.
MAX_EXHAUSTIVE=${MAX_EXHAUSTIVE:-200}
SAMPLE_STEP=${SAMPLE_STEP:-7}
OPEN_STEP=${OPEN_STEP:-10}
# Options `persist recover` takes in kill_campaign: --allow-root where root
# recovers a site another user owns.
RECOVER_OPTIONS=()
# kill_from: per syscall, the first call kill_points considers (1 where
# unset): a test whose run begins as one that another test kills already
# need kill only from about where the two runs part. count_calls leaves it
# as it is.
declare -A kill_from=()
# Syscalls that every killed run (kill_at) skips: each returns 0 at once
# without running (strace inject=SC:retval=0). For a run that waits on
# purpose, e.g. (clock_nanosleep) for the pauses between a health check's
# attempts, so that each kill does not wait for them; the state on disk at
# a kill is the same. Empty by default; the reference runs never skip.
KILL_SKIPPED=()
# The exit code an uninterrupted reference run must end with
# (reference_run): 0, unless the run fails by design (a deploy whose health
# check fails is undone and exits 1), set for that call only:
#   REFERENCE_RC=1 reference_run TRACE PERSIST_ARGS...
REFERENCE_RC=0

# fresh_site: site/ becomes a copy of the template, checked by snapshot.
fresh_site() {
  rm -rf site
  cp -a template site
  snapshot site site-before.snap
  same_snapshot before.snap site-before.snap
}

# reference_run TRACE PERSIST_ARGS...: runs `persist PERSIST_ARGS`
# uninterrupted on a fresh copy of the template (site/), traced into TRACE
# (every syscall of KILL_SYSCALLS, strace -f), or untraced when TRACE is "";
# output in ref.out and ref.err. Dies when it exits other than REFERENCE_RC
# (0): nothing could be checked without it.
reference_run() {
  local trace=$1
  shift
  fresh_site || die "a fresh copy of the template differs from it"
  if [[ -n "$trace" ]]; then
    run_quiet ref.out ref.err strace -f -qq -o "$trace" \
      -e trace="$(IFS=,; echo "${KILL_SYSCALLS[*]}")" "$PERSIST" "$@"
  else
    run_quiet ref.out ref.err "$PERSIST" "$@"
  fi
  ((rc == REFERENCE_RC)) || {
    show_file ref.err
    die "the uninterrupted reference run, persist $*, exited $rc, not $REFERENCE_RC"
  }
}

# reference_after TRACE PERSIST_ARGS...: two uninterrupted runs
# (reference_run), the first traced into TRACE, write after.snap and
# volatile.txt: comparing both tells which mtimes are the run's own (a new
# symlink, a written file), masked when a recovered site is compared with
# "after". Both runs are made at site/, where the killed runs are, so that
# what a run writes naming its site is the same in all of them.
reference_after() {
  local trace=$1
  shift
  reference_run "$trace" "$@"
  snapshot site after1.snap
  reference_run "" "$@"
  snapshot site after2.snap
  volatile_paths after1.snap after2.snap >volatile.txt
  mask_mtimes after1.snap volatile.txt >after.snap
  mask_mtimes after2.snap volatile.txt >after2.masked
  check "persist $*: two uninterrupted runs leave the same site (mtimes of new paths aside)" \
    same_snapshot after.snap after2.masked
  if cmp -s before.snap after1.snap; then
    die "persist $* changed nothing: the test would prove nothing"
  fi
  echo "persist $*: paths whose mtime is the run's own: $(tr '\n' ' ' <volatile.txt)"
}

# count_calls TRACE SYSCALLS...: fills the array `count` with how many times
# each of SYSCALLS appears in TRACE (those with none are left out).
declare -A count=()
count_calls() {
  local trace=$1 sc n
  shift
  count=()
  for sc in "$@"; do
    n=$(grep -cE "^([0-9]+ +)?$sc\(" "$trace" || true)
    ((n > 0)) && count[$sc]=$n
  done
  return 0
}

# kill_points SC TRACE: the N at which to kill SC, from a reference TRACE:
# the calls from kill_from[SC] (1 where unset) to the last, every one,
# except that
# - openat and openat2, mostly read-only (the loader's libraries, reading a
#   tree to copy or hash), are killed at every call that can create or write
#   (O_CREAT, O_WRONLY, O_RDWR, O_TRUNC, O_TMPFILE: strace cannot filter on
#   flags, but the reference trace tells their numbers, and runs are
#   deterministic), plus the first and last 3 and every OPEN_STEP-th call;
# - a syscall with more than MAX_EXHAUSTIVE such calls is sampled: its first
#   and last 5 and every SAMPLE_STEP-th in between;
# - where PERSIST_CAMPAIGN_STRIDE is above 1 (the sanitizer build sets 5,
#   .bazelrc, as for the C++ campaigns: instrumented runs are several times
#   slower), only every STRIDE-th of those points, and the first and last.
kill_points() {
  local stride=${PERSIST_CAMPAIGN_STRIDE:-1}
  _kill_points_all "$@" | awk -v stride="$stride" '
    { point[NR] = $1 }
    END { for (i = 1; i <= NR; i++) if (stride <= 1 || i == 1 || i == NR || i % stride == 0) print point[i] }'
}

_kill_points_all() {
  local sc=$1 trace=$2 total=${count[$1]} from=${kill_from[$1]:-1}
  case $sc in
    openat | openat2)
      {
        grep -E "^([0-9]+ +)?$sc\\(" "$trace" |
          grep -nE 'O_CREAT|O_WRONLY|O_RDWR|O_TRUNC|O_TMPFILE' | cut -d: -f1
        seq "$from" $((from + 2))
        seq "$OPEN_STEP" "$OPEN_STEP" "$total"
        seq $((total > 3 ? total - 2 : 1)) "$total"
      } | awk -v from="$from" -v total="$total" '$1 >= from && $1 <= total' | sort -nu
      ;;
    *)
      if ((total - from + 1 <= MAX_EXHAUSTIVE)); then
        seq "$from" "$total"
      else
        { seq "$from" $((from + 4)); seq $((from + 4)) "$SAMPLE_STEP" "$total"
          seq $((total - 4)) "$total"; } | sort -nu
      fi
      ;;
  esac
}

# matches_before_or_after SNAP: prints "before" or "after", or fails.
matches_before_or_after() {
  if cmp -s before.snap "$1"; then
    echo before
  elif mask_mtimes "$1" volatile.txt | cmp -s after.snap -; then
    echo after
  else
    return 1
  fi
}

# log_is_settled DIR: `persist log` exits 0 and shows no run still applying
# or undoing.
log_is_settled() {
  run_quiet log.json log.err "$PERSIST" log --root "$1" --json
  if ((rc != 0)); then
    echo "persist log --root $1 --json exited $rc" >&2
    show_file log.err
    return 1
  fi
  if grep -qE 'RUN_APPLYING|RUN_UNDOING' log.json; then
    echo "a run is still unfinished after recover:" >&2
    show_file log.json
    return 1
  fi
}

# kill_at SC N PERSIST_ARGS...: runs `persist PERSIST_ARGS` on a fresh copy
# of the template (site/, fresh_site), killed at the entry of its Nth call of
# SC, skipping KILL_SKIPPED's calls; output in killed.out and killed.err.
# Fails, saying why, when the copy differs from the template or persist
# does not die of SIGKILL.
kill_at() {
  local sc=$1 n=$2 traced=$1 skipped skip=()
  shift 2
  # strace takes one trace set (a second -e trace= replaces the first).
  for skipped in "${KILL_SKIPPED[@]}"; do
    traced+=",$skipped"
    skip+=(-e "inject=$skipped:retval=0")
  done
  fresh_site || { echo "    a fresh copy of the template differs from it" >&2; return 1; }
  run_quiet killed.out killed.err strace -f -o /dev/null -e trace="$traced" \
    -e "inject=$sc:signal=KILL:when=$n" "${skip[@]}" "$PERSIST" "$@"
  # 137 = 128 + SIGKILL: strace dies of the signal that killed its tracee.
  ((rc == 137)) && return 0
  echo "    persist $* killed at $sc #$n exited $rc, not 137 (128 + SIGKILL)" >&2
  show_file killed.err
  return 1
}

# kill_campaign LABEL TRACE ON_KILL PERSIST_ARGS...: for each syscall in
# `count` and each of its kill points N (kill_points, kill_from; TRACE is
# the reference run's), kills `persist PERSIST_ARGS` on a fresh copy of the
# template at its Nth call (kill_at), recovers (persist recover --root site
# RECOVER_OPTIONS), and checks that the site is exactly the before- or the
# after-state and that the journal shows no unfinished run. Then, when it was either, calls
# ON_KILL (unless it is "") with the kill's description, the state recovered
# to ("before" or "after"), SC and N; `journal_at_kill` then says whether
# .persist/journal/data.mdb existed when the process died (yes or no).
# Prints, per syscall, the kills and where they recovered to; sets `kills`
# and `kills_before_journal`.
kill_campaign() {
  local label=$1 trace=$2 on_kill=$3 sc n what where
  shift 3
  local -A to_before=() to_after=()
  kills=0
  kills_before_journal=0
  for sc in $(printf '%s\n' "${!count[@]}" | sort); do
    to_before[$sc]=0
    to_after[$sc]=0
    for n in $(kill_points "$sc" "$trace"); do
      kills=$((kills + 1))
      what="$label killed at $sc #$n of ${count[$sc]}"
      check "$what: persist dies of SIGKILL there" kill_at "$sc" "$n" "$@" || continue
      journal_at_kill=no
      [[ -e site/.persist/journal/data.mdb ]] && journal_at_kill=yes
      [[ $journal_at_kill == yes ]] || kills_before_journal=$((kills_before_journal + 1))
      run_quiet recover.out recover.err "$PERSIST" recover --root site "${RECOVER_OPTIONS[@]}"
      check "$what: persist recover exits 0 (got $rc)" test "$rc" -eq 0 ||
        { show_file recover.err; continue; }
      snapshot site site-after.snap
      if where=$(matches_before_or_after site-after.snap); then
        pass "$what: the site is exactly the $where-state"
        if [[ $where == before ]]; then
          to_before[$sc]=$((to_before[$sc] + 1))
        else
          to_after[$sc]=$((to_after[$sc] + 1))
        fi
      else
        fail "$what: after recover the site is neither the before- nor the after-state; against before:"
        same_snapshot before.snap site-after.snap || true
        show_file recover.out
        where=''
      fi
      check "$what: persist log exits 0 and shows no unfinished run" log_is_settled site
      [[ -z "$on_kill" || -z "$where" ]] || "$on_kill" "$what" "$where" "$sc" "$n"
    done
  done
  echo "$label: $kills kills, $kills_before_journal of them before the journal existed"
  for sc in $(printf '%s\n' "${!count[@]}" | sort); do
    printf '  %-16s %4d calls%s, %3d killed: recovered to the before-state %3d times, to the after-state %d\n' \
      "$sc" "${count[$sc]}" "$( ((${kill_from[$sc]:-1} == 1)) || printf ' (from #%d)' "${kill_from[$sc]}")" \
      $((to_before[$sc] + to_after[$sc])) "${to_before[$sc]}" "${to_after[$sc]}"
  done
}
