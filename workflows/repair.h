// Copyright persist authors.
//
// repair: one journaled, undoable run that fixes what persist verify finds
// and persist can fix (planner/repair_planner.h): links made again, missing
// directories made, modes changed; and the names of what it cannot fix,
// each with the operator's fix. A repair that points current elsewhere is
// followed by the reloads and health checks of every switch
// (live_check.h). `persist undo` of a repair puts the broken state back
// exactly: a repair is a run like any other.

#ifndef PERSIST_WORKFLOWS_REPAIR_H_
#define PERSIST_WORKFLOWS_REPAIR_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "planner/health.h"
#include "planner/repair_planner.h"
#include "proto/journal.pb.h"
#include "workflows/reporter.h"
#include "workflows/site_request.h"

namespace persist {

struct RepairOptions {
  SiteRequest site;
  bool dry_run = false;  // plan and report; change nothing
};

struct RepairResult {
  RepairPlan planned;
  std::optional<Run> run;  // none on a dry run, or when there was nothing to repair
  // What verify still finds after the run (after a dry run: what it finds
  // now and the run would leave).
  std::vector<Problem> remaining;
};

// Errors: kNeedsRecovery when a run was interrupted (persist recover
// first), kFailed when the run failed and was undone, or when a health check
// after it failed (and it was undone); see SiteSession::Open for the rest.
absl::StatusOr<RepairResult> Repair(const RepairOptions& options, Reporter& reporter);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_REPAIR_H_
