#!/usr/bin/env bash
# The build keeps the layers (docs/architecture.md):
#  - no cli/ target reaches past workflows/ into journal/ or fsops/ (the
#    genquery given as $1 lists what does);
#  - no planner/ target depends on journal/ (the genquery given as $2);
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

expect_none "cli/ depends on nothing in journal/ or fsops/ but the pure string helpers" \
  "cli/ depends on these targets below workflows/; call a workflow instead" "$(cat "$1")"
expect_none "planner/ depends on nothing in journal/" \
  "planner/ depends on the journal; hand the planner data from the workflow instead" "$(cat "$2")"

sources=$(find -L . -path '*workflows/*.cc' | sort)
[[ -n "$sources" ]] || { echo "FAIL: the workflows' sources are not in the test's runfiles"; exit 1; }
expect_none "only workflows/site_session.cc opens a site for writing" \
  "these workflows open a site for writing without the site session" \
  "$(grep -l 'Site::OpenForWriting' $sources | grep -v '/site_session\.cc$' || true)"
exit "$failed"
