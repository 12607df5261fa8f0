#!/usr/bin/env bash
# Bad input, refusals and the command line contract of the real persist
# binary: malformed plans, paths that leave the root, the site lock, an
# interrupted run, usage errors, and what the error messages say.
#
# usage: bad_input_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace

cd "$WORK" || die "cd $WORK"
mkdir plans



# stderr_has NAME TEXT: NAME.err contains TEXT (fixed string).
stderr_has() {
  if grep -qF -- "$2" "$1.err"; then
    return 0
  fi
  echo "    stderr of $1 does not contain: $2" >&2
  show_file "$1.err"
  return 1
}

# no_run_recorded SITE: the site has no journal, or a journal with no run.
no_run_recorded() {
  [[ -e "$1/.persist" ]] || return 0
  run_quiet norun.json norun.err "$PERSIST" log --root "$1" --json
  ((rc == 0)) || { echo "    persist log --root $1 exited $rc" >&2; return 1; }
  json_check norun.json '.runs | length == 0' || { echo "    a run was recorded" >&2; return 1; }
}

# ---------------------------------------------------------------- (a)

make_site site
snapshot site a-before.snap
cat >plans/broken.plan <<'PLAN'
op { mkdir { path: "shared/new" } }
op { write { path: "shared/hello.txt" content: "hi\n" } }
op { write { path: "shared/x.txt" content: } }
op { remove { path: "old" } }
PLAN
persist_cmd a_broken exec plans/broken.plan --root site
expect_rc 2 "(a) exec of a plan with a syntax error on line 3"
check "(a) stderr names plans/broken.plan:3:" stderr_has a_broken "plans/broken.plan:3:"
snapshot site a-after.snap
check "(a) the site is unchanged" same_snapshot a-before.snap a-after.snap
check "(a) no run was recorded" no_run_recorded site

# An empty plan is refused the same way.
: >plans/empty.plan
persist_cmd a_empty exec plans/empty.plan --root site
expect_rc 2 "(a) exec of an empty plan"
check "(a) stderr names the empty plan" stderr_has a_empty "plans/empty.plan"

# ---------------------------------------------------------------- (b)

mkdir outside
printf 'outside, must stay as it is\n' >outside/keep
ln -s "$WORK/outside" site/escape      # absolute symlink leading out
ln -s ../outside site/escape-rel        # relative symlink leading out
snapshot site b-before.snap
snapshot outside b-outside-before.snap

# refuse NAME WANT PLAN_TEXT: the plan is refused with exit WANT (or any
# non-zero exit when WANT is "nonzero"), and nothing changed in the site or
# outside it.
refuse() {
  local name=$1 want=$2 text=$3
  printf '%s\n' "$text" >"plans/$name.plan"
  persist_cmd "b_$name" exec "plans/$name.plan" --root site
  refused_rc=$rc
  if [[ $want == nonzero ]]; then
    check "(b) $name: refused with a non-zero exit (got $rc)" test "$rc" -ne 0 ||
      show_file "b_$name.err"
  else
    expect_rc "$want" "(b) $name"
  fi
  snapshot site b-after.snap
  check "(b) $name: the site is unchanged" same_snapshot b-before.snap b-after.snap
  snapshot outside b-outside-after.snap
  check "(b) $name: the directory outside the root is unchanged" \
    same_snapshot b-outside-before.snap b-outside-after.snap
  check "(b) $name: no run was recorded" no_run_recorded site
}

refuse absolute 2 'op { write { path: "/etc/persist-test-must-not-exist" content: "x" } }'
check "(b) absolute: stderr names the path" stderr_has b_absolute "/etc/persist-test-must-not-exist"
check "(b) absolute: nothing was written at the absolute path" \
  test ! -e /etc/persist-test-must-not-exist
refuse absolute-from 2 'op { copy { from: "/etc/hostname" to: "hostname" } }'
refuse dotdot 2 'op { write { path: "shared/../../outside/x" content: "x" } }'
check "(b) dotdot: stderr names the path" stderr_has b_dotdot "shared/../../outside/x"
refuse dotdot-late 2 'op { write { path: "new.txt" content: "x" } }
op { move { from: "a.txt" to: "shared/.." } }'
check "(b) dotdot-late: stderr names the plan file and the op" stderr_has b_dotdot-late "plans/dotdot-late.plan: op 2"
refuse empty-path 2 'op { mkdir { path: "" } }'
check "(b) plans refused for their paths made no .persist/ in a site persist never opened" \
  test ! -e site/.persist

