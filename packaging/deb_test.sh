#!/usr/bin/env bash
# The Debian package as an operator gets it, unpacked into an empty
# directory (dpkg -x: no root, no apt): every file in its place, the binary
# runs and prints VERSION, the man pages (persist, one per command,
# ultimate-persistence) render without a warning, the
# completion completes commands, flags, release ids, run ids and guide topics,
# ultimate-persistence works as the blueprint writes it, the Ansible
# collection installs with ansible-galaxy and its playbooks load by name,
# and lintian finds no error.
#
# usage: deb_test.sh PERSIST_DEB VERSION_FILE   (bazel passes both)
source "$TEST_SRCDIR/persist/tests/blackbox/lib.sh" || exit 1

deb=$(readlink -f "${1:?usage: deb_test.sh DEB VERSION_FILE}")
version=$(tr -d ' \t\r\n' <"${2:?usage: deb_test.sh DEB VERSION_FILE}")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/deb.XXXXXX")
cd "$work" || exit 1

check "the package's fields name persist $version for amd64" \
  test "$(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')" = \
  "Package: persist Version: $version Architecture: amd64 "
check "it depends on the libraries the binary links" \
  grep -q 'libc6' <(dpkg-deb -f "$deb" Depends)

root=$work/root
dpkg -x "$deb" "$root" || exit 1
for path in usr/bin/persist usr/bin/ultimate-persistence \
  usr/share/man/man1/persist.1.gz usr/share/man/man1/ultimate-persistence.1.gz \
  usr/share/bash-completion/completions/persist usr/share/doc/persist/copyright \
  usr/share/doc/persist/changelog.Debian.gz; do
  check "the package installs /$path" test -f "$root/$path"
done
for guide in first-setup vendor-update maintenance customisation shared-hosting troubleshooting; do
  check "the package ships the guide $guide" \
    test -s "$root/usr/share/doc/persist/guides/$guide.md.gz"
done
check "the shared-hosting guide it ships is what persist guide prints" \
  cmp <(zcat "$root/usr/share/doc/persist/guides/shared-hosting.md.gz") \
  <("$root/usr/bin/persist" guide shared-hosting)
check "/usr/bin/persist is executable" test -x "$root/usr/bin/persist"
check "/usr/bin/ultimate-persistence is executable" test -x "$root/usr/bin/ultimate-persistence"
check "every file is root's in the archive" \
  test -z "$(dpkg-deb -c "$deb" | awk '$2 != "root/root"')"

export PATH=$root/usr/bin:$PATH
check "persist on PATH is the packaged one" test "$(command -v persist)" = "$root/usr/bin/persist"
persist --version >version.out 2>version.err
check "persist --version prints persist $version" test "$(sed -n 1p version.out)" = "persist $version" ||
  show_file version.out

# man -l renders the page as man would; --warnings makes groff say what it
# cannot typeset, which must be nothing.
for page in persist ultimate-persistence; do
  MANWIDTH=100 man --warnings -E UTF-8 -l "$root/usr/share/man/man1/$page.1.gz" \
    >"$page.man" 2>"$page.man.err"
  check "man -l $page.1.gz renders" test -s "$page.man"
  check "man -l $page.1.gz gives no warning" test ! -s "$page.man.err" || show_file "$page.man.err"
done
check "the man page has a NAME and a SYNOPSIS" grep -q '^SYNOPSIS' persist.man
persist --help >help.out
commands=$(sed -n 's/^  persist \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p' help.out | sort -u)
check "persist --help lists status and releases" grep -qx status <<<"$commands"
for command in $commands; do
  check "the man page explains persist $command" grep -q "^   $command\$" persist.man
done
for command in $commands; do
  page=$root/usr/share/man/man1/persist-$command.1.gz
  MANWIDTH=100 man --warnings -E UTF-8 -l "$page" >"persist-$command.man" 2>"persist-$command.err"
  check "man persist-$command renders, with no warning" \
    test -s "persist-$command.man" -a ! -s "persist-$command.err" || show_file "persist-$command.err"
  # whatis and apropos list the NAME line as one line of a terminal.
  check "persist-$command(1)'s NAME line is short" \
    test "$(zcat "$page" | sed -n '/^\.SH NAME$/{n;p;q}' | wc -c)" -le 150
done
# man justifies its lines with extra spaces: compare words.
check "persist-deploy(1) names its command" grep -q 'persist-deploy - deploys' <(tr -s ' ' <persist-deploy.man)
check "persist-deploy(1) gives its usage" \
  grep -qF "$(persist deploy --help | sed -n '1s/^usage: //p' | cut -c1-40)" persist-deploy.man
