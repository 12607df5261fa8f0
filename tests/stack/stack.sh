# A real web stack for tests: nginx in front of PHP-FPM, started by the test
# itself as the user that runs it (root included: FPM then runs with -R), on
# 127.0.0.1 only, with its own configs, logs, sockets and temp files; the
# system's instances and their configs are never used.
#
# Source it from a bash test script (written, like tests/blackbox/lib.sh's,
# without set -e):
#   source tests/stack/stack.sh
#   stack_start_nginx_fpm "$SITE/current/public"
#   curl "$STACK_URL/"
#   stack_stop                      # or leave it to the EXIT trap
#
# DOCROOT may be a path through symlinks (SITE/current/public, current a
# symlink to releases/X): nginx serves files by that path, and hands PHP the
# script's resolved path (SCRIPT_FILENAME and DOCUMENT_ROOT from
# $realpath_root, as Laravel's documented config does), so a switch of
# `current` is seen by the next request.
#
# Settings, read by stack_start_nginx_fpm:
#   STACK_OPCACHE=1        OPcache on with opcache.validate_timestamps=0 (a
#                          file once compiled is never looked at again, as
#                          on tuned production servers) and
#                          file_update_protection=0 (files just written are
#                          cached too); otherwise OPcache is off.
#   STACK_SCRIPT_ROOT=document_root
#                          SCRIPT_FILENAME and DOCUMENT_ROOT through the
#                          unresolved $document_root instead: the common
#                          config under which PHP's realpath cache, and
#                          OPcache, keep serving the release of before a
#                          switch (tests/stack/stack_test.sh shows both).
#   STACK_FPM_CHILDREN=N   PHP-FPM workers (default 1: PHP's realpath
#                          cache is each worker's own, and with one worker
#                          what it caches is what every answer shows).
#   STACK_NGINX_SERVER="directive; ..."
#                          more directives for nginx's server block, e.g.
#                          "disable_symlinks if_not_owner;" (nginx's form of
#                          Apache's SymLinksIfOwnerMatch).
#   STACK_PHP_INI="a=b c=d"
#                          more php.ini settings for PHP-FPM (-d a=b -d c=d),
#                          e.g. realpath_cache_size=0.
#
# What it sets, and the functions beside stack_start_nginx_fpm:
#   STACK_URL        http://127.0.0.1:PORT
#   STACK_PORT       the port, found free at run time
#   STACK_DIR        configs, logs, pid files, nginx's temp dirs
#   STACK_FPM_PID    PHP-FPM's master (kill -USR2 reloads it:
#                    stack_reload_fpm)
#   STACK_NGINX_PID  nginx's master
#   stack_stop         stops both (see below)
#   stack_reload_fpm   reloads PHP-FPM (USR2) and waits until it answers
#   stack_pids         the pids of the masters and their workers
#   stack_logs         prints the tails of the logs to stderr
#   stack_get BASE PATH  "STATUS BODY" of a GET of BASE PATH
#   stack_serves WHAT BASE PATH WANT LOGS  checks that answer
#   stack_release DIR VERSION  a small app whose index.php answers "release VERSION"
#
# When the stack cannot run on this machine for a reason outside the test
# (no loopback, sockets refused), stack_start_nginx_fpm prints "SKIP: ..."
# and exits 0. A missing package is a failure: tools/setup installs them.
# Any other failure to start prints the logs and exits 1.
#
# Everything started is stopped by stack_stop, which an EXIT trap also runs
# (before any EXIT trap the test set earlier; a trap the test sets later
# replaces it, so set yours first or call stack_stop from it). A TERM or INT
# to the test exits through that trap.

STACK_URL=""
STACK_PORT=""
STACK_DIR=""
STACK_FPM_PID=""
STACK_NGINX_PID=""
_stack_socket_dir=""
_stack_trap_set=""
_stack_count=0

STACK_NGINX=${STACK_NGINX:-/usr/sbin/nginx}
STACK_FPM=${STACK_FPM:-/usr/sbin/php-fpm8.2}

_stack_die() {
  printf 'FATAL: stack: %s\n' "$*" >&2
  exit 1
}

stack_skip() {
  printf 'SKIP: %s\n' "$*"
  exit 0
}

