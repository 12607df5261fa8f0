#!/usr/bin/env bash
# The Debian package installed as an operator installs it: a fresh, minimal
# Debian 12 root made by debootstrap from Debian's mirror, entered with
# chroot, where `apt-get install -y ./persist_<version>_amd64.deb` must
# fetch every library the package depends on from the mirror. Inside it:
# persist --version prints VERSION; `man persist` and every other page the
# package ships render through man's own search path; bash completion,
# loaded as bash-completion loads it, completes `persist de<TAB>` to deploy;
# ultimate-persistence links an app from inside it as the blueprint writes
# it, and that run is undone byte for byte; the sample app is deployed,
# updated, verified, and the update undone byte for byte; then
# `apt-get purge -y persist` removes the package's files and leaves every
# site byte for byte as it was. Nothing stays mounted afterwards, even when
# a check fails or the test dies halfway (EXIT trap, checked with findmnt).
#
# Skips (prints "SKIP: ...", exits 0) when not root (debootstrap, chroot and
# mount need it) or when the mirror cannot be reached; a missing tool is a
# failure (tools/setup installs debootstrap and curl).
#
# usage: apt_install_test.sh PERSIST_DEB SNAPSHOT VERSION_FILE   (bazel passes them)
#   bazel test //packaging:apt_install_test
source "$TEST_SRCDIR/persist/tests/blackbox/lib.sh" || exit 1

# The mirror and suite of the machines the package is for: Debian 12, as the
# host's own /etc/apt/sources.list.d names it.
MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
SUITE=bookworm

usage="usage: apt_install_test.sh PERSIST_DEB SNAPSHOT VERSION_FILE"
deb=$(readlink -f "${1:?$usage}") || die "cannot resolve $1"
SNAPSHOT_TOOL=$(readlink -f "${2:?$usage}") || die "cannot resolve $2"
version=$(tr -d ' \t\r\n' <"${3:?$usage}") || die "cannot read the version from $3"
examples=$TEST_SRCDIR/persist/examples
export LC_ALL=C

# skip REASON: the test cannot run on this machine for a reason outside the
# package; says which and exits 0.
skip() {
  printf 'SKIP: %s\n' "$*"
  exit 0
}

# require_root_and_mirror: skips unless this is root and the mirror answers;
# dies when a tool the test needs is missing, or when the mirror answers but
# not as a Debian mirror with SUITE.
require_root_and_mirror() {
  ((EUID == 0)) ||
    skip "installing a package into a new root needs root (debootstrap, mount, chroot); running as uid $EUID"
  local tool
  for tool in debootstrap curl chroot findmnt; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool is not installed (PATH=$PATH); run tools/setup, which installs it"
  done
  local err rc=0
  err=$(curl -fsS --max-time 30 -o /dev/null "$MIRROR/dists/$SUITE/Release" 2>&1) || rc=$?
  case $rc in
    0) ;;
    5 | 6 | 7 | 28 | 35 | 52 | 56)
      skip "the Debian mirror $MIRROR cannot be reached from this machine (curl exit $rc: $err):" \
        "the package's dependencies cannot be fetched"
      ;;
    *)
      die "$MIRROR answered, but $MIRROR/dists/$SUITE/Release could not be fetched (curl exit $rc: $err);" \
        "is it a Debian mirror that carries $SUITE?"
      ;;
  esac
}

# mounts_under DIR: the mount points at DIR or beneath it, one a line,
# deepest last (findmnt lists them in mount order).
mounts_under() {
  findmnt -rn -o TARGET | awk -v d="$1" '$0 == d || index($0, d "/") == 1'
}

# processes_in_root: the pids of processes whose root directory is the test's
# root (a daemon a package's script started would be one).
processes_in_root() {
  local proc
  for proc in /proc/[0-9]*; do
    [[ "$(readlink "$proc/root" 2>/dev/null)" == "$root" ]] && echo "${proc#/proc/}"
  done
  return 0
}

