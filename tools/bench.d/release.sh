# shellcheck shell=bash
# The release the deploy scenarios of tools/bench deploy (sourced).

# release_listing DIR OUT [nomtime]: every path of a release as the app sees
# it, through its links into shared/ (the snapshot tool's --follow-links):
# type, mode, size, file mtime and the SHA-256 of every file; with
# "nomtime", without mtimes (Deployer seeds shared/ with cp -r, which gives
# the copies new ones). .env is left out: a deploy seeds it from
# .env.example (mode 0600) where the release has none, and Deployer touches
# an empty one. So is public/.well-known/: persist makes it in shared/ and
# links it though no release ships it (the black-box tests leave it out too).
release_listing() {
  local dir=$1 out=$2 mtimes=()
  [[ ${3:-} != nomtime ]] || mtimes=(--no-mtimes)
  "$work/bin/snapshot" --follow-links --exclude .env --exclude public/.well-known \
    "${mtimes[@]}" "$dir" >"$out" ||
    die "the listing of $dir failed"
}

# link_listing SITE OUT: where current points, and every symlink of the live
# release with its target: the links into shared/ a deploy makes, but for
# public/.well-known, which persist makes whatever the release ships and
# Deployer's shared_dirs (persist classify's of the release) do not list.
link_listing() {
  local site=$1 out=$2 id
  id=$(readlink "$site/current") || die "$site has no current link"
  {
    echo "current -> ${id%/}"
    (cd "$site/$id" && LC_ALL=C find . -path ./public/.well-known -prune -o -type l -printf '%p -> %l\n' |
      LC_ALL=C sort)
  } >"$out"
}

# count_files DIR: prints "FILES BYTES" (regular files, their apparent size).
count_files() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d %d\n", NR, s }'; }

