// Copyright persist authors.
//
// report: runs and ops as people read them, and as JSON.

#ifndef PERSIST_CLI_REPORT_H_
#define PERSIST_CLI_REPORT_H_

#include <string>
#include <vector>

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

// A table of runs, oldest first, one line each. `live`: the site lock is held
// by another process, so an unfinished run is under way.
std::string FormatRunTable(const std::vector<Run>& runs, bool live = false);

// One run with every op and its before and after states.
std::string FormatRunDetail(const Run& run, const std::vector<OpRecord>& ops);

// {"runs": [Run...]}, with "notes": [...] when there are notes for the
// operator (a deploy's warnings and reports).
std::string RunsJson(const std::vector<Run>& runs, const std::vector<std::string>& notes = {});

// {"run": Run, "ops": [OpRecord...]}
std::string RunDetailJson(const Run& run, const std::vector<OpRecord>& ops);

// `text` as a JSON string literal, quotes included.
std::string JsonString(const std::string& text);

}  // namespace persist

#endif  // PERSIST_CLI_REPORT_H_
