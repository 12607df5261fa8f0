// Copyright persist authors.

#include "workflows/repair.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "workflows/live_check.h"
#include "workflows/site_session.h"
#include "workflows/verify.h"

namespace persist {
namespace {

// Whether `plan` points current anywhere.
bool PlanMovesCurrent(const Plan& plan) {
  for (const Op& op : plan.op()) {
    if (op.has_symlink() && op.symlink().path() == "current") return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<RepairResult> Repair(const RepairOptions& options, Reporter& reporter) {
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  VerifyOptions verify;
  verify.root_dir = (*session)->dir();
  absl::StatusOr<Health> before = VerifySite(verify);
  if (!before.ok()) return before.status();
  RepairResult result;
  result.planned = PlanRepair(before->problems);
  if (options.dry_run || result.planned.plan.op_size() == 0) {
    result.remaining = result.planned.unrepairable;
    return result;
  }
  RunOptions run_options;
  run_options.kind = "repair";
  absl::StatusOr<Run> run = (*session)->Execute(
      result.planned.plan, run_options,
      absl::StrCat("repair: ", result.planned.repaired.size(), " problem(s) fixed, ",
                   result.planned.unrepairable.size(), " left"));
  if (!run.ok()) return run.status();
  if (PlanMovesCurrent(result.planned.plan)) {
    absl::Status checked = CheckLiveRelease(**session, &*run, HealthOptions(), reporter);
    if (!checked.ok()) return checked;
  }
  result.run = *std::move(run);
  absl::StatusOr<Health> after = VerifySite(verify);
  if (!after.ok()) return after.status();
  result.remaining = after->problems;
  return result;
}

}  // namespace persist
