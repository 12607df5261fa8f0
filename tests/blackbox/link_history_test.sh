#!/usr/bin/env bash
# persist link and the history: shared/.deployment-history is appended to,
# never rewritten. A link adds one line and keeps every byte before it, also
# when the history is too large to be read whole; the undo of a link keeps
# the link's line and adds its own.
#
# usage: link_history_test.sh PATH_TO_PERSIST   (bazel passes it)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
cd "$WORK" || die "cd $WORK"

make_app() {
  mkdir -p "$1/public/uploads" "$1/storage/logs" "$1/bootstrap/cache"
  printf 'avatar\n' >"$1/public/uploads/avatar.txt"
  printf 'log\n' >"$1/storage/logs/laravel.log"
  printf '<?php\n' >"$1/artisan"
}

# ---- 1. the lines before the link stay, byte for byte ----------------------
make_app s1/app
mkdir -p s1/shared
printf '2026-01-01T00:00:00Z deploy v1 (first) by ops@web-1\n2026-01-02T00:00:00Z note by hand\n' \
  >s1/shared/.deployment-history
cp s1/shared/.deployment-history before.hist
persist_cmd link1 link s1/app s1/shared
expect_rc 0 "link"
lines=$(wc -l <s1/shared/.deployment-history)
check "the link added one line (3 lines now, got $lines)" test "$lines" -eq 3
check "the lines before it are unchanged" cmp -s before.hist <(head -n 2 s1/shared/.deployment-history)
tail -n 1 s1/shared/.deployment-history >last.line
check "the new line names the link and its run" grep -qE " link app \((first|subsequent)\): run [0-9T]+Z" last.line

# ---- 2. the undo of the link keeps the link's line ---------------------------
cp s1/shared/.deployment-history linked.hist
persist_cmd undo1 undo --root s1 --yes
expect_rc 0 "undo of the link"
check "the link's line is still there after its undo" cmp -s linked.hist <(head -n 3 s1/shared/.deployment-history)
tail -n 1 s1/shared/.deployment-history >last.line
check "the undo added its own line" has last.line "undo of run "

# ---- 3. a history too large to read whole is appended to, not replaced --------
make_app s3/app
mkdir -p s3/shared
yes '2026-01-01T00:00:00Z deploy by ops@web-1' | head -c $((66 * 1024 * 1024)) >s3/shared/.deployment-history
size_before=$(stat -c %s s3/shared/.deployment-history)
sum_before=$(sha256sum <s3/shared/.deployment-history | cut -d' ' -f1)
persist_cmd link3 link s3/app s3/shared
expect_rc 0 "link beside a 66 MiB history"
size_after=$(stat -c %s s3/shared/.deployment-history)
check "the large history grew by one line ($size_before -> $size_after bytes)" \
  test "$size_after" -gt "$size_before" -a "$((size_after - size_before))" -lt 300
check "its first $size_before bytes are unchanged" \
  test "$(head -c "$size_before" s3/shared/.deployment-history | sha256sum | cut -d' ' -f1)" = "$sum_before"

finish