# stack_logs: prints the stack's logs, for a failure's diagnosis.
stack_logs() {
  local log
  [[ -n "$STACK_DIR" ]] || return 0
  for log in "$STACK_DIR"/*.log; do
    [[ -s "$log" ]] || continue
    printf -- '--- %s\n' "$log" >&2
    tail -n 30 "$log" >&2
  done
}

# _stack_curl ARG...: curl that no proxy variable can divert from loopback.
_stack_curl() {
  curl --noproxy '*' --silent --show-error "$@"
}

# stack_get BASE PATH: "STATUS BODY" of a GET of BASE PATH (the body's
# newlines as spaces), as tests compare answers: "200 release v2".
stack_get() {
  local out
  out=$(curl --noproxy '*' -s --max-time 10 -w '\n%{http_code}' "$1$2" 2>&1)
  printf '%s %s' "${out##*$'\n'}" "$(tr -s '\n' ' ' <<<"${out%$'\n'*}" | sed 's/ *$//')"
}

# stack_release DIR VERSION: a small Laravel-shaped app for the stack tests:
# artisan, .env.example, storage/framework/views and bootstrap/cache, a
# public/index.php that answers "release VERSION", and public/css/app.css
# holding "VERSION css".
stack_release() {
  local dir=$1 version=$2
  mkdir -p "$dir/public/css" "$dir/storage/framework/views" "$dir/bootstrap/cache"
  printf '<?php // artisan\n' >"$dir/artisan"
  printf 'APP_KEY=\n' >"$dir/.env.example"
  printf '<?php\necho "release %s\\n";\n' "$version" >"$dir/public/index.php"
  printf '%s css\n' "$version" >"$dir/public/css/app.css"
}

# stack_serves WHAT BASE PATH WANT LOGS: checks (lib.sh check) that a GET of
# BASE PATH answers WANT ("STATUS BODY"); else runs LOGS (stack_logs,
# stack_apache_logs) to show the server's side.
stack_serves() {
  local got
  got=$(stack_get "$2" "$3")
  check "$1: GET $3 is '$4' (got '$got')" test "$got" = "$4" && return 0
  "$5"
  return 1
}

# _stack_free_port: a TCP port free on 127.0.0.1 now (the kernel picks it);
# nginx may still lose it to another process, and then the start is retried.
_stack_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _stack_alive PID: the process runs and is no zombie.
_stack_alive() {
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null &&
    [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# _stack_skip_if_environment LOG WHAT: skips when LOG shows that WHAT could
# not start for a reason of this machine, not of the stack: the kernel
# refused it a socket, or an address on 127.0.0.1 (no loopback).
_stack_skip_if_environment() {
  local reason
  reason=$(grep -E '(bind|socket|listen)\(\).*(Cannot assign requested address|Address family not supported|Operation not permitted|Permission denied)' \
    "$1" 2>/dev/null | tail -n 1)
  [[ -z "$reason" ]] || stack_skip "$2 cannot start on this machine: $reason"
}

_stack_write_fpm_conf() {
  local socket=$1
  local as_root=""
  # As root, FPM wants a pool user, refuses root without -R, and any other
  # user could not read the test's files under root's home.
  ((EUID == 0)) && as_root=$'user = root\ngroup = root'
  mkdir -p "$STACK_DIR/php-tmp" "$STACK_DIR/php-sessions" || _stack_die "mkdir under $STACK_DIR failed"
  cat >"$STACK_DIR/php-fpm.conf" <<EOF
[global]
pid = $STACK_DIR/php-fpm.pid
error_log = $STACK_DIR/php-fpm.log
log_level = notice
daemonize = no

[stack]
$as_root
listen = $socket
listen.mode = 0600
pm = static
pm.max_children = ${STACK_FPM_CHILDREN:-1}
catch_workers_output = yes
decorate_workers_output = no
php_admin_flag[log_errors] = on
php_admin_value[error_log] = $STACK_DIR/php-errors.log
php_admin_value[upload_tmp_dir] = $STACK_DIR/php-tmp
php_admin_value[sys_temp_dir] = $STACK_DIR/php-tmp
php_admin_value[session.save_path] = $STACK_DIR/php-sessions
EOF
}

_stack_write_nginx_conf() {
  local docroot=$1 socket=$2 port=$3 root_var=$4
  local as_root=""
  # nginx's workers would otherwise run as nobody, who cannot read the
  # test's files nor connect to FPM's socket (mode 0600).
  ((EUID == 0)) && as_root="user root root;"
  mkdir -p "$STACK_DIR/nginx-tmp" || _stack_die "mkdir $STACK_DIR/nginx-tmp failed"
  cat >"$STACK_DIR/nginx.conf" <<EOF
$as_root
daemon off;
master_process on;
worker_processes 1;
pid $STACK_DIR/nginx.pid;
error_log $STACK_DIR/nginx-error.log notice;
events { worker_connections 64; }
http {
  access_log $STACK_DIR/nginx-access.log;
  client_body_temp_path $STACK_DIR/nginx-tmp/client_body;
  proxy_temp_path $STACK_DIR/nginx-tmp/proxy;
  fastcgi_temp_path $STACK_DIR/nginx-tmp/fastcgi;
  uwsgi_temp_path $STACK_DIR/nginx-tmp/uwsgi;
  scgi_temp_path $STACK_DIR/nginx-tmp/scgi;
  types { text/html html; text/css css; application/javascript js; text/plain txt; }
  default_type application/octet-stream;

  server {
    listen 127.0.0.1:$port;
    server_name localhost;
    root $docroot;
    index index.php index.html;
    charset utf-8;
    ${STACK_NGINX_SERVER:-}

    # The harness's own readiness probe; never reaches PHP, so that waiting
    # for the stack compiles nothing into OPcache.
    location = /.stack-ping { access_log off; return 204; }

    location / {
      try_files \$uri \$uri/ /index.php?\$query_string;
    }

    location ~ \.php\$ {
      try_files \$uri =404;
      fastcgi_pass unix:$socket;
      fastcgi_param SCRIPT_FILENAME \$${root_var}\$fastcgi_script_name;
      fastcgi_param DOCUMENT_ROOT \$${root_var};
      fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
      fastcgi_param QUERY_STRING \$query_string;
      fastcgi_param REQUEST_METHOD \$request_method;
      fastcgi_param CONTENT_TYPE \$content_type;
      fastcgi_param CONTENT_LENGTH \$content_length;
      fastcgi_param REQUEST_URI \$request_uri;
      fastcgi_param DOCUMENT_URI \$document_uri;
      fastcgi_param SERVER_PROTOCOL \$server_protocol;
      fastcgi_param REQUEST_SCHEME \$scheme;
      fastcgi_param GATEWAY_INTERFACE CGI/1.1;
      fastcgi_param SERVER_SOFTWARE nginx/\$nginx_version;
      fastcgi_param REMOTE_ADDR \$remote_addr;
      fastcgi_param REMOTE_PORT \$remote_port;
      fastcgi_param SERVER_ADDR \$server_addr;
      fastcgi_param SERVER_PORT \$server_port;
      fastcgi_param SERVER_NAME \$server_name;
      fastcgi_param REDIRECT_STATUS 200;
    }

    location ~ /\.(?!well-known).* { deny all; }
  }
}
EOF
}

# _stack_start_fpm SOCKET: starts PHP-FPM and waits until it listens.
_stack_start_fpm() {
  local socket=$1
  # OPcache's lock file goes to /tmp by default, which a user other than
  # root may not be able to write to (it is 0700 on some machines).
  local -a ini=(-d "opcache.lockfile_path=$STACK_DIR")
  if [[ "${STACK_OPCACHE:-}" == 1 ]]; then
    # The list is read whole before grep looks at it: grep -q in a pipe
    # can end first, and under pipefail FPM's SIGPIPE would fail the test.
    local modules
    modules=$("$STACK_FPM" "${ini[@]}" -m 2>&1)
    grep -qx 'Zend OPcache' <<<"$modules" ||
      _stack_die "STACK_OPCACHE=1, but $STACK_FPM lists no OPcache (install php8.2-opcache: tools/setup): $modules"
    # file_update_protection=0: by default OPcache does not cache a file
    # modified less than 2 s ago, and a test's releases are seconds old; the
    # cache would then fill or not by the clock. revalidate_path=0 is PHP's
    # default, set here so that no system ini changes what the tests see.
    ini+=(-d opcache.enable=1 -d opcache.validate_timestamps=0 -d opcache.file_update_protection=0
      -d opcache.revalidate_path=0)
  else
    ini+=(-d opcache.enable=0)
  fi
  local setting
  for setting in ${STACK_PHP_INI:-}; do
    ini+=(-d "$setting")
  done
  local -a run_as_root=()
  ((EUID == 0)) && run_as_root=(-R)
  "$STACK_FPM" --nodaemonize "${run_as_root[@]}" "${ini[@]}" \
    --fpm-config "$STACK_DIR/php-fpm.conf" >>"$STACK_DIR/php-fpm-stdio.log" 2>&1 &
  STACK_FPM_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -S "$socket" ]] && return 0
    if ! _stack_alive "$STACK_FPM_PID"; then
      wait "$STACK_FPM_PID" 2>/dev/null
      STACK_FPM_PID=""
      _stack_skip_if_environment "$STACK_DIR/php-fpm.log" "PHP-FPM"
      _stack_skip_if_environment "$STACK_DIR/php-fpm-stdio.log" "PHP-FPM"
      stack_logs
      _stack_die "PHP-FPM exited at start (config $STACK_DIR/php-fpm.conf); its log is above"
    fi
    sleep 0.1
  done
  stack_logs
  _stack_die "PHP-FPM did not create its socket $socket within 10 s; its log is above"
}

# _stack_start_nginx DOCROOT SOCKET ROOT_VAR: starts nginx on a free port and
# waits until it answers; a port lost to another process is tried again.
_stack_start_nginx() {
  local docroot=$1 socket=$2 root_var=$3
  local try i
  for ((try = 0; try < 5; try++)); do
    STACK_PORT=$(_stack_free_port) || _stack_die "python3 found no free port on 127.0.0.1"
    STACK_URL="http://127.0.0.1:$STACK_PORT"
    _stack_write_nginx_conf "$docroot" "$socket" "$STACK_PORT" "$root_var"
    : >"$STACK_DIR/nginx-error.log"
    "$STACK_NGINX" -p "$STACK_DIR" -c "$STACK_DIR/nginx.conf" -e "$STACK_DIR/nginx-error.log" \
      >>"$STACK_DIR/nginx-stdio.log" 2>&1 &
    STACK_NGINX_PID=$!
    for ((i = 0; i < 100; i++)); do
      if [[ "$(_stack_curl --max-time 2 -o /dev/null -w '%{http_code}' "$STACK_URL/.stack-ping" 2>/dev/null)" == 204 ]]; then
        return 0
      fi
      _stack_alive "$STACK_NGINX_PID" || break
      sleep 0.1
    done
    if _stack_alive "$STACK_NGINX_PID"; then
      stack_logs
      _stack_die "nginx runs but does not answer $STACK_URL/.stack-ping within 10 s; its log is above"
    fi
    wait "$STACK_NGINX_PID" 2>/dev/null
    STACK_NGINX_PID=""
    grep -q 'Address already in use' "$STACK_DIR/nginx-error.log" "$STACK_DIR/nginx-stdio.log" || break
  done
  _stack_skip_if_environment "$STACK_DIR/nginx-error.log" "nginx"
  _stack_skip_if_environment "$STACK_DIR/nginx-stdio.log" "nginx"
  stack_logs
  _stack_die "nginx did not start (config $STACK_DIR/nginx.conf); its log is above"
}

# stack_start_nginx_fpm DOCROOT: starts PHP-FPM, then nginx serving DOCROOT
# (see the top of this file), and waits until both answer. One stack at a
# time: stop it before starting another.
stack_start_nginx_fpm() {
  local docroot=${1:-}
  [[ -n "$docroot" ]] || _stack_die "usage: stack_start_nginx_fpm DOCROOT"
  [[ "$docroot" == /* ]] || _stack_die "DOCROOT must be an absolute path, not '$docroot'"
  [[ -d "$docroot" ]] || _stack_die "DOCROOT $docroot is not a directory"
  [[ -z "$STACK_FPM_PID$STACK_NGINX_PID" ]] || _stack_die "a stack runs already; stack_stop it first"
  [[ -n "${TEST_TMPDIR:-}" ]] || _stack_die "TEST_TMPDIR is not set: run the test with bazel test"
  local tool
  for tool in "$STACK_NGINX" "$STACK_FPM"; do
    [[ -x "$tool" ]] || _stack_die "$tool is not installed; run tools/setup, which installs nginx and php8.2-fpm"
  done
  for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || _stack_die "$tool is not installed; run tools/setup"
  done
  local root_var
  case "${STACK_SCRIPT_ROOT:-realpath_root}" in
    realpath_root | document_root) root_var=${STACK_SCRIPT_ROOT:-realpath_root} ;;
    *) _stack_die "STACK_SCRIPT_ROOT is '$STACK_SCRIPT_ROOT'; use realpath_root (default) or document_root" ;;
  esac

  _stack_count=$((_stack_count + 1))
  STACK_DIR="$TEST_TMPDIR/stack.$_stack_count"
  { rm -rf "$STACK_DIR" && mkdir -p "$STACK_DIR"; } || _stack_die "cannot make $STACK_DIR"
  # A unix socket's path has at most 107 bytes, and TEST_TMPDIR's alone can
  # be longer: then the socket lives in a private directory of a short path
  # (the first of /tmp, /var/tmp and /dev/shm this user may write to), which
  # stack_stop removes.
  local socket="$STACK_DIR/php-fpm.sock" short
  if ((${#socket} > 100)); then
    for short in /tmp /var/tmp /dev/shm; do
      _stack_socket_dir=$(mktemp -d "$short/stack.XXXXXX" 2>/dev/null) && break
    done
    [[ -n "$_stack_socket_dir" ]] ||
      _stack_die "$socket is too long for a unix socket, and none of /tmp, /var/tmp, /dev/shm is writable for a shorter one"
    socket="$_stack_socket_dir/php-fpm.sock"
  fi

  if [[ -z "$_stack_trap_set" ]]; then
    local earlier
    earlier=$(trap -p EXIT)
    if [[ -n "$earlier" ]]; then
      eval "set -- $earlier"  # trap -- 'COMMAND' EXIT
      # shellcheck disable=SC2064  # the earlier command, expanded now on purpose
      trap "stack_stop; $3" EXIT
    else
      trap stack_stop EXIT
    fi
    trap 'exit 143' TERM
    trap 'exit 130' INT
    _stack_trap_set=1
  fi

  _stack_write_fpm_conf "$socket"
  _stack_start_fpm "$socket"
  _stack_start_nginx "$docroot" "$socket" "$root_var"
}

# _stack_children PID: the pids of PID's children, one a line.
_stack_children() {
  local parent=$1 stat line pid
  local -a fields
  for stat in /proc/[0-9]*/stat; do
    { read -r line <"$stat"; } 2>/dev/null || continue
    # After the command's name, which may hold spaces: STATE PPID ...
    read -r -a fields <<<"${line##*) }"
    [[ "${fields[1]:-}" == "$parent" ]] || continue
    pid=${stat#/proc/}
    echo "${pid%/stat}"
  done
}

# stack_pids: the pids of the stack's processes, nginx's and PHP-FPM's
# masters and their workers, one a line; nothing when no stack runs.
stack_pids() {
  local master
  for master in $STACK_NGINX_PID $STACK_FPM_PID; do
    echo "$master"
    _stack_children "$master"
  done
}

# _stack_end PID NAME: ends the process PID with TERM, then, after 5 s, its
# children and itself with KILL.
_stack_end() {
  local pid=$1 name=$2 i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    _stack_alive "$pid" || break
    sleep 0.1
  done
  if _stack_alive "$pid"; then
    printf 'stack: %s (pid %s) ignored TERM for 5 s; killing it and its workers\n' "$name" "$pid" >&2
    local child
    for child in $(_stack_children "$pid"); do
      kill -KILL "$child" 2>/dev/null
    done
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

# stack_stop: stops nginx and PHP-FPM (masters and workers) and removes the
# socket's directory; does nothing when no stack runs. Logs stay in
# STACK_DIR.
stack_stop() {
  _stack_end "$STACK_NGINX_PID" nginx
  STACK_NGINX_PID=""
  _stack_end "$STACK_FPM_PID" PHP-FPM
  STACK_FPM_PID=""
  if [[ -n "$_stack_socket_dir" ]]; then
    rm -rf "$_stack_socket_dir"
    _stack_socket_dir=""
  fi
  return 0
}

# stack_reload_fpm: reloads PHP-FPM as a deploy's reload command does (USR2
# to the master: new workers, OPcache emptied), and waits until the new
# workers are up: the master logs "ready to handle connections" again.
stack_reload_fpm() {
  [[ -n "$STACK_FPM_PID" ]] || _stack_die "stack_reload_fpm: no PHP-FPM runs"
  local log="$STACK_DIR/php-fpm.log" ready i
  ready=$(grep -c 'ready to handle connections' "$log")
  kill -USR2 "$STACK_FPM_PID" || _stack_die "kill -USR2 $STACK_FPM_PID (PHP-FPM) failed"
  for ((i = 0; i < 100; i++)); do
    (($(grep -c 'ready to handle connections' "$log") > ready)) && return 0
    sleep 0.1
  done
  stack_logs
  _stack_die "PHP-FPM did not come back within 10 s of its reload (USR2); its log is above"
}
