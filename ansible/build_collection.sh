#!/usr/bin/env bash
# Builds the Ansible collection persist.fleet (galaxy.yml: this directory
# is the collection) with ansible-galaxy, as from a checkout:
#
#   build_collection.sh OUT.tar.gz VERSION_FILE GALAXY_YML
#
# The collection's version must be the repository's VERSION, so that the
# package never ships a collection that names another release.
set -euo pipefail

if (($# != 3)); then
  echo "usage: build_collection.sh OUT.tar.gz VERSION_FILE GALAXY_YML" >&2
  exit 2
fi
out=$1 version_file=$2 galaxy=$3

version=$(tr -d ' \t\r\n' <"$version_file")
declared=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$galaxy")
if [[ "$declared" != "$version" ]]; then
  echo "build_collection.sh: $galaxy says version '$declared', but $version_file says '$version';" \
    "set version: $version in $galaxy" >&2
  exit 1
fi

# ansible-galaxy reads no configuration and writes nothing outside this
# build: not ~/.ansible, /etc/ansible/ansible.cfg or an ansible.cfg here.
stage=$(mktemp -d "${TMPDIR:-/tmp}/persist-collection.XXXXXX")
trap 'rm -rf "$stage"' EXIT
touch "$stage/ansible.cfg"
if ! ANSIBLE_CONFIG=$stage/ansible.cfg ANSIBLE_HOME=$stage/home ANSIBLE_LOCAL_TEMP=$stage/tmp \
  LC_ALL=C.UTF-8 ansible-galaxy collection build "$(dirname "$galaxy")" --output-path "$stage/out" \
  >"$stage/log" 2>&1; then
  echo "build_collection.sh: ansible-galaxy collection build $(dirname "$galaxy") failed" \
    "(is ansible-core installed? tools/setup installs it):" >&2
  cat "$stage/log" >&2
  exit 1
fi
# Compressed again without the time of the build in its gzip header, as
# Debian wants every gzip it ships (lintian: package-contains-timestamped-gzip).
gzip -dc "$stage/out/persist-fleet-$version.tar.gz" | gzip -9n >"$out"
