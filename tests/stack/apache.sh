# A real Apache 2.4 for tests, as shared hosts run it: Debian's apache2 with
# mod_php (libphp8.2.so) under the prefork MPM, started by the test itself
# on 127.0.0.1 only, with its own config, pid file, logs and mutex files in
# the test's temp directory. Neither /etc/apache2 (its apache2.conf, envvars
# and mods-enabled) nor the system's instance is ever used: every module is
# loaded by its path from /usr/lib/apache2/modules.
#
# Source it from a bash test script (written, like tests/blackbox/lib.sh's,
# without set -e), after or instead of tests/stack/stack.sh, whose helpers
# it shares:
#   source tests/stack/apache.sh
#   STACK_APACHE_DIRECTORY=$'Options SymLinksIfOwnerMatch\nAllowOverride All' \
#     stack_start_apache "$SITE/public_html"
#   curl "$APACHE_URL/"
#   stack_stop_apache               # or leave it to the EXIT trap
#
# As root, Apache's workers run as `User nobody` / `Group nogroup` (uid and
# gid 65534): Apache refuses root workers. They must be able to read the
# site, so a test run as root serves a site beneath a directory that user
# can reach (tests/blackbox/lib.sh's enter_owner_base), never beneath
# TEST_TMPDIR (in bazel's output tree under /root). Apache's own files stay
# in TEST_TMPDIR: the master opens them as root before the workers start.
# As any other user, Apache's workers run as that user.
#
# Apache checks a symlink only where it is a component of the path it
# serves (the DocumentRoot's own path included), and, under
# SymLinksIfOwnerMatch, compares the link's owner with the owner of what
# the whole chain finally leads to: a link that the target of another link
# passes through (current, behind public_html -> current/public) is never
# looked at.
#
# PHP runs in the worker (mod_php), with the system's php.ini and conf.d,
# then the settings below as php_admin_value. Its errors go to Apache's
# error log.
#
# Settings, read by stack_start_apache:
#   STACK_APACHE_DIRECTORY="Options ...\nAllowOverride ..."
#                          the directives of the <Directory DOCROOT> block
#                          (newlines separate them), after Require all
#                          granted; default "Options FollowSymLinks" and
#                          "AllowOverride None", Debian's.
#   STACK_APACHE_ROOT_DIRECTORY="Options ..."
#                          more directives for the <Directory /> block,
#                          which denies everything and allows no override:
#                          its Options decide how the links above DOCROOT,
#                          and DOCROOT itself when it is a link, are
#                          followed. Default "Options FollowSymLinks"
#                          (Debian's); cPanel's has SymLinksIfOwnerMatch.
#   STACK_APACHE_SERVER="directive\n..."
#                          more server-level directives (an Alias and its
#                          own <Directory> block, say).
#   STACK_APACHE_WORKERS=N prefork workers (default 1: PHP's realpath cache
#                          is each worker's own, and with one worker what it
#                          caches is what every answer shows).
#   STACK_OPCACHE=1, STACK_PHP_INI="a=b c=d"
#                          as for stack.sh's PHP-FPM: OPcache on with
#                          validate_timestamps=0 (otherwise off), and more
#                          php.ini settings.
#
# What it sets, and the functions beside stack_start_apache:
#   APACHE_URL        http://127.0.0.1:PORT
#   APACHE_PORT       the port, found free at run time
#   APACHE_DIR        config, logs, pid file, mutexes
#   APACHE_PID        the master (it runs with -DFOREGROUND, a child of the
#                     test, in a session of its own)
#   stack_stop_apache  stops it (master and workers)
#   stack_apache_logs  prints the tails of its logs to stderr
#   stack_apache_log_has TEXT
#                      succeeds when Apache's error log holds TEXT (a fixed
#                      string), else shows the log's tail
#
# When Apache cannot run on this machine for a reason outside the test (no
# loopback, sockets refused), stack_start_apache prints "SKIP: ..." and
# exits 0. A missing package is a failure: tools/setup installs apache2 and
# libapache2-mod-php8.2. Any other failure to start prints the logs and
# exits 1.
#
# stack_stop_apache runs from an EXIT trap too, set as stack.sh sets its
# own: before any EXIT trap the test set earlier; a trap set later replaces
# it. A TERM or INT to the test exits through that trap.

if ! declare -F _stack_free_port >/dev/null; then
  source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
fi

APACHE_URL=""
APACHE_PORT=""
APACHE_DIR=""
APACHE_PID=""
_apache_trap_set=""
_apache_count=0

STACK_APACHE=${STACK_APACHE:-/usr/sbin/apache2}
STACK_APACHE_MODULES=${STACK_APACHE_MODULES:-/usr/lib/apache2/modules}

