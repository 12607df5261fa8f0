// Copyright persist authors.
//
// report: runs and ops as people read them, and as JSON.

#ifndef PERSIST_CLI_REPORT_H_
#define PERSIST_CLI_REPORT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "fsops/describe_op.h"
#include "planner/audit.h"
#include "planner/classifier.h"
#include "planner/deploy_planner.h"
#include "planner/health.h"
#include "proto/journal.pb.h"

namespace persist {

// A time in ns since the epoch as "2026-11-28 10:15:00 UTC"; "-" for 0.
std::string FormatNs(int64_t ns);

// One line naming a committed run for the operator: id, kind, release, op
// count, when and by whom.
std::string DescribeRun(const Run& run);

// "committed", "interrupted", "failed (undone)", ...; with `live`, a run
// not finished is "running" rather than "interrupted".
std::string RunStateText(const Run& run, bool live = false);

// A table of runs, oldest first, one line each, ending with "fleet run ID"
// for a run that is part of one. `live`: the site lock is held
// by another process, so an unfinished run is under way.
std::string FormatRunTable(const std::vector<Run>& runs, bool live = false);

// One run with every op and its before and after states.
std::string FormatRunDetail(const Run& run, const std::vector<OpRecord>& ops);

// The format of every --json document (docs/json.md), its first field
// "version": raised when a field changes meaning or goes away, never when
// one is added.
inline constexpr int kJsonFormatVersion = 1;

// One --json document: {"version": kJsonFormatVersion, FIELDS} and a
// newline; `fields` are the others, "\"runs\": [...]".
std::string JsonDocument(absl::string_view fields);

// One run as a JSON object, its fields by their proto names.
std::string RunJson(const Run& run);

// A size as people read it: "512 B", "12.3 KiB", "4.0 MiB", "1.2 GiB".
std::string FormatBytes(uint64_t bytes);

// {"runs": [Run...]}, with "notes": [...] when there are notes for the
// operator (a deploy's warnings and reports).
std::string RunsJson(const std::vector<Run>& runs, const std::vector<std::string>& notes = {});

// persist log --json: {"runs": [Run...], "current": ID}, ID being the
// release `current` points at ("" when none), so that a script reads the
// history and where it left the site in one command.
std::string RunLogJson(const std::vector<Run>& runs, const std::string& current);

// {"run": Run, "ops": [OpRecord...]}
std::string RunDetailJson(const Run& run, const std::vector<OpRecord>& ops);

// How the blueprint classified each path: one line each ("CLASS PATH RULE",
// and the rule it overruled), or {"paths": [...]}.
// The persistent paths of an app (PersistentPathsOf) as a Docker Compose
// service's `volumes:` block: each bound from ./shared/PATH on the host to
// `container_dir`/PATH in the container, so that the data stays out of the
// image as it stays out of releases.
std::string ComposeVolumes(const std::vector<Classification>& roots,
                           const std::string& container_dir);

std::string ClassificationTable(const std::vector<Classification>& rows);
std::string ClassificationJson(const std::vector<Classification>& rows);

// A dry run's plan as JSON: {"release", "first", "paths" (as
// ClassificationJson), "ops" (each in words), "notes", and for an adoption
// with --vendor "vendor": {"unchanged" (a count), "modified", "unknown",
// "missing" (paths)}}.
std::string DryRunJson(const DeployPlan& planned);

// {"changes": [{"path": ..., "change": ...}...]}
std::string ChangesJson(const std::vector<Change>& changes);

// "problem: PATH: WHAT\n  fix: FIX\n" for each problem; FIX is "persist
// repair (by hand: ...)" where persist can repair it.
std::string ProblemLines(const std::vector<Problem>& problems);

// `text` as a JSON string literal, quotes included.
std::string JsonString(const std::string& text);

// `texts` as a JSON array of string literals.
std::string JsonStrings(const std::vector<std::string>& texts);

}  // namespace persist

#endif  // PERSIST_CLI_REPORT_H_
