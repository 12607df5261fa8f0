#!/usr/bin/env bash
# persist classify --volumes: the paths persist keeps in shared/, as a
# docker compose service's volumes: block that YAML reads (python3-yaml,
# which ansible-core brings): one bind each from ./shared/PATH to
# CONTAINER_DIR/PATH, the exact persistent paths (.env, storage/) included,
# a profile's custom path too, quoted as it must be. Each source is a path
# a deploy of the same app really puts in shared/. Bad input: exit 2.
#
# usage: classify_volumes_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"
command -v python3 >/dev/null 2>&1 || die "python3 is not installed; run tools/setup"

sample_release rel laravel
mkdir -p "rel/public/qr codes" site/shared
printf 'custom: "public/qr codes/"\n' >site/shared/.persistence-config

# binds FILE: "SOURCE -> TARGET" per bind of FILE's volumes: block.
binds() {
  python3 -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for v in doc["volumes"]:
    assert v["type"] == "bind", v
    print(v["source"], "->", v["target"])
' "$1"
}

persist_cmd v classify rel --root site --volumes
expect_rc 0 "classify --volumes"
check "the block is YAML with a volumes: list" binds v.out
binds v.out >binds.txt 2>&1
for path in .env storage bootstrap/cache public/uploads "public/qr codes"; do
  check "it binds $path" grep -qxF "./shared/$path -> /var/www/html/$path" binds.txt ||
    show_file binds.txt
done
check "it binds no application code" bash -c '! grep -qE "/(app|vendor|routes|config)( |$)" binds.txt'

persist_cmd c classify rel --root site --volumes --container-dir /srv/app
expect_rc 0 "classify --volumes --container-dir /srv/app"
check "the targets are under /srv/app" \
  grep -qxF "./shared/storage -> /srv/app/storage" <(binds c.out)

# Each source is what a deploy of the app keeps in shared/.
persist_cmd d deploy "$WORK/rel" --root site --id 1
expect_rc 0 "deploy of the same app"
while IFS= read -r line; do
  source=${line%% -> *}
  check "shared/${source#./shared/} exists after the deploy" test -e "site/${source#./}"
done <binds.txt

persist_cmd j classify rel --volumes --json
expect_rc 2 "--volumes with --json"
check "it says to give one" has j.err "give one of them"
persist_cmd r classify rel --volumes --container-dir app
expect_rc 2 "a relative --container-dir"
check "it names the value" has r.err '--container-dir "app" is not an absolute path'
persist_cmd m classify "$WORK/no-such-app" --volumes
expect_rc 2 "an app directory that is not there"
check "it names the directory" has m.err "no-such-app"

finish
