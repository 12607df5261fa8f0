// Copyright persist authors.

#include "workflows/undo.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/trash.h"
#include "journal/recovery.h"
#include "journal/transaction.h"
#include "workflows/plan_file.h"
#include "workflows/site_session.h"

namespace persist {
namespace {

// What the trash holds before an undo, to tell what the undo set aside.
std::vector<std::string> TrashBefore(const Root& root) {
  absl::StatusOr<std::vector<std::string>> names = ListTrash(root);
  return names.ok() ? *names : std::vector<std::string>();
}

// "(deploy of release v2)", for the history.
std::string KindAndRelease(const Run& run) {
  return absl::StrCat("(", run.kind(), run.release().empty() ? "" : " of release " + run.release(),
                      ")");
}

// OK unless `fleet_run` is given and `run` is not part of it: a fleet's
// controller undoes only its own runs, never a run another controller or an
// operator made on the host since.
absl::Status ExpectFleetRun(const Run& run, const std::string& fleet_run, const std::string& site) {
  if (fleet_run.empty() || run.fleet_run() == fleet_run) return absl::OkStatus();
  return UsageError(absl::StrCat(
      "the run to undo on ", PrintablePath(site), ", ", run.id(), " ", KindAndRelease(run), ", is ",
      run.fleet_run().empty() ? "not part of any fleet run"
                              : absl::StrCat("part of fleet run ", run.fleet_run()),
      ", not of fleet run ", fleet_run, "; nothing undone. `persist log --root ",
      PrintablePath(site), "` shows the runs since; undo those first, or drop --fleet-run"));
}

}  // namespace

absl::StatusOr<UndoResult> UndoRun(const UndoOptions& options, Reporter& reporter) {
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::OpenToRepair(options.site);
  if (!session.ok()) return session.status();
  Site& site = (*session)->site();
  UndoResult result;
  absl::StatusOr<Run> target = RunToUndo(site, options.run_id);
  if (!target.ok()) return target.status();
  absl::Status in_fleet = ExpectFleetRun(*target, options.site.fleet_run, (*session)->dir());
  if (!in_fleet.ok()) return in_fleet;
  result.target = *target;
  absl::Status checkable = ValidateLiveChecks(site.root(), options.health);
  if (!checkable.ok()) return checkable;
  if (options.dry_run) return result;
  if (options.confirm && !options.confirm(*target)) {
    return WithErrorKind(absl::CancelledError("nothing undone: the answer was not yes"),
                         ErrorKind::kUsage);
  }
  const std::vector<std::string> trash = TrashBefore(site.root());
  absl::StatusOr<Run> run = UndoLatest(site, target->id());
  if (!run.ok()) return run.status();
  (*session)->AddToHistory(absl::StrCat("undo of run ", run->id(), " ", KindAndRelease(*run)));
  result.set_aside = SetAsideNote(options.trash_mode, site.root(), (*session)->dir(), trash);
  absl::StatusOr<std::vector<OpRecord>> ops = site.store().GetOps(run->id());
  if (!ops.ok()) return ops.status();
  if (std::any_of(ops->begin(), ops->end(),
                  [](const OpRecord& record) { return MovesCurrent(record.op()); })) {
    result.live_check = CheckAfterUndo(**session, &*run, options.health, reporter);
  }
  result.run = *std::move(run);
  return result;
}

absl::StatusOr<RecoverResult> RecoverSite(const SiteRequest& request, TrashMode trash_mode) {
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::OpenToRepair(request);
  if (!session.ok()) return session.status();
  Site& site = (*session)->site();
  const std::vector<std::string> trash = TrashBefore(site.root());
  absl::StatusOr<std::optional<Run>> run = Recover(site);
  if (!run.ok()) return run.status();
  RecoverResult result;
  if (!run->has_value()) return result;
  (*session)->AddToHistory(
      absl::StrCat("recover: interrupted run ", (*run)->id(), " ", KindAndRelease(**run), " undone"));
  result.set_aside = SetAsideNote(trash_mode, site.root(), (*session)->dir(), trash);
  result.run = *std::move(run);
  return result;
}

absl::StatusOr<Run> ExecPlan(const ExecOptions& options) {
  absl::StatusOr<Plan> plan = ReadPlanFile(options.plan_file);
  if (!plan.ok()) return plan.status();
  // Ops whose paths are malformed are refused before the site is opened
  // (and its .persist/ created), as ExecutePlan would refuse them.
  for (int i = 0; i < plan->op_size(); ++i) {
    absl::Status valid = ValidateOp(plan->op(i));
    if (!valid.ok()) {
      return WithErrorKind(
          WithPath(Annotate(valid, absl::StrCat(options.plan_file, ": op ", i + 1)), options.plan_file),
          ErrorKind::kUsage);
    }
  }
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  RunOptions run_options;
  run_options.kind = "exec";
  run_options.group_intents = options.group_intents;
  // An explicit plan writes the history itself if it wants a line.
  return (*session)->Execute(*plan, run_options, /*what=*/"");
}

}  // namespace persist
