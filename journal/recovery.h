// Copyright persist authors.
//
// recovery: running a run backwards.
//
// ReverseRun undoes a run's ops from the last to the first through fsops'
// UndoOp, which inspects the tree to learn how far each op got. It is itself
// journaled: the run is marked UNDOING first, and each op is marked UNDONE
// as soon as it is reversed (with any rescued paths), so a crash during
// recovery is repaired by running it again (promise 5). Ops already undone
// are skipped; UndoOp is idempotent for the one that was in progress. Ops
// that never began (no start mark) are marked UNDONE with the next write.

#ifndef PERSIST_JOURNAL_RECOVERY_H_
#define PERSIST_JOURNAL_RECOVERY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "journal/site.h"
#include "proto/journal.pb.h"

namespace persist {

// Reverses `run` and records it as `final_state` (RUN_UNDONE or RUN_FAILED)
// with `reason`. `run` is updated to what the journal holds.
absl::Status ReverseRun(Site& site, Run& run, const std::string& reason, RunState final_state);

// Undoes the interrupted run, if there is one; nullopt when there is none.
absl::StatusOr<std::optional<Run>> Recover(Site& site);

// The run UndoLatest would undo: the latest committed run that is not undone
// yet. `run_id`, when not empty, must name that run. Without a run id, it is
// refused (kUsage) when the latest run of all failed: that run was undone
// already, and an undo typed after it would reverse the successful run
// before it, which the operator must then name. kNeedsRecovery when a run was
// interrupted, kUsage when there is nothing to undo or `run_id` is not the
// latest.
absl::StatusOr<Run> RunToUndo(const Site& site, const std::string& run_id);

// Undoes the run RunToUndo(site, run_id) names.
absl::StatusOr<Run> UndoLatest(Site& site, const std::string& run_id);

}  // namespace persist

#endif  // PERSIST_JOURNAL_RECOVERY_H_
