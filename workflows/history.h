// Copyright persist authors.
//
// history: shared/.deployment-history, the human-readable export of the
// journal (which stays the truth): one line for every run, appended when it
// ends, whatever it was and however it ended: a deploy committed or failed,
// a switch, a rollback, a link, an exec, an undo, a recovery. The file is
// appended to outside the journal, so that an undo never takes back the
// line of the run it undoes, nor its own: it is the one path under the site
// that persist's exactness promise leaves out. An exec run adds no line: an
// explicit plan writes the history itself if it wants one.

#ifndef PERSIST_WORKFLOWS_HISTORY_H_
#define PERSIST_WORKFLOWS_HISTORY_H_

#include <string>

#include "absl/status/statusor.h"
#include "journal/site.h"
#include "proto/journal.pb.h"

namespace persist {

// The line for `what`: "2026-11-28T10:15:00Z <what> by user@host".
std::string HistoryLine(const std::string& what);

// What a run of `what` came to, for AppendHistory: "<what>: run ID" when it
// committed; "<what> failed and was undone: <cause>" when it failed (exit
// 1); "" when it was refused before any run began (nothing to record).
std::string HistoryOutcome(const std::string& what, const absl::StatusOr<Run>& run);

// Appends HistoryLine(what) to <shared_dir>/.deployment-history (relative to
// the site), synced, when shared_dir is a directory; creates the file (0644,
// owned as its directory) when missing. Best effort: a failure is logged as
// a warning and changes nothing else, since the journal holds the same.
// An empty `what` appends nothing.
void AppendHistory(const Site& site, const std::string& what,
                   const std::string& shared_dir = "shared");

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_HISTORY_H_