# Through a symlink that leads out of the root: every op kind, on either
# side. DESIGN.md: resolution beneath the root fd, symlinks never followed.
refuse escape-write nonzero 'op { write { path: "escape/x" content: "x" } }'
escape_rc=$refused_rc
check "(b) escape-write: stderr names escape/x" stderr_has b_escape-write "escape/x"
refuse escape-rel-write nonzero 'op { write { path: "escape-rel/x" content: "x" } }'
refuse escape-mkdir nonzero 'op { mkdir { path: "escape/newdir" } }'
refuse escape-copy-in nonzero 'op { copy { from: "escape/keep" to: "stolen" } }'
refuse escape-copy-out nonzero 'op { copy { from: "a.txt" to: "escape/a.txt" } }'
refuse escape-move-out nonzero 'op { move { from: "a.txt" to: "escape-rel/a.txt" } }'
refuse escape-symlink nonzero 'op { symlink { target: "x" path: "escape/link" } }'
refuse escape-remove nonzero 'op { remove { path: "escape/keep" } }'
refuse escape-chmod nonzero 'op { chmod { path: "escape/keep" mode: 0777 } }'
refuse escape-exchange nonzero 'op { exchange { a: "a.txt" b: "escape/keep" } }'
# A valid op before the escaping one: the whole plan is refused, nothing of
# it is left behind.
refuse escape-after-valid nonzero 'op { write { path: "new.txt" content: "x" } }
op { mkdir { path: "shared/new" } }
op { write { path: "escape/x" content: "x" } }'
echo "(b) a write through a symlink leading out of the root exits $escape_rc: $(cat b_escape-write.err)"
rm site/escape site/escape-rel

# ---------------------------------------------------------------- (c)

# The lock. The first run is paused for 3 s as it enters its 2nd renameat2
# (strace delay_enter is in microseconds), while it holds the lock.
rm -rf site-cd
make_site site-cd
write_mixed_plan plans/mixed.plan
cat >plans/hello.plan <<'PLAN'
op { write { path: "shared/hello.txt" content: "hello\n" } }
PLAN
strace -f -o /dev/null -e trace=renameat2 -e inject=renameat2:delay_enter=3000000:when=2 \
  "$PERSIST" exec plans/mixed.plan --root site-cd >c_first.out 2>c_first.err &
strace_pid=$!

# child_of PID: the pid of PID's (only) child, persist under strace.
child_of() {
  local kids
  kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || kids=$(ps -o pid= --ppid "$1")
  echo $kids
}
holder=''
for _ in $(seq 1 200); do
  holder=$(child_of "$strace_pid")
  if [[ -n "$holder" && -e site-cd/.persist/lock ]] && grep -q "pid=$holder " site-cd/.persist/lock 2>/dev/null; then
    break
  fi
  sleep 0.05
done
check "(c) the first run started and holds the lock (pid ${holder:-?})" test -n "$holder"
host=$(uname -n)
persist_cmd c_second exec plans/hello.plan --root site-cd
second_rc=$rc
check "(c) the first run was still running during the second" kill -0 "$holder"
rc=$second_rc
expect_rc 4 "(c) a second exec while the first holds the lock"
check "(c) stderr names the holder's pid" stderr_has c_second "pid=$holder"
check "(c) stderr names the holder's host" stderr_has c_second "host=$host"
check "(c) stderr names the site (site-cd)" stderr_has c_second "site-cd"
persist_cmd c_recover recover --root site-cd
expect_rc 4 "(c) recover while the first holds the lock"
persist_cmd c_undo undo --root site-cd
expect_rc 4 "(c) undo while the first holds the lock"
persist_cmd c_log log --root site-cd
expect_rc 0 "(c) log while the first holds the lock"
first_rc=0
wait "$strace_pid" || first_rc=$?
rc=$first_rc
last=c_first
expect_rc 0 "(c) the first run, paused, then finished"
check "(c) the refused second run left no trace" test ! -e site-cd/shared/hello.txt
persist_cmd c_again exec plans/hello.plan --root site-cd
expect_rc 0 "(c) the second exec after the first finished"
check "(c) it wrote shared/hello.txt" grep -qx hello site-cd/shared/hello.txt

