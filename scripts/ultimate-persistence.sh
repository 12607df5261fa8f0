#!/usr/bin/env bash
# The Universal Data Persistence Blueprint's command line, carried out by
# persist, so that runbooks written for the blueprint keep working:
#
#   bash scripts/ultimate-persistence.sh APP_DIR SHARED_DIR [MODE] [ENV]
#
# MODE: first, subsequent, auto (default), verify, custom, or the blueprint's
# true (first) and false (subsequent). ENV: server (default) or local.
# Every change is one journaled run: `persist undo --root SITE` reverses it,
# where SITE is the directory holding APP_DIR and SHARED_DIR.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 ]]; then
  echo "usage: $0 APP_DIR SHARED_DIR [first|subsequent|auto|verify|custom|true|false] [server|local]" >&2
  exit 2
fi
persist=${PERSIST:-$(command -v persist || true)}
if [[ -z "$persist" ]]; then
  echo "$0: persist is not on PATH; install it, or set PERSIST=/path/to/persist" >&2
  exit 2
fi
exec "$persist" link "$1" "$2" "${3:-auto}" "${4:-server}"
