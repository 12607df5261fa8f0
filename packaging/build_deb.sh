#!/usr/bin/env bash
# Builds the Debian package of persist with dpkg-deb (no debhelper: there is
# no source package, only a binary one made from Bazel's output).
#
#   build_deb.sh OUT.deb PERSIST ULTIMATE_PERSISTENCE_SH VERSION_FILE \
#                COPYRIGHT CHANGELOG ULTIMATE_PERSISTENCE_1 README COLLECTION \
#                [GUIDE.md...]
#
# The guides (docs/guides/) go to /usr/share/doc/persist/guides/; the
# Ansible collection persist.fleet (//ansible:collection, ansible/README.md)
# to /usr/share/persist/ansible/persist-fleet-VERSION.tar.gz, for
# `ansible-galaxy collection install` on the controller.
#
# The man pages and the completion script are what the binary itself prints
# (persist --man [COMMAND], persist --completion bash): made from its command table,
# they cannot drift from --help. The changelog's newest entry must be the
# version in VERSION, so that a release cannot ship a stale changelog.
set -euo pipefail

if (($# < 9)); then
  echo "usage: build_deb.sh OUT PERSIST SCRIPT VERSION COPYRIGHT CHANGELOG SCRIPT_MAN README COLLECTION [GUIDE...]" >&2
  exit 2
fi
out=$1 persist=$2 script=$3 version_file=$4 copyright=$5 changelog=$6 script_man=$7 readme=$8
collection=$9
guides=("${@:10}")

version=$(tr -d ' \t\r\n' <"$version_file")
top=$(sed -n '1s/^persist (\([^)]*\)).*/\1/p' "$changelog")
if [[ "$top" != "$version" ]]; then
  echo "build_deb.sh: $changelog starts with version '$top', but VERSION says '$version';" \
    "add an entry for $version at the top of $changelog" >&2
  exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/persist-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/persist
install -d -m 0755 "$root/usr/bin" "$root/usr/share/man/man1" \
  "$root/usr/share/bash-completion/completions" "$root/usr/share/doc/persist" \
  "$root/usr/share/persist/ansible" "$root/DEBIAN"

install -m 0755 "$persist" "$root/usr/bin/persist"
# Debian ships binaries stripped (lintian: unstripped-binary-or-object).
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/persist"
install -m 0755 "$script" "$root/usr/bin/ultimate-persistence"

"$persist" --man | gzip -9n >"$root/usr/share/man/man1/persist.1.gz"
# One page per command beside it (persist-deploy(1), ...), for `man
# persist-deploy`; the commands are those --help lists.
for command in $("$persist" --help | sed -n 's/^  persist \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p' | sort -u); do
  "$persist" --man "$command" | gzip -9n >"$root/usr/share/man/man1/persist-$command.1.gz"
done
gzip -9n <"$script_man" >"$root/usr/share/man/man1/ultimate-persistence.1.gz"
"$persist" --completion bash >"$root/usr/share/bash-completion/completions/persist"
install -m 0644 "$copyright" "$root/usr/share/doc/persist/copyright"
gzip -9n <"$changelog" >"$root/usr/share/doc/persist/changelog.Debian.gz"
gzip -9n <"$readme" >"$root/usr/share/doc/persist/README.md.gz"
# Named as ansible-galaxy names a built collection; its version is VERSION
# (ansible/build_collection.sh checks it).
install -m 0644 "$collection" "$root/usr/share/persist/ansible/persist-fleet-$version.tar.gz"
if ((${#guides[@]} > 0)); then
  install -d -m 0755 "$root/usr/share/doc/persist/guides"
  for guide in "${guides[@]}"; do
    gzip -9n <"$guide" >"$root/usr/share/doc/persist/guides/$(basename "$guide").gz"
  done
fi
# lintian's one warning, overridden: the version (VERSION, e.g. 0.9.0) has no
# Debian revision, so lintian takes the package for a native one, whose
# changelog it expects as changelog.gz; operators' tools and the issue that
# asked for this package look for changelog.Debian.gz, the name every binary
# package built from an upstream release uses.
install -d -m 0755 "$root/usr/share/lintian/overrides"
printf '%s\n' \
  'persist: wrong-name-for-changelog-of-native-package [usr/share/doc/persist/changelog.Debian.gz]' \
  >"$root/usr/share/lintian/overrides/persist"
chmod 0644 "$root/usr/share/lintian/overrides/persist"
find "$root/usr" -type f -name '*.gz' -exec chmod 0644 {} +
chmod 0644 "$root/usr/share/bash-completion/completions/persist"

# The shared libraries the binary needs, as Debian packages with their
# minimum versions, from the packages' own symbols files.
mkdir -p "$stage/debian"
printf 'Source: persist\n\nPackage: persist\nArchitecture: amd64\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e"$root/usr/bin/persist" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
if [[ -z "$depends" ]]; then
  echo "build_deb.sh: dpkg-shlibdeps found no library for $persist; is dpkg-dev installed" \
    "(tools/setup)?" >&2
  exit 1
fi

installed_kib=$(du -sk --apparent-size "$root/usr" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: persist
Version: $version
Architecture: amd64
Maintainer: persist maintainers <maintainers@users.noreply.r-seed-74e3c767.example>
Installed-Size: $installed_kib
Depends: $depends
Recommends: bash-completion
Section: admin
Priority: optional
Description: transactional deploys of PHP/Laravel apps that keep user data
 persist deploys releases of an app into a site (releases/, current,
 shared/) so that the data that belongs to the site, not to a release,
 lives once in shared/ and survives every vendor update. Every change is
 recorded in a journal before it is made, applied by an atomic rename,
 and can be undone exactly: persist undo after a run, persist recover
 after an interrupted one.
 .
 The package holds the persist command, the blueprint's
 ultimate-persistence command, the persist(1) man page with one
 page per command (persist-deploy(1), ...), the guides, bash
 completion, and the Ansible collection persist.fleet for fleet deploys
 (/usr/share/persist/ansible/).
CONTROL
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