# leave_root: ends the processes still running inside the root, then
# unmounts everything mounted at or beneath it, deepest first: what
# enter_root mounted, and what an interrupted debootstrap left. Fails,
# naming each mount still there, when one cannot be unmounted.
leave_root() {
  [[ -n "${root:-}" && -d "$root" ]] || return 0
  local pid target left
  for pid in $(processes_in_root); do
    echo "leave_root: ending process $pid left running inside $root: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
    kill -KILL "$pid" 2>/dev/null
  done
  for target in $(mounts_under "$root" | sort -r); do
    umount "$target" 2>/dev/null || umount "$target" ||
      echo "leave_root: cannot unmount $target (busy? fuser -vm $target names who holds it)" >&2
  done
  left=$(mounts_under "$root")
  [[ -z "$left" ]] && return 0
  echo "leave_root: still mounted beneath $root: $(tr '\n' ' ' <<<"$left")" >&2
  return 1
}

# on_exit: the EXIT trap. Unmounts everything at or beneath the root (its
# tmpfs too) whether the test passed, failed or died, and removes what is
# left only when nothing is mounted there any more, so that rm can never
# reach the host through a mount. Something left mounted fails the test.
on_exit() {
  local rc=$?
  if ! leave_root; then
    echo "FATAL: mounts are left beneath $root (above); unmount them (umount PATH), then remove $root" >&2
    exit 1
  fi
  if [[ -n "${root:-}" && -d "$root" ]]; then
    rm -rf --one-file-system "$root"
  fi
  exit "$rc"
}

# make_root: a minimal Debian 12 in $root, made by debootstrap from the
# mirror (--variant=minbase: essential packages and apt, no man-db, no
# bash-completion), its sources those of a fresh Debian 12 install. The
# root is a tmpfs of its own: dpkg syncs every file it unpacks, which on a
# disk shared with other builds took minutes, and removing the root is then
# an unmount. What is checked does not depend on the filesystem under it
# (tests/blackbox runs persist on ext4 and btrfs).
make_root() {
  local start=$SECONDS
  mkdir "$root" || die "mkdir $root failed"
  mount -t tmpfs -o size=2g,mode=0755 tmpfs "$root" || die "mount -t tmpfs tmpfs $root failed"
  if ! debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >debootstrap.log 2>&1; then
    tail -n 30 debootstrap.log | sed 's/^/    | /' >&2
    die "debootstrap --variant=minbase $SUITE $root $MIRROR failed (above; the whole log is $work/debootstrap.log)"
  fi
  echo "debootstrap: a minimal $SUITE root in $((SECONDS - start))s"
  # debootstrap lists only the release itself; the installer adds the
  # updates and security suites, which a fresh machine installs from.
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SOURCES
  # No daemon a package may bring is started: it would outlive the test
  # inside the root and keep its mounts busy.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
}

# enter_root: mounts what apt, dpkg, man and persist use inside the root:
# a proc, a read-only sysfs and a devpts of their own (new instances, no
# bind of the host's /dev: debootstrap made /dev's nodes already).
enter_root() {
  mount -t proc proc "$root/proc" || die "mount -t proc proc $root/proc failed"
  mount -t sysfs -o ro sysfs "$root/sys" || die "mount -t sysfs sysfs $root/sys failed"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts" ||
    die "mount -t devpts devpts $root/dev/pts failed"
}

# in_root NAME COMMAND...: runs COMMAND inside the root, as root logged in
# there (a clean environment, HOME=/root, cwd /), stdout in NAME.out, stderr
# in NAME.err, no standard input; sets rc and last. A run that empties the
# trash does it before exiting, so that nothing changes the sites after it.
in_root() {
  last=$1
  shift
  rc=0
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive PERSIST_EMPTY_TRASH=wait \
    "$@" >"$last.out" 2>"$last.err" </dev/null || rc=$?
}

# installed PACKAGE: prints PACKAGE's dpkg status inside the root
# ("install ok installed"), or nothing when dpkg does not know it.
installed() {
  chroot "$root" dpkg-query -W -f='${Status}' "$1" 2>/dev/null
}

# root_packages: the packages installed inside the root, one a line, sorted.
root_packages() {
  chroot "$root" dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | sort
}

# depends_names: the packages the package's Depends field names (every
# alternative, versions left out), one a line, sorted.
depends_names() {
  dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed 's/(.*//; s/[[:space:]]//g' | grep . | sort -u
}