check "persist(1) points at the command pages" grep -q 'persist-deploy(1)' persist.man
check "the man page holds the status command's help as --help prints it" \
  grep -q "The site at a glance" <(tr -s ' ' <persist.man)

# The completion, sourced as bash-completion would, then asked as bash asks
# it on TAB: COMP_WORDS, COMP_CWORD, then COMPREPLY.
mkdir -p site/releases/20261201T100000Z site/releases/20261202T100000Z site/.persist
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
           _persist; printf "%s\n" "${COMPREPLY[@]}"' _ \
    "$root/usr/share/bash-completion/completions/persist" "$@" | sort | tr '\n' ' '
}
check "the completion registers itself for persist" \
  grep -q -- '-F _persist persist' <(bash -c "source '$root/usr/share/bash-completion/completions/persist'; complete -p persist")
check "it completes commands" test "$(complete_words persist st)" = "status "
check "it completes every command" test "$(complete_words persist "" | wc -w)" -ge 20
check "it completes a command's flags" test "$(complete_words persist deploy --dr)" = "--dry-run "
check "it completes flag words from the usage line" \
  test "$(complete_words persist deploy --mode "")" = "auto first subsequent "
check "it completes release ids of --root's site" \
  test "$(complete_words persist switch --root site "")" = "20261201T100000Z 20261202T100000Z "
check "it completes release ids of the site it is in" \
  test "$(cd site/releases && complete_words persist diff 2026)" = "20261201T100000Z 20261202T100000Z "

# A real site for run ids, made by the packaged binary; and the blueprint's
# own command line from inside the directory that holds the app.
mkdir -p app/public app/storage/logs app/bootstrap/cache app/public/uploads
printf '#!/usr/bin/env php\n' >app/artisan
printf '<?php echo "v1";\n' >app/public/index.php
printf 'APP_KEY=\n' >app/.env.example
persist deploy app --root live --id r1 --quiet >deploy.out 2>deploy.err
check "the packaged persist deploys" test -L live/current || show_file deploy.err
run_id=$(persist log --root live | awk 'NR == 2 { print $1 }')
check "it completes run ids" test "$(complete_words persist show --root live "")" = "$run_id "
check "it completes guide topics" test "$(complete_words persist guide v)" = "vendor-update "

mkdir -p blueprint && cp -a app blueprint/app && mkdir blueprint/shared
(cd blueprint && ultimate-persistence app shared first server) >up.out 2>up.err
check "ultimate-persistence app shared first server works from the directory holding both" \
  test -L blueprint/app/storage || show_file up.err
ultimate-persistence >usage.out 2>usage.err
check "ultimate-persistence without operands prints its usage" grep -q usage usage.err

# The Ansible collection, installed as ansible/README.md says, into a
# collections path of the test's own (ansible.cfg here: never ~/.ansible).
collection=usr/share/persist/ansible/persist-fleet-$version.tar.gz
check "the package ships the Ansible collection as /$collection" test -f "$root/$collection"
mkdir -p ansible/collections
printf '[defaults]\nhome = %s\nlocal_tmp = %s\ncollections_path = %s\ncollections_scan_sys_path = False\n' \
  "$work/ansible/home" "$work/ansible/tmp" "$work/ansible/collections" >ansible/ansible.cfg
export ANSIBLE_CONFIG=$work/ansible/ansible.cfg
LC_ALL=C.UTF-8 ansible-galaxy collection install "$root/$collection" -p ansible/collections \
  >galaxy.out 2>&1
installed=ansible/collections/ansible_collections/persist/fleet
check "ansible-galaxy collection install installs it as persist.fleet $version" \
  json_check "$installed/MANIFEST.json" \
  '.collection_info | "\(.namespace).\(.name) \(.version)" == "persist.fleet " + $v' --arg v "$version" ||
  show_file galaxy.out
for playbook in deploy undo rollback; do
  LC_ALL=C.UTF-8 ansible-playbook -i localhost, "persist.fleet.$playbook" --syntax-check \
    >"syntax-$playbook.out" 2>&1
  check "ansible-playbook finds persist.fleet.$playbook, and it parses" \
    grep -qx "playbook: $work/$installed/playbooks/$playbook.yml" "syntax-$playbook.out" ||
    show_file "syntax-$playbook.out"
done

# lintian: no error. Its warnings and information are printed for the log.
lintian --tag-display-limit 0 "$deb" >lintian.out 2>&1
check "lintian finds no error in the package" test -z "$(grep '^E:' lintian.out)" || show_file lintian.out
[[ -s lintian.out ]] && sed 's/^/lintian: /' lintian.out

finish
