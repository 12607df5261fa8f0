#!/usr/bin/env bash
# The build keeps the layers (docs/architecture.md):
#  - no cli/ target reaches past workflows/ into journal/ or fsops/ (the
#    genquery given as $1 lists what does);
#  - no planner/ target depends on journal/ (the genquery given as $2);
#  - within workflows/, only the site session opens a site for writing, so
#    that every change obeys its rules (lock, interrupted runs, purge guard).
set -euo pipefail

failed=0
reached=$(grep -v '^$' "$1" || true)
if [[ -n "$reached" ]]; then
  echo "FAIL: cli/ depends on these targets below workflows/; call a workflow instead:"
  sed 's/^/  /' <<<"$reached"
  failed=1
else
  echo "ok: cli/ depends on nothing in journal/ or fsops/ but the pure string helpers"
fi

reached=$(grep -v '^$' "$2" || true)
if [[ -n "$reached" ]]; then
  echo "FAIL: planner/ depends on the journal; hand the planner data from the workflow instead:"
  sed 's/^/  /' <<<"$reached"
  failed=1
else
  echo "ok: planner/ depends on nothing in journal/"
fi

sources=$(find -L . -path '*workflows/*.cc' | sort)
[[ -n "$sources" ]] || { echo "FAIL: the workflows' sources are not in the test's runfiles"; exit 1; }
openers=$(grep -l 'Site::OpenForWriting' $sources | grep -v '/site_session\.cc$' || true)
if [[ -n "$openers" ]]; then
  echo "FAIL: these workflows open a site for writing without the site session:"
  sed 's/^/  /' <<<"$openers"
  failed=1
else
  echo "ok: only workflows/site_session.cc opens a site for writing"
fi
exit "$failed"