# provided_in_root: every package installed in the root and every virtual
# package one of them provides (libspdlog1.10 provides libspdlog1.10-fmt9),
# one a line, sorted.
provided_in_root() {
  chroot "$root" dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Provides}\n' |
    awk -F'|' '$1 ~ /^ii/ {
      print $2
      n = split($3, provided, ",")
      for (i = 1; i <= n; i++) { p = provided[i]; sub(/^ +/, "", p); sub(/ .*/, "", p); print p }
    }' | sort -u
}

# fetched_from_mirror NEW_PACKAGES APT_OUT: every package of NEW_PACKAGES
# (a file, one a line) was downloaded from the mirror by the run whose
# output is APT_OUT (its lines "Get:N URI SUITE/COMPONENT ARCH PACKAGE ...");
# names those that were not.
fetched_from_mirror() {
  local missing
  missing=$(comm -23 "$1" <(awk -v m="$MIRROR" -v s="$SECURITY_MIRROR" \
    '/^Get:/ && ($2 == m || $2 == s) { print $5 }' "$2" | sort -u))
  [[ -z "$missing" ]] && return 0
  echo "    not downloaded from $MIRROR by the install: $(tr '\n' ' ' <<<"$missing")" >&2
  return 1
}

# differ A B: files A and B are not the same.
differ() {
  ! cmp -s "$1" "$2"
}

require_root_and_mirror
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/apt.XXXXXX") || die "mktemp under ${TEST_TMPDIR:-/tmp} failed"
cd "$work" || die "cd $work"
root=$work/root
trap on_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

make_root
enter_root
check "the minimal root has no persist before the install" test ! -e "$root/usr/bin/persist"

# The package under the name tools/package gives it, in root's home, where
# an operator who copied it to the machine would run apt from.
debname=persist_${version}_amd64.deb
cp "$deb" "$root/root/$debname" || die "cp $deb $root/root/$debname failed"
chmod 0644 "$root/root/$debname"
root_packages >packages-before.txt
comm -23 <(depends_names) <(provided_in_root) >depends-missing.txt
echo "the minimal root lacks these packages that persist depends on: $(tr '\n' ' ' <depends-missing.txt)"
check "the minimal root lacks libraries the package depends on (else apt would resolve nothing)" \
  test -s depends-missing.txt

start=$SECONDS
in_root update apt-get update
expect_rc 0 "apt-get update inside the root, from $MIRROR"
((rc == 0)) || die "apt-get update failed inside $root (update.err above); nothing else can be checked"
in_root install bash -c "cd /root && apt-get install -y ./$debname"
expect_rc 0 "apt-get install -y ./$debname in a fresh minimal $SUITE"
if ((rc != 0)); then
  show_file install.out
  die "the package did not install into $root (apt's output above); nothing else can be checked"
fi
echo "apt-get: update and install in $((SECONDS - start))s"
check "apt printed no error and no warning installing it" \
  test -z "$(grep -E '^(E|W): ' install.out install.err)" || show_file install.err
check "dpkg has persist $version installed and configured" \
  test "$(installed persist)" = "install ok installed" -a \
  "$(chroot "$root" dpkg-query -W -f='${Version}' persist)" = "$version"
in_root audit dpkg --audit
check "dpkg --audit finds no package half installed" test "$rc" -eq 0 -a ! -s audit.out ||
  show_file audit.out
root_packages >packages-after.txt
comm -13 packages-before.txt packages-after.txt | grep -vx persist >packages-new.txt
echo "apt-get: installed with persist: $(tr '\n' ' ' <packages-new.txt)"
check "apt installed every library of the package's Depends that the root lacked" \
  test -z "$(comm -23 depends-missing.txt <(provided_in_root) | tee depends-left.txt)" ||
  show_file depends-left.txt
check "apt downloaded every package it installed with persist from $MIRROR" \
  fetched_from_mirror packages-new.txt install.out
# Recommends: bash-completion, which apt installs unless told not to.
check "apt installed the package's Recommends (bash-completion)" \
  test "$(installed bash-completion)" = "install ok installed"