# ---------------------------------------------------------------- (d)

rm -rf site-cd
make_site site-cd
run_quiet d_killed.out d_killed.err strace -f -o /dev/null -e trace=renameat2 \
  -e inject=renameat2:signal=KILL:when=3 "$PERSIST" exec plans/mixed.plan --root site-cd
check "(d) the run was killed at its 3rd renameat2 (exit 137, got $rc)" test "$rc" -eq 137
snapshot site-cd d-interrupted.snap
persist_cmd d_exec exec plans/hello.plan --root site-cd
expect_rc 3 "(d) exec while a run is interrupted"
check "(d) stderr names persist recover" stderr_has d_exec "persist recover"
check "(d) stderr names the site (--root site-cd)" stderr_has d_exec "--root site-cd"
run_id=$(sed -n 's/.*run \([0-9TZ-]*\) (.*/\1/p' d_exec.err | head -1)
check "(d) stderr names the interrupted run" test -n "$run_id"
persist_cmd d_undo undo --root site-cd
expect_rc 3 "(d) undo while a run is interrupted"
snapshot site-cd d-after-refusals.snap
check "(d) the refused commands touched nothing" same_snapshot d-interrupted.snap d-after-refusals.snap
persist_cmd d_recover recover --root site-cd
expect_rc 0 "(d) recover"
persist_cmd d_exec2 exec plans/hello.plan --root site-cd
expect_rc 0 "(d) exec after recover"

# ---------------------------------------------------------------- (e)

rm -rf site
make_site site
persist_cmd e_undo_fresh undo --root site
expect_rc 2 "(e) undo on a site that never ran"
persist_cmd e_exec exec plans/hello.plan --root site
expect_rc 0 "(e) exec"
persist_cmd e_undo1 undo --root site
expect_rc 0 "(e) undo of that run"
persist_cmd e_undo2 undo --root site
expect_rc 2 "(e) undo with nothing left to undo"
persist_cmd e_show show NOPE --root site
expect_rc 2 "(e) show NOPE"
check "(e) show NOPE: stderr names NOPE" stderr_has e_show NOPE
persist_cmd e_unknown frobnicate --root site
expect_rc 2 "(e) an unknown command"
check "(e) unknown command: stderr names it" stderr_has e_unknown frobnicate
persist_cmd e_none
expect_rc 2 "(e) no command at all"
for cmd in exec recover undo log show empty-trash; do
  persist_cmd "e_flag_$cmd" "$cmd" --root site --no-such-flag
  expect_rc 2 "(e) persist $cmd --no-such-flag"
  check "(e) persist $cmd --no-such-flag: stderr names the flag and --help" \
    stderr_has "e_flag_$cmd" "--no-such-flag"
  persist_cmd "e_help_$cmd" "$cmd" --help
  expect_rc 0 "(e) persist $cmd --help"
  check "(e) persist $cmd --help prints its usage" grep -q "persist $cmd" "e_help_$cmd.out"
done
persist_cmd e_help --help
expect_rc 0 "(e) persist --help"
persist_cmd e_noval exec plans/hello.plan --root
expect_rc 2 "(e) --root without a value"
persist_cmd e_intents exec plans/hello.plan --root site --intents sometimes
expect_rc 2 "(e) --intents sometimes"
persist_cmd e_args exec --root site
expect_rc 2 "(e) exec without a plan file"
persist_cmd e_args2 show --root site
expect_rc 2 "(e) show without a run id"
persist_cmd e_args3 exec plans/hello.plan plans/hello.plan --root site
expect_rc 2 "(e) exec with two plan files"
persist_cmd e_args4 empty-trash now --root site
expect_rc 2 "(e) empty-trash with an argument"
persist_cmd e_trash_root empty-trash --root "$WORK/no-such-site"
expect_rc 2 "(e) empty-trash on a root that does not exist"
check "(e) empty-trash on a missing root: stderr names it" stderr_has e_trash_root "$WORK/no-such-site"
persist_cmd e_trash_mode exec plans/hello.plan --root site --empty-trash sometimes
expect_rc 2 "(e) --empty-trash sometimes"
check "(e) --empty-trash sometimes: stderr names the three modes" \
  stderr_has e_trash_mode "background, wait or later"