# stack_apache_logs: prints Apache's logs, for a failure's diagnosis.
stack_apache_logs() {
  local log
  [[ -n "$APACHE_DIR" ]] || return 0
  for log in "$APACHE_DIR"/*.log; do
    [[ -s "$log" ]] || continue
    printf -- '--- %s\n' "$log" >&2
    tail -n 30 "$log" >&2
  done
}

# stack_apache_log_has TEXT: Apache's error log holds TEXT.
stack_apache_log_has() {
  grep -qF -- "$1" "$APACHE_DIR/error.log" 2>/dev/null && return 0
  printf '    %s does not contain: %s\n' "$APACHE_DIR/error.log" "$1" >&2
  tail -n 15 "$APACHE_DIR/error.log" 2>/dev/null | sed 's/^/    | /' >&2
  return 1
}

# _apache_php_settings: the php_admin_value lines of the config.
_apache_php_settings() {
  local setting
  printf 'php_admin_flag log_errors on\n'
  printf 'php_admin_flag display_errors off\n'
  printf 'php_admin_value opcache.lockfile_path %s\n' "$APACHE_DIR"
  if [[ "${STACK_OPCACHE:-}" == 1 ]]; then
    printf 'php_admin_flag opcache.enable on\n'
    printf 'php_admin_flag opcache.validate_timestamps off\n'
    printf 'php_admin_value opcache.file_update_protection 0\n'
    printf 'php_admin_flag opcache.revalidate_path off\n'
  else
    printf 'php_admin_flag opcache.enable off\n'
  fi
  for setting in ${STACK_PHP_INI:-}; do
    printf 'php_admin_value %s %s\n' "${setting%%=*}" "${setting#*=}"
  done
}

_apache_write_conf() {
  local docroot=$1 port=$2
  local as_root="" workers=${STACK_APACHE_WORKERS:-1}
  # Apache will not run its workers as root; nobody is who reads the site.
  ((EUID == 0)) && as_root=$'User nobody\nGroup nogroup'
  local module modules=""
  for module in mpm_prefork authz_core alias dir mime rewrite; do
    modules+="LoadModule ${module}_module $STACK_APACHE_MODULES/mod_$module.so"$'\n'
  done
  modules+="LoadModule php_module $STACK_APACHE_MODULES/libphp8.2.so"
  local directory=${STACK_APACHE_DIRECTORY:-$'Options FollowSymLinks\nAllowOverride None'}
  local root_directory=${STACK_APACHE_ROOT_DIRECTORY:-Options FollowSymLinks}
  cat >"$APACHE_DIR/httpd.conf" <<EOF
ServerRoot "$APACHE_DIR"
DefaultRuntimeDir "$APACHE_DIR"
PidFile "$APACHE_DIR/httpd.pid"
Mutex file:$APACHE_DIR default
$modules
$as_root
Listen 127.0.0.1:$port
ServerName 127.0.0.1:$port
ErrorLog "$APACHE_DIR/error.log"
LogLevel info
LogFormat "%h %t \"%r\" %>s %b \"%f\"" stack
CustomLog "$APACHE_DIR/access.log" stack
StartServers 1
MinSpareServers 1
MaxSpareServers $workers
ServerLimit $workers
MaxRequestWorkers $workers
MaxConnectionsPerChild 0
KeepAlive Off
Timeout 30
TypesConfig /dev/null
AddType text/html .html
AddType text/css .css
AddType application/javascript .js
AddType text/plain .txt
DirectoryIndex index.php index.html
AccessFileName .htaccess
$(_apache_php_settings)

<FilesMatch "\.php\$">
  SetHandler application/x-httpd-php
</FilesMatch>
<Files ".ht*">
  Require all denied
</Files>

# The harness's own readiness probe: answered before any file is looked
# up, so that waiting for Apache compiles nothing, reads nothing.
Redirect 204 /.stack-ping

<Directory />
  AllowOverride None
  Require all denied
  $root_directory
</Directory>

DocumentRoot "$docroot"
<Directory "$docroot">
  Require all granted
  $directory
</Directory>

${STACK_APACHE_SERVER:-}
EOF
}

# _apache_start_on_free_port DOCROOT: starts Apache on a free port and waits
# until it answers; a port lost to another process is tried again.
_apache_start_on_free_port() {
  local docroot=$1 try i
  for ((try = 0; try < 5; try++)); do
    APACHE_PORT=$(_stack_free_port) || _stack_die "python3 found no free port on 127.0.0.1"
    APACHE_URL="http://127.0.0.1:$APACHE_PORT"
    _apache_write_conf "$docroot" "$APACHE_PORT"
    : >"$APACHE_DIR/error.log"
    : >"$APACHE_DIR/stdio.log"
    # What /etc/apache2/envvars would give; the config names every path
    # itself, and these only keep Debian's build from reaching for
    # /var/run/apache2 and /var/log/apache2.
    # In a session of its own (setsid, which execs Apache: a background
    # job of a shell without job control leads no group): stopping, Apache
    # sends TERM to its whole process group, which would be the test's.
    APACHE_RUN_DIR="$APACHE_DIR" APACHE_PID_FILE="$APACHE_DIR/httpd.pid" \
      APACHE_LOCK_DIR="$APACHE_DIR" APACHE_LOG_DIR="$APACHE_DIR" \
      APACHE_RUN_USER=nobody APACHE_RUN_GROUP=nogroup LANG=C \
      setsid "$STACK_APACHE" -f "$APACHE_DIR/httpd.conf" -DFOREGROUND >>"$APACHE_DIR/stdio.log" 2>&1 &
    APACHE_PID=$!
    for ((i = 0; i < 100; i++)); do
      if [[ "$(_stack_curl --max-time 2 -o /dev/null -w '%{http_code}' "$APACHE_URL/.stack-ping" 2>/dev/null)" == 204 ]]; then
        return 0
      fi
      _stack_alive "$APACHE_PID" || break
      sleep 0.1
    done
    if _stack_alive "$APACHE_PID"; then
      stack_apache_logs
      _stack_die "Apache runs but does not answer $APACHE_URL/.stack-ping within 10 s; its log is above"
    fi
    wait "$APACHE_PID" 2>/dev/null
    APACHE_PID=""
    grep -q 'Address already in use' "$APACHE_DIR/error.log" "$APACHE_DIR/stdio.log" || break
  done
  local log reason
  for log in "$APACHE_DIR/error.log" "$APACHE_DIR/stdio.log"; do
    # Apache's form: "(99)Cannot assign requested address: AH00072:
    # make_sock: could not bind to address 127.0.0.1:PORT".
    reason=$(grep -E '(Cannot assign requested address|Address family not supported|Operation not permitted|Permission denied).*(make_sock|could not bind|socket)' \
      "$log" 2>/dev/null | tail -n 1)
    [[ -z "$reason" ]] || stack_skip "Apache cannot start on this machine: $reason"
  done
  stack_apache_logs
  _stack_die "Apache did not start (config $APACHE_DIR/httpd.conf); its log is above"
}

# stack_start_apache DOCROOT: starts Apache serving DOCROOT (see the top of
# this file) and waits until it answers. One Apache at a time: stop it
# before starting another.
stack_start_apache() {
  local docroot=${1:-}
  [[ -n "$docroot" ]] || _stack_die "usage: stack_start_apache DOCROOT"
  [[ "$docroot" == /* ]] || _stack_die "DOCROOT must be an absolute path, not '$docroot'"
  [[ -d "$docroot" ]] || _stack_die "DOCROOT $docroot is not a directory"
  [[ -z "$APACHE_PID" ]] || _stack_die "an Apache runs already; stack_stop_apache it first"
  [[ -n "${TEST_TMPDIR:-}" ]] || _stack_die "TEST_TMPDIR is not set: run the test with bazel test"
  local tool
  for tool in "$STACK_APACHE" "$STACK_APACHE_MODULES/mod_mpm_prefork.so" \
    "$STACK_APACHE_MODULES/libphp8.2.so"; do
    [[ -e "$tool" ]] ||
      _stack_die "$tool is not installed; run tools/setup, which installs apache2 and libapache2-mod-php8.2"
  done
  for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || _stack_die "$tool is not installed; run tools/setup"
  done
  if ((EUID == 0)) && ! setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$docroot"; then
    _stack_die "Apache's workers run as nobody (uid 65534), who cannot read $docroot: serve a site beneath enter_owner_base's directory"
  fi

  _apache_count=$((_apache_count + 1))
  APACHE_DIR="$TEST_TMPDIR/apache.$_apache_count"
  { rm -rf "$APACHE_DIR" && mkdir -p "$APACHE_DIR"; } || _stack_die "cannot make $APACHE_DIR"

  if [[ -z "$_apache_trap_set" ]]; then
    local earlier
    earlier=$(trap -p EXIT)
    if [[ -n "$earlier" ]]; then
      eval "set -- $earlier"  # trap -- 'COMMAND' EXIT
      # shellcheck disable=SC2064  # the earlier command, expanded now on purpose
      trap "stack_stop_apache; $3" EXIT
    else
      trap stack_stop_apache EXIT
    fi
    trap 'exit 143' TERM
    trap 'exit 130' INT
    _apache_trap_set=1
  fi

  _apache_start_on_free_port "$docroot"
}

# stack_stop_apache: stops Apache, master and workers; does nothing when it
# does not run. Logs stay in APACHE_DIR.
stack_stop_apache() {
  _stack_end "$APACHE_PID" Apache
  APACHE_PID=""
  return 0
}