in_root ldd ldd /usr/bin/persist
check "every shared library of /usr/bin/persist resolves inside the root" \
  test "$rc" -eq 0 -a -z "$(grep 'not found' ldd.out)" || show_file ldd.out

# ---------------------------------------------------------------- the commands

in_root which bash -c 'command -v persist; command -v ultimate-persistence'
check "persist and ultimate-persistence are on root's PATH, in /usr/bin" \
  test "$(tr '\n' ' ' <which.out)" = "/usr/bin/persist /usr/bin/ultimate-persistence "
in_root version persist --version
expect_rc 0 "persist --version"
check "persist --version prints persist $version (VERSION)" \
  test "$(sed -n 1p version.out)" = "persist $version" || show_file version.out

# ---------------------------------------------------------------- man
# man-db is not in a minimal root and the package does not pull it: it
# should not Recommend it either. Debian gives man-db priority standard, so
# it is on every machine installed with the standard system utilities;
# Debian packages ship their pages without depending on or recommending it,
# and a container or minimal image that left it out did so on purpose (a
# Recommends would pull man-db and groff into it). The operator installs
# it, as here.
in_root man-db apt-get install -y man-db
expect_rc 0 "apt-get install -y man-db"
# Every page the package ships, through man's own search path (not -l):
# persist(1), which holds every command's help, one page per command
# (persist-deploy(1), ...) and ultimate-persistence(1).
chroot "$root" dpkg -L persist | sed -n 's|^/usr/share/man/man1/\(.*\)\.1\.gz$|\1|p' | sort >pages.txt
check "the package ships persist(1), persist-deploy(1) and ultimate-persistence(1)" \
  test "$(grep -cxE 'persist|persist-deploy|ultimate-persistence' pages.txt)" -eq 3
check "the package ships a page for every command persist --help lists" \
  test "$(grep -c '^persist-' pages.txt)" -eq \
  "$(chroot "$root" persist --help | sed -n 's/^  persist \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p' | sort -u | wc -l)"
while read -r page; do
  in_root "man-$page" bash -c "MANWIDTH=100 man --warnings -E UTF-8 $page"
  expect_rc 0 "man $page"
  check "man $page shows its NAME and SYNOPSIS" \
    grep -q '^SYNOPSIS' "man-$page.out" || show_file "man-$page.out"
  check "man $page gives no warning" test ! -s "man-$page.err" || show_file "man-$page.err"
  in_root "whatis-$page" whatis "$page"
  check "man-db indexed $page (whatis $page names it)" grep -q "^$page (1)" "whatis-$page.out" ||
    show_file "whatis-$page.err"
done <pages.txt
check "man persist explains persist deploy" grep -q '^   deploy$' man-persist.out

# ---------------------------------------------------------------- completion
# As bash-completion loads it on the first TAB after `persist` (its
# _completion_loader, which looks in /usr/share/bash-completion/completions),
# then as bash asks the function it registered: COMP_WORDS, COMP_CWORD,
# COMP_LINE, COMP_POINT, then COMPREPLY.
in_root complete bash -c '
  source /usr/share/bash-completion/bash_completion || exit 1
  _completion_loader persist
  spec=$(complete -p persist) || exit 1
  echo "spec: $spec"
  function=$(sed -n "s/.* -F \([^ ]*\) .*/\1/p" <<<"$spec")
  COMP_WORDS=(persist de) COMP_CWORD=1 COMP_LINE="persist de" COMP_POINT=10
  "$function" persist de persist
  printf "reply: %s\n" "${COMPREPLY[@]}"'
expect_rc 0 "loading the completion for persist"
check "bash-completion finds the completion in /usr/share/bash-completion/completions/persist" \
  grep -q '^spec: complete -F [^ ]* persist$' complete.out || show_file complete.out
check "persist de<TAB> completes to persist deploy" \
  test "$(sed -n 's/^reply: //p' complete.out | tr '\n' ' ')" = "deploy " || show_file complete.out

