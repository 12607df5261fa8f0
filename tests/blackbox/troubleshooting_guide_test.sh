#!/usr/bin/env bash
# docs/guides/troubleshooting.md keeps up with the binary: each error
# message it quotes is provoked here as the guide says it comes about, and
# must be in persist's actual stderr as quoted ("<...>" and "..." standing
# for any text), with the exit code its section's heading gives. Every
# quote is provoked but the two this test cannot bring about without
# another filesystem (not enough space, a network filesystem), which are
# checked against the text the binary holds instead. The example commands it names as
# always safe run and succeed on a healthy site.
#
# usage: troubleshooting_guide_test.sh PATH_TO_PERSIST PATH_TO_GUIDE   (bazel passes both)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/guide_lib.sh"
init_guide_test "${1:-}" "${2:-}"
require_strace

mapfile -t quotes < <(guide_quotes "$GUIDE")
check "the guide quotes messages" test "${#quotes[@]}" -ge 15
declare -A provoked=()

# expect_quote KEY: the last persist_cmd's stderr holds the one message of
# the guide that contains KEY, and its exit code is the one the guide gives.
expect_quote() {
  local key=$1 entry found=() code quote
  for entry in "${quotes[@]}"; do
    [[ $entry == *"$key"* ]] && found+=("$entry")
  done
  check "the guide quotes one message with \"$key\"" test "${#found[@]}" -eq 1 || return
  code=${found[0]%%$'\t'*}
  quote=${found[0]#*$'\t'}
  provoked[$quote]=1
  check "\"$key\": exit $code as the guide says (got $rc)" test "$rc" = "$code" ||
    show_file "$last.err"
  check "\"$key\": stderr holds the message as the guide quotes it" quote_matches "$quote" "$last.err"
}

site=$home/example.com
shop_zips "$home"
up=$home/uploads
mkdir -p "$site"
persist_cmd setup1 deploy "$up/shop-1.0.0.zip" --root "$site" --id 1.0.0
expect_rc 0 "deploy 1.0.0"
persist_cmd setup2 deploy "$up/shop-2.0.0.zip" --root "$site" --id 2.0.0
expect_rc 0 "deploy 2.0.0"

# The commands the guide says are always safe.
guide_bin
while IFS= read -r command; do
  [[ $command == persist\ * ]] || continue
  rc=0
  (HOME="$home" PATH="$WORK/bin:$PATH" bash -c "$command") >safe.out 2>safe.err || rc=$?
  check "\`$command\` succeeds on a healthy site (exit $rc)" test "$rc" -eq 0 || show_file safe.err
done < <(sed -n '/always safe/,/^## /{s/^    //p}' "$GUIDE")

# A run was interrupted: a deploy killed halfway by strace.
run_quiet killed.out killed.err strace -f -o /dev/null -e trace=renameat2 \
  -e inject=renameat2:signal=KILL:when=2 "$PERSIST" deploy "$up/shop-2.0.0.zip" --root "$site" --id killed
check "the deploy is killed (exit $rc)" test "$rc" -eq 137 || show_file killed.err
persist_cmd interrupted deploy "$up/shop-2.0.0.zip" --root "$site" --id 2.0.0-2
expect_quote "was interrupted"
persist_cmd recover recover --root "$site"
expect_rc 0 "persist recover, as the message says"

# The site is locked: a deploy held in a before_switch hook meanwhile.
locked=$home/locked.example.com
mkdir -p "$locked/shared"
printf 'before_switch: "touch %s/hook-started && sleep 3"\n' "$WORK" >"$locked/shared/.persistence-config"
"$PERSIST" deploy "$up/shop-1.0.0.zip" --root "$locked" --id 1.0.0 --quiet >holder.out 2>holder.err &
holder=$!
for _ in $(seq 100); do [[ -e $WORK/hook-started ]] && break; sleep 0.1; done
check "the holding deploy reached its hook" test -e "$WORK/hook-started"
persist_cmd locked deploy "$up/shop-2.0.0.zip" --root "$locked"
expect_quote "is locked by another persist run"
holder_rc=0
wait "$holder" || holder_rc=$?
check "the holding deploy then succeeds (exit $holder_rc)" test "$holder_rc" -eq 0 || show_file holder.err

# The release id is taken.
persist_cmd taken deploy "$up/shop-2.0.0.zip" --root "$site" --id 1.0.0
expect_quote "exists already; choose another --id"

# The upload holds no app: the vendor's documentation.
mkdir -p "$up/docs/documentation"
printf '<html>how to install</html>\n' >"$up/docs/documentation/index.html"
persist_cmd noapp deploy "$up/docs" --root "$site"
expect_quote "holds none of artisan"

# A path in shared/ of another type: shared/storage made a file.
typed=$home/typed.example.com
mkdir -p "$typed"
persist_cmd typed1 deploy "$up/shop-1.0.0.zip" --root "$typed" --id 1.0.0
expect_rc 0 "deploy 1.0.0 on another site"
rm -r "$typed/shared/storage" && printf 'not a directory\n' >"$typed/shared/storage"
persist_cmd typed deploy "$up/shop-2.0.0.zip" --root "$typed" --id 2.0.0
expect_quote "but the release ships"

# public_html a file with web_root: "stub".
stub=$home/stub.example.com
mkdir -p "$stub/shared"
printf 'web_root: "stub"\n' >"$stub/shared/.persistence-config"
printf 'a file\n' >"$stub/public_html"
persist_cmd stubfile deploy "$up/shop-1.0.0.zip" --root "$stub"
expect_quote "public_html is a file"

# Update packages that do not fit: 2.1.0 applied, then again.
persist_cmd update deploy --update "$up/shop-update-2.1.0.zip" --root "$site" --id 2.1.0
expect_rc 0 "the update package"
persist_cmd goesback deploy --update "$up/shop-update-2.1.0.zip" --root "$site"
expect_quote "an update never goes back"
persist_cmd expect deploy --update "$up/shop-update-2.1.0.zip" --root "$site" --expect-version 2.0.0
expect_quote "the package is for version"

# The health check failed: nothing listens on port 1 of 127.0.0.1.
persist_cmd health deploy "$up/shop-2.0.0.zip" --root "$site" --id unhealthy \
  --health-url http://127.0.0.1:1/up
expect_quote "the health check failed"
check "2.1.0 stays live" same_text current "$(readlink "$site/current")" "releases/2.1.0"
persist_cmd undo-after-health undo --yes --root "$site"
expect_quote "failed and was undone already"
check "2.1.0 is still live after that refusal" \
  same_text current "$(readlink "$site/current")" "releases/2.1.0"

# An undo right after a failed run: a before_switch hook that fails.
failed=$home/failed.example.com
mkdir -p "$failed"
persist_cmd failed1 deploy "$up/shop-1.0.0.zip" --root "$failed" --id 1.0.0
expect_rc 0 "deploy 1.0.0 on another site"
printf 'before_switch: "exit 3"\n' >"$failed/shared/.persistence-config"
persist_cmd failed2 deploy "$up/shop-2.0.0.zip" --root "$failed" --id 2.0.0
expect_rc 1 "the deploy whose hook fails"
persist_cmd undoafter undo --yes --root "$failed"
expect_quote "failed and was undone already"

# No such release.
persist_cmd norelease rollback --to 9.9.9 --root "$site"
expect_quote "there is no release"

# classify on a zip.
persist_cmd classify classify "$up/shop-2.0.0.zip"
expect_quote "cannot classify"

# A backup file exists.
persist_cmd backup1 backup --root "$site" --out "$home/backup.tar"
expect_rc 0 "the first backup"
persist_cmd backup2 backup --root "$site" --out "$home/backup.tar"
expect_quote "never overwrites a backup"

# Both the release and shared/ hold a custom path.
mkdir -p "$site/current/public/brochures" "$site/shared/public/brochures"
printf 'in the release\n' >"$site/current/public/brochures/a.pdf"
printf 'in shared\n' >"$site/shared/public/brochures/b.pdf"
persist_cmd custom custom add public/brochures/ --root "$site"
expect_quote "persist will not hide either"

# The two this test cannot provoke: the binary holds their text.
for key in "unpacks to" "network or FUSE filesystem"; do
  for entry in "${quotes[@]}"; do
    [[ $entry == *"$key"* ]] && provoked[${entry#*$'\t'}]=source
  done
done
check "not enough space: the binary's message names persist empty-trash" \
  grep -aqF 'deploy --keep, the trash: persist empty-trash) and deploy again' "$PERSIST"
check "a network filesystem: the binary's message" \
  grep -aqF "), where the journal's lock and memory map cannot be trusted; nothing was changed: put the site, or at least its .persist/ directory, on a local disk" "$PERSIST"

for entry in "${quotes[@]}"; do
  check "the guide's message is provoked or checked: ${entry#*$'\t'}" \
    test -n "${provoked[${entry#*$'\t'}]:-}"
done
persist_cmd verify verify --root "$site"
check "the site is healthy at the end (but for the brochures left to merge)" \
  has verify.out "public/brochures"

finish
