# Shared helpers for the tests of docs/guides/: each guide is a page an
# operator follows, and its commands to type (the lines "    $ COMMAND")
# are run here, in order, as the operator would type them.
#
# Source it after lib.sh:   source "$(dirname "$0")/guide_lib.sh"

# guide_commands FILE: prints the commands FILE gives to type, one a line:
# every line that starts with exactly four spaces, then "$ ". Other code
# lines of a guide are examples, never run.
guide_commands() {
  sed -n 's/^    \$ //p' "$1"
}

# GUIDE_PORT: where a guide's health URLs on http://127.0.0.1:8080 are
# served in the test. A guide names port 8080; the test serves on a free
# port and runs each command with "127.0.0.1:8080" made "127.0.0.1:PORT"
# (nothing else of a command is ever changed). Empty: commands run as written.
GUIDE_PORT=${GUIDE_PORT:-}

# run_guide FILE HOME [HOOK]: runs each command of the guide FILE
# (guide_commands) in order, each in its own `bash -c` from HOME, with
# HOME set to HOME and $WORK/bin (which holds `persist`, guide_bin) first on
# PATH; checks that each exits 0. HOOK, when given, is called as
# `HOOK N COMMAND` before step N: a test breaks the site there as the guide
# says it may be found (an interrupted deploy ...). Output of step N is in
# $WORK/guide-NAME-N.out and .err (NAME: FILE's base name); the last step's
# number is in guide_steps.
run_guide() {
  local file=$1 home=$2 hook=${3:-} name command i=0 step_rc
  name=$(basename "$file" .md)
  guide_bin
  local -a commands
  mapfile -t commands < <(guide_commands "$file")
  check "$name: the guide gives commands to type" test "${#commands[@]}" -ge 1
  for command in "${commands[@]}"; do
    i=$((i + 1))
    [[ -z "$hook" ]] || "$hook" "$i" "$command"
    [[ -z "$GUIDE_PORT" ]] || command=${command//127.0.0.1:8080/127.0.0.1:$GUIDE_PORT}
    step_rc=0
    (cd "$home" && HOME="$home" PATH="$WORK/bin:$PATH" bash -c "$command") \
      >"$WORK/guide-$name-$i.out" 2>"$WORK/guide-$name-$i.err" || step_rc=$?
    check "$name step $i: \`$command\` succeeds (exit $step_rc)" test "$step_rc" -eq 0 ||
      { show_file "$WORK/guide-$name-$i.out"; show_file "$WORK/guide-$name-$i.err"; }
  done
  guide_steps=$i
}

# guide_bin: $WORK/bin/persist, the binary under test, for PATH.
guide_bin() {
  mkdir -p "$WORK/bin"
  ln -sfn "$PERSIST" "$WORK/bin/persist"
}

# guide_quotes FILE: prints every error message the guide quotes, one a
# line, as "EXIT<TAB>MESSAGE": each example code line of FILE of the form
#     persist: error: MESSAGE
# (four spaces in), with the exit code its section's heading gives
# ("## ... (exit N)"; "?" where none does).
guide_quotes() {
  awk '/^## / { code = "?"; if (match($0, /\(exit [0-9]\)/)) code = substr($0, RSTART + 6, 1) }
       /^    persist: error: / { sub(/^    persist: error: /, ""); print code "\t" $0 }' "$1"
}

# quote_matches QUOTE FILE: FILE (persist's stderr) holds the message
# QUOTE as the guide writes it, where "<...>" and "..." stand for any text.
quote_matches() {
  python3 - "$1" "$2" <<'PY'
import re, sys
quote, path = sys.argv[1], sys.argv[2]
parts = re.split(r"<[^<>]*>|\.\.\.", quote)
pattern = "persist: error: " + ".*?".join(re.escape(part) for part in parts)
with open(path, encoding="utf-8", errors="replace") as f:
    text = f.read()
if re.search(pattern, text, re.S):
    sys.exit(0)
print("    the guide's message:  persist: error: " + quote, file=sys.stderr)
print("    is not in " + path + ":", file=sys.stderr)
for line in text.splitlines()[-5:]:
    print("    | " + line, file=sys.stderr)
sys.exit(1)
PY
}

# shop_release DIR VERSION: the vendor's app as it comes in the zip, in
# DIR/shop: artisan, composer.json, .env.example, VERSION, app/version.php,
# routes/web.php, public/index.php, public/css/app.css, public/up (what the
# health check asks: "shop VERSION up"), demo content in
# public/uploads/demo/banner.jpg, storage/ with framework/views/ and logs/,
# bootstrap/cache/.
shop_release() {
  local d=$1/shop version=$2
  mkdir -p "$d/app" "$d/routes" "$d/public/css" "$d/public/uploads/demo" \
    "$d/storage/framework/views" "$d/storage/logs" "$d/bootstrap/cache" ||
    die "mkdir in $d failed"
  printf '<?php // artisan of acme/shop\n' >"$d/artisan"
  printf '{"name": "acme/shop", "version": "%s"}\n' "$version" >"$d/composer.json"
  printf 'APP_NAME=Shop\nAPP_KEY=\nDB_PASSWORD=\n' >"$d/.env.example"
  printf '%s\n' "$version" >"$d/VERSION"
  printf '<?php return "shop %s";\n' "$version" >"$d/app/version.php"
  printf '<?php // routes of shop %s\n' "$version" >"$d/routes/web.php"
  printf "<?php echo require __DIR__ . '/../app/version.php';\n" >"$d/public/index.php"
  printf 'body { color: #%s }\n' "${version//./}" >"$d/public/css/app.css"
  printf 'shop %s up\n' "$version" >"$d/public/up"
  printf 'demo banner of shop %s\n' "$version" >"$d/public/uploads/demo/banner.jpg"
  : >"$d/storage/logs/.gitignore"
  : >"$d/storage/framework/views/.gitignore"
  : >"$d/bootstrap/cache/.gitignore"
}

# shop_zips HOME: what the vendor hands over, made with Info-ZIP as
# CodeCanyon's zips are, in HOME/uploads/:
#   shop-1.0.0.zip, shop-2.0.0.zip   full releases (shop/ at the top)
#   shop-update-2.1.0.zip            an update package: shop-update/ holding
#                                    VERSION 2.1.0, a new app/version.php and
#                                    public/up, and deleted-files.txt naming
#                                    routes/web.php
shop_zips() {
  local home=$1 version src
  mkdir -p "$home/uploads" || die "mkdir $home/uploads failed"
  for version in 1.0.0 2.0.0; do
    src=$WORK/vendor-$version
    shop_release "$src" "$version"
    (cd "$src" && zip -qr "$home/uploads/shop-$version.zip" shop) || die "zip of $version failed"
  done
  src=$WORK/vendor-update-2.1.0/shop-update
  mkdir -p "$src/app" "$src/public" || die "mkdir $src failed"
  printf '2.1.0\n' >"$src/VERSION"
  printf '<?php return "shop 2.1.0";\n' >"$src/app/version.php"
  printf 'shop 2.1.0 up\n' >"$src/public/up"
  printf '# removed in 2.1.0\nroutes/web.php\n' >"$src/deleted-files.txt"
  (cd "$src/.." && zip -qr "$home/uploads/shop-update-2.1.0.zip" shop-update) ||
    die "zip of the update failed"
}

# init_guide_test PERSIST GUIDE: a guide test's start (lib.sh init_test):
# GUIDE the guide's absolute path, home $WORK/home, in $WORK.
init_guide_test() {
  init_test "$1"
  GUIDE=$(readlink -f "${2:-}") || die "usage: $0 PERSIST GUIDE"
  home=$WORK/home
  cd "$WORK" || die "cd $WORK"
}

# first_site HOME: the site a guide after first-setup.md starts from:
# shop_zips in HOME/uploads, and shop 1.0.0 deployed as release 1.0.0 into
# HOME/example.com, whose path goes to `site`.
first_site() {
  site=$1/example.com
  shop_zips "$1"
  mkdir -p "$site" || die "mkdir $site failed"
  persist_cmd setup deploy "$1/uploads/shop-1.0.0.zip" --root "$site" --id 1.0.0
  expect_rc 0 "the first setup"
}

# serve_site DIR: python3's http.server on a free port of 127.0.0.1,
# serving DIR (a site's current/public: every request follows current as
# it is then); sets GUIDE_PORT and SERVER_PID. stop_server stops it (an
# EXIT trap too).
serve_site() {
  local dir=$1 tries=0
  GUIDE_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    die "no free port on 127.0.0.1"
  python3 -m http.server "$GUIDE_PORT" --bind 127.0.0.1 --directory "$dir" \
    >"$WORK/http.log" 2>&1 &
  SERVER_PID=$!
  trap stop_server EXIT
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $GUIDE_PORT), 1)" 2>/dev/null; do
    tries=$((tries + 1))
    ((tries < 100)) || die "the http server on port $GUIDE_PORT did not start: $(cat "$WORK/http.log")"
    sleep 0.1
  done
}

stop_server() {
  [[ -z "${SERVER_PID:-}" ]] || kill "$SERVER_PID" 2>/dev/null
  SERVER_PID=
}

# same_tree A B: the two trees are equal (snapshot and same_snapshot, which
# leave out .persist/ and .deployment-history).
same_tree() {
  snapshot "$1" "$WORK/tree-a.snap"
  snapshot "$2" "$WORK/tree-b.snap"
  same_snapshot "$WORK/tree-a.snap" "$WORK/tree-b.snap"
}
