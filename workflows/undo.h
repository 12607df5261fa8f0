// Copyright persist authors.
//
// undo, recover and exec: the journal's own commands.
//
//  - recover undoes the run a process left half done, exactly;
//  - undo reverses a finished run (the latest, or the one named), exactly;
//  - exec applies an explicit plan as one run.
//
// Undo and recover may set the trees a run had staged aside in the trash;
// their results say so, and how those go (trash_emptier.h SetAsideNote).

#ifndef PERSIST_WORKFLOWS_UNDO_H_
#define PERSIST_WORKFLOWS_UNDO_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"
#include "workflows/live_check.h"
#include "workflows/reporter.h"
#include "workflows/site_request.h"
#include "workflows/trash_emptier.h"

namespace persist {

struct UndoOptions {
  SiteRequest site;
  std::string run_id;  // "" for the latest run
  bool dry_run = false;
  // Asked with the run about to be undone (its one-line description is
  // the caller's to make); false stops with nothing undone. Unset: yes.
  std::function<bool(const Run& run)> confirm;
  TrashMode trash_mode = TrashMode::kBackground;  // for the set-aside note
  HealthOptions health;                           // after an undo that moved current (live_check.h)
};

struct UndoResult {
  Run target;              // the run chosen to undo
  std::optional<Run> run;  // the run as undone; none on a dry run or when not confirmed
  std::string set_aside;   // what went to the trash and how it goes; "" for nothing
  // A reload or health check that failed after an undo that moved current
  // (CheckAfterUndo): the undo stands all the same.
  absl::Status live_check;
};

// kUsage when there is no run to undo or `run_id` may not be undone now
// (journal/recovery.h UndoLatest), or when `site.fleet_run` is given and the
// run is not part of that fleet run; kUsage (cancelled) when not confirmed.
// Nothing is changed by a refusal.
absl::StatusOr<UndoResult> UndoRun(const UndoOptions& options, Reporter& reporter);

struct RecoverResult {
  std::optional<Run> run;  // the interrupted run, undone; none when there was none
  std::string set_aside;
};

absl::StatusOr<RecoverResult> RecoverSite(const SiteRequest& site, TrashMode trash_mode);

struct ExecOptions {
  SiteRequest site;
  std::string plan_file;  // a persist.Plan in protobuf text format
  bool group_intents = true;
};

// kUsage for a plan file that does not read or parse, or holds a malformed
// op: refused before the site is opened.
absl::StatusOr<Run> ExecPlan(const ExecOptions& options);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_UNDO_H_