# A bad PERSIST_EMPTY_TRASH stops only a command that could change the site:
# the variable means nothing to the others.
PERSIST_EMPTY_TRASH=sometimes persist_cmd e_trash_var exec plans/hello.plan --root site
expect_rc 2 "(e) PERSIST_EMPTY_TRASH=sometimes for exec"
check "(e) PERSIST_EMPTY_TRASH=sometimes: stderr names the variable and the three modes" \
  stderr_has e_trash_var "PERSIST_EMPTY_TRASH takes background, wait or later"
PERSIST_EMPTY_TRASH=sometimes persist_cmd e_trash_var_log log --root site
expect_rc 0 "(e) PERSIST_EMPTY_TRASH=sometimes for log, which changes nothing"
check "(e) none of these ran anything" test ! -e site/shared/hello.txt

# ---------------------------------------------------------------- (f)

# Error messages name a path or a run, and a next step.
check "(f) syntax error: names the plan file and says to fix it" \
  stderr_has a_broken "fix the plan file"
check "(f) lock: says to wait" stderr_has c_second "wait for it"
check "(f) interrupted: names the run $run_id" stderr_has d_exec "$run_id"
check "(f) unknown flag: points at --help" stderr_has e_flag_exec "persist exec --help"
check "(f) show NOPE: points at persist log" stderr_has e_show "persist log"
persist_cmd f_root exec plans/hello.plan --root "$WORK/no-such-site"
expect_rc 2 "(f) exec on a root that does not exist"
check "(f) missing root: stderr names it" stderr_has f_root "$WORK/no-such-site"
check "(f) missing root: says to give an existing directory" stderr_has f_root "--root"
persist_cmd f_plan exec plans/no-such.plan --root site
check "(f) missing plan file: stderr names it" stderr_has f_plan "plans/no-such.plan"
expect_rc 2 "(f) exec of a plan file that does not exist"
check "(f) missing plan file: says what to do" stderr_has f_plan "give the path of an existing plan file"

# ---------------------------------------------------------------- (g) ids

# Release and run ids are one safe name: an id that is a path, or holds a
# newline, is "no such release" (or run), exit 2, and changes nothing.
mkdir -p g-rel/public
printf '{"name": "acme/app"}\n' >g-rel/composer.json
printf '<?php\n' >g-rel/public/index.php
mkdir g-site
persist_cmd g_v1 deploy g-rel --root g-site --id v1
expect_rc 0 "(g) a deploy of v1"
persist_cmd g_v2 deploy g-rel --root g-site --id v2
expect_rc 0 "(g) a deploy of v2"
snapshot g-site g-before.snap
runs_before=$("$PERSIST" log --root g-site --json | json_get - '.runs | length')

# ids_refused NAME WHAT TEXT ARGS...: exit 2, stderr holds TEXT, the site and
# its journal are unchanged, and the message is one line.
ids_refused() {
  local name=$1 what=$2 text=$3
  shift 3
  persist_cmd "$name" "$@"
  expect_rc 2 "(g) $what"
  check "(g) $what: stderr says $text" stderr_has "$name" "$text"
  check "(g) $what: the error is one line" test "$(grep -c 'persist: error' "$name.err")" -eq 1
  check "(g) $what: it is not a filesystem error" bash -c "! grep -q 'EXDEV\|cross-device' $name.err"
  snapshot g-site g-after.snap
  check "(g) $what: the site is unchanged" same_snapshot g-before.snap g-after.snap
  local runs
  runs=$("$PERSIST" log --root g-site --json | json_get - '.runs | length')
  check "(g) $what: no run was recorded" test "$runs" -eq "$runs_before"
}

