#!/usr/bin/env bash
# Every --json output is the document docs/json.md says: the test reads the
# page's tables (one per "## NAME" section: field, type, "optional"), runs
# each command the page lists on a real site, and holds each document to its
# table: version is 1, every field the table does not mark optional is
# there with its type, and no field is there that the table does not name.
#
# usage: json_shape_test.sh PATH_TO_PERSIST PATH_TO_DOCS_JSON   (bazel passes both)
source "$(dirname "$0")/lib.sh"
init_test "${1:-}"
DOC=$(readlink -f "${2:-}") || die "usage: $0 PERSIST DOCS_JSON"
cd "$WORK" || die "cd $WORK"

# schema NAME: the table of section NAME as a JSON object
# {"field": {"types": ["string", "null"], "optional": bool}}.
schema() {
  awk -v name="$1" '
    /^## / { in_section = ($2 == name) ; next }
    in_section && /^\| / && !/^\| field/ && !/^\|---/ {
      split($0, cell, "|")
      gsub(/^ +| +$/, "", cell[2]); gsub(/^ +| +$/, "", cell[3]); gsub(/^ +| +$/, "", cell[4])
      print cell[2] "\t" cell[3] "\t" (cell[4] ~ /^optional/ ? "true" : "false")
    }' "$DOC" |
    jq -R -s 'split("\n") | map(select(length > 0) | split("\t")) |
              map({key: .[0], value: {types: (.[1] | split(" or ")), optional: (.[2] == "true")}}) |
              from_entries'
}

# shaped NAME FILE: FILE is one JSON document of section NAME's shape.
shaped() {
  local want
  want=$(schema "$1")
  [[ $want != "{}" && -n $want ]] || { echo "    docs/json.md has no table for $1" >&2; return 1; }
  json_check "$2" '
    .version == 1 and
    ([$want | to_entries[] | select(.value.optional | not) | .key] - keys | length == 0) and
    (keys - ($want | keys) | length == 0) and
    ([to_entries[] | (.value | type) as $t | $want[.key].types | index($t)] | all(. != null))' \
    --argjson want "$want"
}

# doc NAME PREFIX ARGS...: persist ARGS prints a document of section NAME.
doc() {
  local name=$1 prefix=$2
  shift 2
  persist_cmd "$prefix" "$@"
  check "persist $* prints a $name document" shaped "$name" "$prefix.out"
}

# Every section of the page is exercised below.
sections=$(sed -n 's/^## \([a-z]*\)$/\1/p' "$DOC" | sort | tr '\n' ' ')
check "docs/json.md has the sections the test knows" \
  test "$sections" = "changes classification error health plan releases repair run runs status "

sample_release v1 laravel
sample_release v2 laravel v2
mkdir site

doc plan dry deploy "$WORK/v1" --root site --id 1 --dry-run --json
doc runs d1 deploy "$WORK/v1" --root site --id 1 --json
check "deploy's document carries its notes" json_check d1.out '.notes | length > 0'
doc runs d2 deploy "$WORK/v2" --root site --id 2 --json
doc runs sw switch 1 --root site --json
doc runs sw0 switch 1 --root site --json
doc runs log log --root site --json
check "log's document names the release current points at" json_check log.out '.current == "1"'
run_id=$(json_get log.out '.runs[0].id')
doc run show show "$run_id" --root site --json
doc changes diff diff 1 2 --root site --json
doc classification cls classify "$WORK/v1" --json
doc health verify verify --root site --json
doc repair repair repair --root site --json
chmod 0644 site/shared/.env
doc health verify2 verify --root site --json
check "verify names the problem" json_check verify2.out '.healthy == false and (.problems | length > 0)'
doc repair repair-dry repair --root site --dry-run --json
doc repair repair2 repair --root site --json
check "repair names its run" json_check repair2.out '.run | type == "string"'
doc plan capture-dry capture --root site --dry-run --json
doc status status status --root site --json
doc releases releases releases --root site --json
doc error err switch no-such-release --root site --json
doc error err2 deploy "$WORK/no-such-app" --root site --json
check "the error names the path" json_check err2.out '.error.path | type == "string"'

finish
