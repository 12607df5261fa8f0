#!/usr/bin/env bash
# Kills a real `persist deploy --health-url URL` whose health check fails,
# with SIGKILL at the entry of its Nth call of each syscall it mutates the
# filesystem or the journal with, from the end of the deploy through the
# check and the whole undo that follows it, and checks that `persist
# recover` then leaves the site exactly as it was before the deploy (the
# deploy never committed, or its undo was finished by recover, or was done
# already), or exactly as the committed deploy left it (killed after the
# commit, before the undo began: the state of an uninterrupted deploy with
# --no-health). Nothing else is acceptable.
#
# usage: health_kill_test.sh PATH_TO_PERSIST   (bazel passes it)
#
# The site: release v1 of lib.sh's "shop" deployed, with users' data in
# shared/ (.env, a log, uploads); v2 ready beside it, with a demo upload
# that the deploy sets aside (and the undo puts back). The web server: a
# small python3 server on 127.0.0.1 (a free port the kernel picks) that
# answers every request with status 500 and a PHP error, as a release that
# does not boot does. Nothing here reaches beyond 127.0.0.1.
#
# The run under test: persist deploy v2 --root site --id v2 --health-url
# URL. Uninterrupted, it exits 1 and leaves the site exactly as before
# (checked once, below). Up to its commit it makes the calls of the same
# deploy without the check (--no-health), which tests/deploy_campaign_test.cc
# stops at every mutating call already; what is new here is the check and
# the undo after it. So each syscall is killed at every call from TAIL_CALLS
# (3) calls before the end of the plain deploy's count to the end of the
# failing run's count (lib.sh kill_from): the tail of the deploy, its
# commit, the check, and the whole undo. A syscall the plain deploy calls
# TAIL_CALLS times or fewer is killed at all its calls (flock, fallocate,
# syncfs, ftruncate: the lock and the reserve, at the start of the run).
# openat and openat2 follow lib.sh's kill_points there (their calls that
# create or write, plus the first and last 3 of the range and every
# OPEN_STEP-th). The test prints both counts of every syscall; on Debian 12
# today the plain deploy makes about 430 such calls and the failing run
# about 680: fsync is killed at its calls 25 to 42, pwrite64 at 2 to 51,
# unlinkat (which the plain deploy never calls) at 1 to 30, writev at 1 to
# 17; 200 kills in all.
#
# Each kill is checked through persist: after recover, `persist log` shows
# no unfinished run, and the v2 run is as the state says: committed for the
# after-state; for the before-state, absent or undone, and undone for the
# health check's failure (its undo_reason) when the kill came after the
# undo began. At least one kill must land there with the undo unfinished,
# so that recover had to finish it: else the test would not prove what it
# is for. Per syscall, the kills are counted by outcome.
#
# The health check makes 3 attempts 1 s apart (net/http_check.h): each kill
# past the check would wait 2 s. The killed runs skip those pauses instead
# (lib.sh KILL_SKIPPED: clock_nanosleep returns at once), which changes
# nothing on disk; the reference runs wait as an operator's run does. About
# 70 s on 2 cores (with the pauses, nearly 7 minutes).
#
# The kill is strace's fault injection (-e inject=SC:signal=KILL:when=N): the
# Nth call of SC never runs and the process dies as in an OOM kill. The page
# cache survives, so this tests the logic of recovery, not fsync durability.
#
# strace counts when=N per thread, so the release's files are copied on the
# main thread (PERSIST_COPY_WORKERS=1): the Nth call is then the Nth of the
# process, and every kill point is reached. What recover sets aside in
# .persist/trash/ is left there (PERSIST_EMPTY_TRASH=later): an emptier
# started in the background would be traced too (strace -f), adding its
# own calls to the counts the kill points come from.
#
# Environment: VERBOSE=1 prints every passing check; TAIL_CALLS (default 3)
# as above; MAX_EXHAUSTIVE, SAMPLE_STEP and OPEN_STEP (lib.sh kill_points)
# set the sampling.
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
require_strace
command -v python3 >/dev/null 2>&1 || die "python3 is not installed; run tools/setup, which installs it"
command -v curl >/dev/null 2>&1 || die "curl is not installed; run tools/setup, which installs it"
export PERSIST_COPY_WORKERS=1
export PERSIST_EMPTY_TRASH=later
TAIL_CALLS=${TAIL_CALLS:-3}
cd "$WORK" || die "cd $WORK"

# ---------------------------------------------------------------- server

# Every request gets status 500 and the text of a PHP error. It binds port 0
# (the kernel picks a free one) and writes the port, renamed into place,
# once it listens.
server_py='
import http.server, os, sys

class Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"PHP Fatal error: Uncaught Error in app/index.php\n"
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Failing)
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write(str(server.server_port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
'
python3 -c "$server_py" "$WORK/server.port" >server.out 2>server.err &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null' EXIT
for ((i = 0; i < 100; i++)); do
  [[ -s server.port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { show_file server.err; die "the test's web server exited"; }
  sleep 0.1
done
[[ -s server.port ]] || die "the test's web server wrote no port in 10 s"
url="http://127.0.0.1:$(cat server.port)/"
status=$(curl --noproxy '*' --silent --max-time 10 --output /dev/null --write-out '%{http_code}' "$url")
[[ $status == 500 ]] || { show_file server.err; die "the test's web server at $url answered '$status', not 500"; }

# ---------------------------------------------------------------- site

# v1 deployed where the killed runs work (site/), then kept as the
# template: what the deploy wrote naming its site is the same in every copy.
sample_release v1 shop v1
sample_release v2 shop v2
printf 'demo upload of v2\n' >v2/public/uploads/demo.png
mkdir site
persist_cmd deploy-v1 deploy "$WORK/v1" --root site --id v1 --no-health
expect_rc 0 "deploy of v1"
((rc == 0)) || finish
printf 'APP_KEY=base64:live-secret\nDB_PASSWORD=hunter2\n' >site/shared/.env
printf '[2026-12-01] production.INFO: order 7 paid\n' >site/shared/storage/logs/laravel.log
mkdir -p site/shared/public/uploads/avatars
printf 'jpeg bytes of user 42\n' >site/shared/public/uploads/avatars/user-42.jpg
mv site template || die "mv site template"
snapshot template before.snap
deploy_args=(deploy "$WORK/v2" --root site --id v2)

# ---------------------------------------------------------------- references

# The after-state: the deploy committed, never checked.
reference_after plain.trace "${deploy_args[@]}" --no-health
count_calls plain.trace "${KILL_SYSCALLS[@]}"
declare -A plain_count=()
for sc in "${!count[@]}"; do plain_count[$sc]=${count[$sc]}; done

# The run under test, uninterrupted: it fails the check and is undone.
REFERENCE_RC=1 reference_run fail.trace "${deploy_args[@]}" --health-url "$url"
check "the failing deploy names the URL and the status" has ref.err "${url}: failed: status 500"
check "the failing deploy says it was undone" has ref.err "was undone: release v1 stays live"
snapshot site failed.snap
check "the deploy whose health check failed leaves the site exactly as before" \
  same_snapshot before.snap failed.snap
check "after the failed deploy, persist log shows no unfinished run" log_is_settled site
check "the failed deploy is undone for its health check" json_check log.json \
  '[.runs[] | select(.release == "v2")] | length == 1 and (.[0].state == "RUN_FAILED") and
   (.[0].undo_reason | startswith("failed: the health check failed"))'

# Kill points: from TAIL_CALLS calls before the end of the plain deploy's
# count to the end of the failing run's.
count_calls fail.trace "${KILL_SYSCALLS[@]}"
check "the undo unlinks what the deploy made (unlinkat, none in the plain deploy)" \
  test "${count[unlinkat]:-0}" -gt "${plain_count[unlinkat]:-0}"
for sc in $(printf '%s\n' "${!count[@]}" | sort); do
  from=$((${plain_count[$sc]:-0} - TAIL_CALLS + 1))
  ((from >= 1)) || from=1
  kill_from[$sc]=$from
done
echo "kill points, per syscall (the plain deploy's count, then the failing run's):"
for sc in $(printf '%s\n' "${!count[@]}" | sort); do
  printf '  %-16s %4d %4d: from #%d\n' "$sc" "${plain_count[$sc]:-0}" "${count[$sc]}" "${kill_from[$sc]}"
done

# ---------------------------------------------------------------- kills

# Per syscall, the kills that recovered to the before-state: the deploy
# rolled back (killed before it committed), the health check's undo
# finished by recover, or found complete.
declare -A rolled_back=() undo_finished=() undo_complete=()
for sc in "${!count[@]}"; do
  rolled_back[$sc]=0
  undo_finished[$sc]=0
  undo_complete[$sc]=0
done

# on_health_kill WHAT WHERE SC N: kill_campaign's ON_KILL. The v2 run in
# the journal (log.json, from log_is_settled after recover) agrees with the
# state the site was found in; recover.out tells whether recover had an
# undo to finish.
on_health_kill() {
  local what=$1 where=$2 sc=$3 state reason
  state=$(json_get log.json '[.runs[] | select(.release == "v2")] | last | .state // "none"') ||
    { fail "$what: persist log --json cannot be read"; return 0; }
  reason=$(json_get log.json '[.runs[] | select(.release == "v2")] | last | .undo_reason // ""')
  if [[ $where == after ]]; then
    check "$what: in the after-state, the v2 run is committed (got $state)" \
      test "$state" = RUN_COMMITTED
  elif [[ $reason == "failed: the health check failed"* ]]; then
    check "$what: the health check's undo is complete (got $state)" test "$state" = RUN_FAILED
    if grep -qF 'nothing to recover' recover.out; then
      undo_complete[$sc]=$((undo_complete[$sc] + 1))
    elif check "$what: recover says it finished the undo" \
      has recover.out "undone: the site is as it was before it started"; then
      undo_finished[$sc]=$((undo_finished[$sc] + 1))
    fi
  else
    check "$what: in the before-state, the v2 run is undone or was never begun (got $state)" \
      test "$state" = RUN_UNDONE -o "$state" = none
    rolled_back[$sc]=$((rolled_back[$sc] + 1))
  fi
}

KILL_SKIPPED=(clock_nanosleep)
kill_campaign "deploy, health check failed" fail.trace on_health_kill \
  "${deploy_args[@]}" --health-url "$url"

echo "the kills that recovered to the before-state, per syscall:"
finished=0
for sc in $(printf '%s\n' "${!count[@]}" | sort); do
  finished=$((finished + undo_finished[$sc]))
  printf '  %-16s deploy rolled back %3d, health check undo finished by recover %3d, found complete %3d\n' \
    "$sc" "${rolled_back[$sc]}" "${undo_finished[$sc]}" "${undo_complete[$sc]}"
done
check "some kills landed in the health check's undo, which recover finished ($finished)" \
  test "$finished" -gt 0

finish