# ---------------------------------------------------------------- the blueprint
# ultimate-persistence from inside the app's directory, with the blueprint's
# own spelling ("$(pwd)" "$(pwd)/../shared" true); then its verify mode, and
# persist undo from the same directory (the site is found as git finds .git).
mkdir -p "$root/srv/blueprint"
cp -rL "$examples/sample-app" "$root/srv/blueprint/app" || die "cp -rL $examples/sample-app failed"
snapshot "$root/srv/blueprint" blueprint-before.snap
in_root blueprint bash -c 'cd /srv/blueprint/app && ultimate-persistence "$(pwd)" "$(pwd)/../shared" true'
expect_rc 0 "ultimate-persistence \"\$(pwd)\" \"\$(pwd)/../shared\" true, inside the app"
check "it linked the app's storage into shared" \
  test "$(readlink "$root/srv/blueprint/app/storage")" = ../shared/storage
check "it linked the app's uploads into shared" \
  test "$(readlink "$root/srv/blueprint/app/public/uploads")" = ../../shared/public/uploads
check "the demo upload now lives in shared" \
  test -f "$root/srv/blueprint/shared/public/uploads/demo/avatar-demo.txt"
check "its journal is in the directory holding both" test -d "$root/srv/blueprint/.persist/journal"
in_root blueprint-verify bash -c 'cd /srv/blueprint/app && ultimate-persistence "$(pwd)" "$(pwd)/../shared" verify'
expect_rc 0 "ultimate-persistence ... verify on the linked app"
in_root blueprint-undo bash -c 'cd /srv/blueprint/app && persist undo --yes'
expect_rc 0 "persist undo inside the app"
snapshot "$root/srv/blueprint" blueprint-undone.snap
check "after the undo the app is byte for byte as before ultimate-persistence" \
  same_snapshot blueprint-before.snap blueprint-undone.snap

# ---------------------------------------------------------------- a deploy
# The sample app and its vendor update, as the operator uploaded them.
mkdir -p "$root/srv/vendor"
cp -rL "$examples/sample-app" "$root/srv/vendor/v1" || die "cp -rL $examples/sample-app failed"
cp -rL "$examples/sample-app-v2" "$root/srv/vendor/v2" || die "cp -rL $examples/sample-app-v2 failed"

in_root deploy1 persist deploy /srv/vendor/v1 --root /srv/site --id v1
expect_rc 0 "persist deploy of the sample app into a new site"
check "current points at v1" test "$(readlink "$root/srv/site/current")" = releases/v1
snapshot "$root/srv/site" v1.snap
in_root deploy2 persist deploy /srv/vendor/v2 --root /srv/site --id v2
expect_rc 0 "persist deploy of the vendor's update"
check "current points at v2" test "$(readlink "$root/srv/site/current")" = releases/v2
snapshot "$root/srv/site" v2.snap
check "the update changed the site (else its undo would prove nothing)" differ v1.snap v2.snap
in_root verify persist verify --root /srv/site
expect_rc 0 "persist verify after the update"
in_root undo persist undo --root /srv/site --yes
expect_rc 0 "persist undo of the update"
snapshot "$root/srv/site" undone.snap
check "after the undo the site is byte for byte as after the first deploy" \
  same_snapshot v1.snap undone.snap
in_root verify2 persist verify --root /srv/site
expect_rc 0 "persist verify after the undo"

# ---------------------------------------------------------------- purge
# Everything under /srv, .persist/ and the history included: removing the
# package must not touch a site.
"$SNAPSHOT_TOOL" "$root/srv" >srv-before-purge.snap || die "snapshot of $root/srv failed"
in_root purge apt-get purge -y persist
expect_rc 0 "apt-get purge -y persist"
check "dpkg no longer has persist installed" test "$(installed persist)" != "install ok installed"
for path in usr/bin/persist usr/bin/ultimate-persistence usr/share/man/man1/persist.1.gz \
  usr/share/bash-completion/completions/persist usr/share/doc/persist; do
  check "the purge removed /$path" test ! -e "$root/$path"
done
"$SNAPSHOT_TOOL" "$root/srv" >srv-after-purge.snap || die "snapshot of $root/srv failed"
check "the purge left every site under /srv byte for byte as it was, .persist/ included" \
  same_snapshot srv-before-purge.snap srv-after-purge.snap

# ---------------------------------------------------------------- leaving
check "no process is left running inside the root" test -z "$(processes_in_root)"
check "every mount beneath the root is undone (findmnt)" leave_root
finish
