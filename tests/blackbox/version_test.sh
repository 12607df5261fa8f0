#!/usr/bin/env bash
# `persist --version`: exit 0, the version from the VERSION file at the top
# of the source tree (the one place it is written) and the journal's format
# version, with nothing on stderr and nothing touched.
#
# usage: version_test.sh PATH_TO_PERSIST PATH_TO_VERSION   (bazel passes both)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
VERSION_FILE=$(readlink -f "${2:-}") || die "usage: $0 PERSIST VERSION"
cd "$WORK" || die "cd $WORK"

want=$(tr -d ' \t\r\n' <"$VERSION_FILE")
check "VERSION holds a version" test -n "$want"

run_persist v --version
check "persist --version exits 0 (got $rc)" test "$rc" -eq 0 || show_file v.err
check "its first line is persist and the version in VERSION ($want)" \
  test "$(sed -n 1p v.out)" = "persist $want"
check "its second line is the journal format version" grep -qxE 'journal format [0-9]+' v.out
check "it prints two lines" test "$(wc -l <v.out)" -eq 2
check "it prints nothing on stderr" test ! -s v.err
check "it made nothing in the current directory" test -z "$(ls -A "$WORK" | grep -v '^v\.')"

run_persist h --help
check "persist --help lists --version" grep -q -- "persist --version" h.out

finish
