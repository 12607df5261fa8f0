// Copyright persist authors.
//
// transaction: a plan applied to a site as one journaled, undoable run.
//
// The sequence, and the promise each step keeps (DESIGN.md):
//  1. Every op is validated and its pre-states predicted (StatePredictor);
//     an op that cannot run is refused with nothing touched (kUsage).
//  2. The run and every op's intent, with the pre-state of each path it
//     touches, are committed to the journal in one LMDB transaction before
//     the tree is touched (promise 1). With group_intents off, each op's
//     intent is committed on its own right before the op, its pre-states
//     observed then.
//  3. Each op is applied through fsops (one rename each, promise 2; nothing
//     deleted, promise 3). Before each op the tree is checked against the
//     recorded pre-states.
//  4. One final commit marks every op applied and the run committed.
// If an op fails, the run is undone (recovery.h) before ExecutePlan returns,
// and the error says so. If the process dies instead, the run stays
// APPLYING in the journal and `persist recover` undoes it.

#ifndef PERSIST_JOURNAL_TRANSACTION_H_
#define PERSIST_JOURNAL_TRANSACTION_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/copy_tree.h"
#include "journal/site.h"
#include "proto/journal.pb.h"

namespace persist {

struct RunOptions {
  std::string kind = "exec";
  std::string release;
  std::string fleet_run;  // recorded as Run.fleet_run
  bool group_intents = true;
  // How many of the latest committed runs keep their stash, and so can
  // still be undone. Older stashes are purged after a run commits: set
  // aside whole in .persist/trash/ (fsops/trash.h), emptied after the command,
  // through the site's purge guard (Site::set_purge_guard): without one, none.
  int undo_window = 5;
  // Record the manifest of every imported tree (a release) in the journal,
  // at the commit that completes the run.
  bool record_manifests = true;
  // When set, receives how the run's imports made their files (copied,
  // linked, cloned).
  CopyStats* copy_stats = nullptr;
  // Called before op `index` is applied (index == op count: after the last,
  // before the run commits); may add to the run's record (hook output). An
  // error fails the run, which is then undone.
  std::function<absl::Status(int index, Run* run)> before_op;
};

// Applies `plan` to `site` as one run. Returns the committed run. Errors:
// kUsage for a plan that cannot run (nothing touched), kNeedsRecovery when an
// interrupted run must be recovered first, kFailed when the run failed (it
// was undone; the message says whether the undo completed).
absl::StatusOr<Run> ExecutePlan(Site& site, const Plan& plan, const RunOptions& options);

// A run id for a run starting now: UTC seconds (20261128T101500Z), with a
// -2, -3, ... suffix when the id is taken: by a run in the journal, or by a
// stash or rescue directory a run left under .persist/ (a journal moved
// aside or lost forgets its runs, not their directories).
absl::StatusOr<std::string> NewRunId(const Site& site);

}  // namespace persist

#endif  // PERSIST_JOURNAL_TRANSACTION_H_