# make_release DIR MIN_FILES MIN_BYTES: "Invoicly", a CodeCanyon-style
# Laravel app: app/, config/, routes/, resources/, database/, public/ (css/,
# js/, templates/, qrcodes/, and uploads/ with the vendor's demo files),
# storage/, bootstrap/cache/, .env.example, and vendor/ holding copies of the
# PHP Debian ships in /usr/share/php (php-laravel-framework and the packages
# it pulls in): vendor/php, then vendor/php2 ... until the release holds
# MIN_FILES files and takes MIN_BYTES on disk (du); MIN_FILES 0 for one copy.
# Sets rel_files, rel_bytes (file content), rel_disk (du, bytes), rel_dirs,
# rel_copies and rel_php_files.
make_release() {
  local d=$1 min_files=$2 min_bytes=$3 i c
  mkdir -p "$d"/app/Http/Controllers "$d"/app/Http/Middleware "$d"/app/Models "$d"/app/Providers \
    "$d"/config "$d"/routes "$d"/resources/views/layouts "$d"/database/migrations \
    "$d"/public/css "$d"/public/js "$d"/public/templates "$d"/public/qrcodes "$d"/public/uploads/demo \
    "$d"/storage/app/public "$d"/storage/framework/cache "$d"/storage/framework/sessions \
    "$d"/storage/framework/views "$d"/storage/logs "$d"/bootstrap/cache "$d"/vendor/composer
  printf '%s\n' APP_NAME=Invoicly APP_ENV=production APP_KEY= APP_DEBUG=false \
    APP_URL=https://invoicly.example DB_CONNECTION=mysql DB_HOST=127.0.0.1 DB_DATABASE=invoicly \
    DB_USERNAME=invoicly DB_PASSWORD= MAIL_MAILER=smtp QUEUE_CONNECTION=database >"$d/.env.example"
  printf '#!/usr/bin/env php\n<?php\nrequire __DIR__."/vendor/autoload.php";\n' >"$d/artisan"
  chmod 0755 "$d/artisan"
  printf '{\n  "name": "invoicly/invoicly",\n  "require": {"php": "^8.2", "laravel/framework": "^10.0"}\n}\n' >"$d/composer.json"
  printf '<?php\nrequire __DIR__."/composer/autoload_real.php";\n' >"$d/vendor/autoload.php"
  printf '<?php // composer autoloader for Invoicly\nset_include_path(__DIR__."/../php");\n' >"$d/vendor/composer/autoload_real.php"
  for c in Controller Home Invoice Client Payment Report Qr Settings; do
    [[ $c == Controller ]] && i=Controller || i=${c}Controller
    printf '<?php\n\nnamespace App\\Http\\Controllers;\n\nclass %s extends Controller\n{\n    public function index()\n    {\n        return view("%s.index");\n    }\n}\n' \
      "$i" "${c,,}" >"$d/app/Http/Controllers/$i.php"
  done
  for c in User Invoice Client Payment; do
    printf '<?php\n\nnamespace App\\Models;\n\nuse Illuminate\\Database\\Eloquent\\Model;\n\nclass %s extends Model\n{\n    protected $guarded = [];\n}\n' "$c" >"$d/app/Models/$c.php"
  done
  printf '<?php\n\nnamespace App\\Http\\Middleware;\n\nclass Authenticate {}\n' >"$d/app/Http/Middleware/Authenticate.php"
  printf '<?php\n\nnamespace App\\Providers;\n\nclass AppServiceProvider {}\n' >"$d/app/Providers/AppServiceProvider.php"
  for c in app database filesystems mail queue session; do
    printf '<?php\n\nreturn [\n    "name" => env("APP_NAME", "Invoicly"),\n    "%s" => [],\n];\n' "$c" >"$d/config/$c.php"
  done
  printf '<?php\n\nRoute::get("/", [HomeController::class, "index"]);\n' >"$d/routes/web.php"
  printf '<?php\n\nRoute::get("/invoices", [InvoiceController::class, "index"]);\n' >"$d/routes/api.php"
  printf '<!doctype html>\n<title>@yield("title")</title>\n@yield("content")\n' >"$d/resources/views/layouts/app.blade.php"
  printf '@extends("layouts.app")\n@section("content")<h1>Invoicly</h1>@endsection\n' >"$d/resources/views/welcome.blade.php"
  printf '<?php\n\nreturn new class extends Migration {};\n' >"$d/database/migrations/2024_01_01_000000_create_invoices_table.php"
  printf '<?php\nrequire __DIR__."/../vendor/autoload.php";\n' >"$d/public/index.php"
  printf '<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteRule ^ index.php [L]\n</IfModule>\n' >"$d/public/.htaccess"
  printf 'User-agent: *\nDisallow:\n' >"$d/public/robots.txt"
  head -c 15086 /dev/urandom >"$d/public/favicon.ico"
  for ((i = 0; i < 4000; i++)); do printf '.c%d{margin:%dpx;padding:%dpx}\n' "$i" $((i % 17)) $((i % 11)); done >"$d/public/css/app.css"
  for ((i = 0; i < 8000; i++)); do printf 'function f%d(a){return a+%d}\n' "$i" "$i"; done >"$d/public/js/app.js"
  printf '<html><body><h1>Invoice {{number}}</h1>{{lines}}</body></html>\n' >"$d/public/templates/invoice.html"
  printf '<html><body><h1>Receipt {{number}}</h1></body></html>\n' >"$d/public/templates/receipt.html"
  : >"$d/public/qrcodes/.gitkeep"
  head -c 48213 /dev/urandom >"$d/public/uploads/demo/avatar-1.png"
  head -c 61877 /dev/urandom >"$d/public/uploads/demo/avatar-2.png"
  head -c 310442 /dev/urandom >"$d/public/uploads/demo/banner.jpg"
  head -c 126019 /dev/urandom >"$d/public/uploads/demo/sample-invoice.pdf"
  printf '*\n!.gitignore\n' | tee "$d/bootstrap/cache/.gitignore" "$d/storage/app/public/.gitignore" \
    "$d/storage/framework/cache/.gitignore" "$d/storage/framework/sessions/.gitignore" \
    "$d/storage/framework/views/.gitignore" "$d/storage/logs/.gitignore" >/dev/null
  cp -a "$php_src" "$d/vendor/php"
  rel_copies=1
  read -r rel_php_files _ < <(count_files "$php_src")
  read -r rel_files rel_bytes < <(count_files "$d")
  rel_disk=$(($(du -sk "$d" | cut -f1) * 1024))
  while ((rel_files < min_files || rel_disk < min_bytes)); do
    ((rel_copies < 64)) || die "64 copies of $php_src are still short of $min_files files and $min_bytes bytes"
    rel_copies=$((rel_copies + 1))
    cp -a "$php_src" "$d/vendor/php$rel_copies"
    read -r rel_files rel_bytes < <(count_files "$d")
    rel_disk=$(($(du -sk "$d" | cut -f1) * 1024))
  done
  rel_dirs=$(find "$d" -type d | wc -l)
}

# deploy_site MODE ROUND: sets $site to the site MODE runs on in ROUND, and
# flushes everything to disk (sync). A new empty directory (with releases/
# for cp -a); for again-*, the site that ROUND's first deploy left, made the
# same way (manifest on or off). No site is removed before the timing ends:
# on a filesystem without a journal, ext4 skips the inodes deleted in the
# last minute or more when it allocates one (recently_deleted() in
# fs/ext4/ialloc.c), and every file a timed run creates would pay for each

