#!/usr/bin/env bash
# The build keeps the layers (docs/architecture.md):
#  - no cli/ target reaches past workflows/ into journal/, net/ or fsops/
#    (the genquery given as $1 lists what does);
#  - no planner/ target depends on journal/ or net/ (the genquery given as
#    $2);
#  - net/ depends on nothing of the project's but base/ (the genquery given
#    as $3);
#  - within workflows/, only the site session opens a site for writing, so
#    that every change obeys its rules (lock, interrupted runs, purge guard).
set -euo pipefail

failed=0

# expect_none WHAT_IS_FINE WHAT_IS_WRONG LIST: says which holds, by LIST's
# lines (none: fine).
expect_none() {
  local list
  list=$(grep -v '^$' <<<"$3" || true)
  if [[ -z "$list" ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $2:"
    sed 's/^/  /' <<<"$list"
    failed=1
  fi
}

expect_none "cli/ depends on nothing in journal/, net/ or fsops/ but the pure string helpers" \
  "cli/ depends on these targets below workflows/; call a workflow instead" "$(cat "$1")"
expect_none "planner/ depends on nothing in journal/ or net/" \
  "planner/ depends on the journal or the network; hand the planner data from the workflow instead" \
  "$(cat "$2")"
expect_none "net/ depends on nothing of the project's but base/" \
  "net/ depends on these targets above it; let the workflow hand it what it needs" "$(cat "$3")"

sources=$(find -L . -path '*workflows/*.cc' | sort)
[[ -n "$sources" ]] || { echo "FAIL: the workflows' sources are not in the test's runfiles"; exit 1; }
expect_none "only workflows/site_session.cc opens a site for writing" \
  "these workflows open a site for writing without the site session" \
  "$(grep -l 'Site::OpenForWriting' $sources | grep -v '/site_session\.cc$' || true)"
exit "$failed"