ids_refused g_switch_up "switch .." 'there is no release ".."' switch .. --root g-site
ids_refused g_switch_etc "switch ../../etc" 'there is no release "../../etc"' switch ../../etc --root g-site
check "(g) switch ../../etc: says how to see the releases" stderr_has g_switch_etc "ls releases/"
ids_refused g_switch_dot "switch ." 'there is no release "."' switch . --root g-site
ids_refused g_rollback_up "rollback --to .." 'there is no release ".."' rollback --to .. --root g-site
ids_refused g_rollback_empty "rollback --to ''" 'there is no release ""' rollback --to= --root g-site
ids_refused g_id_newline "deploy --id with a newline" 'release id "a\x0ab"' \
  deploy g-rel --root g-site --id $'a\nb'
check "(g) deploy --id with a newline: says to give another" stderr_has g_id_newline "give another --id"
check "(g) deploy --id with a newline: no release was made" test ! -e g-site/releases/a$'\n'b
ids_refused g_id_long "deploy --id of 129 bytes" "129 bytes long" \
  deploy g-rel --root g-site --id "$(printf 'v%.0s' $(seq 129))"
ids_refused g_undo "undo ../x" 'there is no run "../x"' undo ../x --root g-site
ids_refused g_show "show with a newline" 'there is no run "r\x0a1"' show $'r\n1' --root g-site
ids_refused g_diff "diff .. v1" 'there is no release ".."' diff .. v1 --root g-site

# A directory in releases/ whose name is no id is named by a deploy, and
# neither counted nor pruned.
mkdir "g-site/releases/old copy"
persist_cmd g_v3 deploy g-rel --root g-site --id v3 --keep 1
expect_rc 0 "(g) a deploy beside releases/old copy"
check "(g) it names releases/old copy" grep -q "releases/old copy is not a release persist can name" g_v3.out
check "(g) releases/old copy is left alone" test -d "g-site/releases/old copy"
check "(g) v1 and v2 were pruned, v3 is live" \
  test ! -e g-site/releases/v1 -a ! -e g-site/releases/v2 -a "$(readlink g-site/current)" = releases/v3

# ---------------------------------------------------------------- (h) --json errors

# Under --json an error is a JSON object on stdout, {"version": 1, "error":
# {"code", "message", "path"}}, with the exit code as its code, the human message on
# stderr as well, and stdout one JSON document.

# json_error NAME WANT_RC PATH ARGS...: persist ARGS exits WANT_RC, its stdout
# is one error object whose code is the exit code, whose message is the one
# on stderr, and whose path is PATH ("-": none, "*": either).
json_error() {
  local name=$1 want=$2 path=$3
  shift 3
  persist_cmd "$name" "$@"
  expect_rc "$want" "(h) persist $*"
  check "(h) persist $*: stdout is one JSON error object naming the code, message and path" \
    json_check "$name.out" '
      keys == ["error", "version"] and .version == 1 and (.error |
        .code == $want
        and (.message | length > 0)
        and (.message as $m | $err | contains("persist: error: " + $m))
        and (if $path == "-" then has("path") | not
             elif $path == "*" then true
             else .path == $path end))' \
      --argjson want "$want" --arg path "$path" --rawfile err "$name.err"
}

json_error h_root 2 "$WORK/no-such-site" log --root "$WORK/no-such-site" --json
json_error h_show 2 - show $'r\n1' --root g-site --json
json_error h_flag 2 - log --root g-site --json --no-such-flag
json_error h_src 2 "$WORK/no-such-release" deploy "$WORK/no-such-release" --root g-site --json
json_error h_self 2 "$WORK/g-site" deploy "$WORK/g-site" --root g-site --json
json_error h_taken 2 releases/v3 deploy g-rel --root g-site --id v3 --json
json_error h_diff 2 - diff v1 nope --root g-site --json
json_error h_unknown 2 - frobnicate --json
json_error h_exec 2 '*' exec plans/dotdot.plan --root site --json
# Without --json, stdout stays empty.
persist_cmd h_plain log --root "$WORK/no-such-site"
check "(h) without --json an error leaves stdout empty" test ! -s h_plain.out
# verify --json reports its problems in its own document, and nothing more.
chmod 644 g-site/shared/.env 2>/dev/null || printf 'APP_KEY=\n' >g-site/shared/.env
chmod 644 g-site/shared/.env
persist_cmd h_verify verify --root g-site --json
expect_rc 1 "(h) verify --json of a site with a problem"
check "(h) verify --json prints its report alone" \
  json_check h_verify.out '.healthy == false and (has("error") | not)'

finish