# make_update REL DIR: the vendor's next version of REL in DIR: a copy (cp -a,
# so that unchanged files keep their mtimes, as unzip keeps an archive's)
# where one file in 33 under vendor/ has a line added, one in 500 is gone, 20
# new files are in vendor/php/Illuminate/Foundation/, a controller changed
# and composer.json names a new version. Sets upd_modified, upd_added and
# upd_removed (files), and upd_bytes (the changed and added files' bytes).
make_update() {
  local src=$1 d=$2 i=0 f
  cp -a "$src" "$d"
  upd_modified=0 upd_removed=0 upd_added=0 upd_bytes=0
  while IFS= read -r -d '' f; do
    i=$((i + 1))
    if ((i % 500 == 250)); then
      rm "$d/$f"
      upd_removed=$((upd_removed + 1))
    elif ((i % 33 == 0)); then
      printf '\n// patched in 10.48.2\n' >>"$d/$f"
      upd_modified=$((upd_modified + 1))
      upd_bytes=$((upd_bytes + $(stat -c %s "$d/$f")))
    fi
  done < <(cd "$d" && LC_ALL=C find vendor -type f -print0 | LC_ALL=C sort -z)
  for ((i = 1; i <= 20; i++)); do
    f=$d/vendor/php/Illuminate/Foundation/Added$i.php
    printf '<?php\n\nnamespace Illuminate\\Foundation;\n\nclass Added%d\n{\n}\n' "$i" >"$f"
    upd_bytes=$((upd_bytes + $(stat -c %s "$f")))
  done
  upd_added=20
  printf '\n// invoice totals rounded per line\n' >>"$d/app/Http/Controllers/InvoiceController.php"
  sed -i 's/"name": "invoicly\/invoicly",/"name": "invoicly\/invoicly", "version": "2.1.0",/' "$d/composer.json"
  upd_modified=$((upd_modified + 2))
  upd_bytes=$((upd_bytes + $(stat -c %s "$d/app/Http/Controllers/InvoiceController.php" "$d/composer.json" | awk '{ s += $1 } END { print s }')))
}

# shared_of REL: sets shared_dirs and shared_files, what Deployer's
# shared_dirs and shared_files list for REL: the paths persist's blueprint
# makes persistent in it (persist classify), but for those inside another
# (Deployer refuses nested shared dirs), and .env.
shared_of() {
  persist classify "$1" >"$work/classify.txt" || die "persist classify $1 failed (see $work/classify.txt)"
  shared_dirs=$(awk '$1 != "APP" && $3 != "inside" && $2 ~ /\/$/ { printf "%s ", $2 }' "$work/classify.txt")
  shared_files=".env $(awk '$1 != "APP" && $3 != "inside" && $2 !~ /\/$/ { printf "%s ", $2 }' "$work/classify.txt")"
}

# make_update_package REL NEW ZIP: a vendor update of the release REL. NEW
# is a copy of REL in which 500 files under vendor/, spread evenly over
# their sorted list, have a line added (their paths in NEW.changed); ZIP is
# the update package, a zip of those 500 files alone in the release's
# layout (Info-ZIP, no deleted-files.txt). Sets pkg_bytes, the 500 files'
# size.
make_update_package() {
  local rel=$1 new=$2 zip=$3 n f
  cp -a "$rel" "$new" || die "cp -a $rel $new failed"
  (cd "$new" && LC_ALL=C find vendor -type f -print | LC_ALL=C sort) >"$new.vendor-files"
  n=$(wc -l <"$new.vendor-files")
  ((n >= 500)) || die "the release $rel has $n files under vendor/, fewer than the 500 the update changes"
  awk -v n="$n" 'int(NR * 500 / n) != int((NR - 1) * 500 / n)' "$new.vendor-files" >"$new.changed"
  n=$(wc -l <"$new.changed")
  ((n == 500)) || die "picked $n files of $rel to change, not 500"
  while IFS= read -r f; do printf '\n// patched in 10.48.3\n' >>"$new/$f"; done <"$new.changed"
  pkg_bytes=$(cd "$new" && tr '\n' '\0' <"$new.changed" | xargs -0 stat -c %s | awk '{ s += $1 } END { print s }')
  (cd "$new" && zip -qry "$zip" -@ <"$new.changed") || die "zip of the update package $zip failed"
  n=$(unzip -Z1 "$zip" | grep -vc '/$' || true)
  ((n == 500)) || die "the update package $zip holds $n files, not 500"
}

# scenario_release DIR: the release a scenario deploys, its path put in
# scenario_rel: the deploy scenario's when it ran, else one made in DIR as
# that scenario makes its own (make_release: 12,000 files and 100 MB or
# more; one copy of /usr/share/php with --quick).
scenario_release() {
  if [[ -d "$work/release" && -n "$do_deploy" ]]; then
    scenario_rel=$work/release
    echo "release: $scenario_rel (the deploy scenario's)"
  else
    scenario_rel=$1
    if [[ -n "$quick" ]]; then make_release "$scenario_rel" 0 0; else make_release "$scenario_rel" 12000 100000000; fi
    echo "release: $scenario_rel"
  fi
}
