// Copyright persist authors.

#include "workflows/deploy.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "workflows/deploy_flow.h"
#include "workflows/hooks.h"
#include "workflows/purge_guard.h"
#include "workflows/site_dir.h"
#include "workflows/site_session.h"

namespace persist {
namespace {

// Runs `commands` of `phase` in the new release, one after the other, into
// the run's record; stops at the first that fails, with `consequence` added
// to its error.
absl::Status RunHooks(const char* phase, const std::vector<std::string>& commands,
                      const DeployPlan& planned, const std::string& release_dir,
                      const std::string& root_dir, const std::string& consequence, Run* run,
                      Reporter& reporter) {
  for (const std::string& command : commands) {
    absl::StatusOr<HookOutcome> hook =
        RunHook(phase, command, release_dir, root_dir, planned.release_id, planned.hook_timeout);
    if (!hook.ok()) return hook.status();
    *run->add_hooks() = hook->result;
    reporter.HookEnded(*hook);
    absl::Status failed = HookFailure(*hook, planned.hook_timeout, consequence);
    if (!failed.ok()) return failed;
  }
  return absl::OkStatus();
}

// Notes the data written into a release this deploy prunes: it is rescued,
// not lost, when the run leaves the undo window.
absl::Status NoteDriftOfPrunedReleases(Site& site, DeployPlan* planned) {
  for (const Op& op : planned->plan.op()) {
    if (!op.has_remove() || SplitParent(op.remove().path()).first != "releases") continue;
    absl::StatusOr<std::vector<std::string>> drift = DriftOf(site, op.remove().path());
    if (!drift.ok()) return drift.status();
    for (const std::string& path : *drift) {
      planned->notes.push_back(absl::StrCat(
          path, " was written into a release this deploy prunes; it waits in the stash and is moved "
                "to .persist/rescued/",
          SplitParent(op.remove().path()).second, "/ when this run leaves the undo window"));
    }
  }
  return absl::OkStatus();
}

// The checks of the request that need no site.
absl::Status CheckRequest(DeployOptions& options) {
  if (!options.release.capture) {
    absl::StatusOr<std::string> source = AbsoluteExisting(
        options.release.source, "the release to deploy",
        "give the directory or the archive (.zip, .tar.gz ...) holding the new release");
    if (!source.ok()) return source.status();
    options.release.source = *source;
  }
  if (!options.release.delete_list.empty()) {
    absl::StatusOr<std::string> list = AbsoluteExisting(
        options.release.delete_list, "the list of deleted files", "give the package's list");
    if (!list.ok()) return list.status();
    options.release.delete_list = *list;
  }
  if (!options.release_id_given) return absl::OkStatus();
  absl::Status valid = ValidateId(options.release.release_id, "release id");
  if (valid.ok()) return valid;
  return UsageError(absl::StrCat(valid.message(), "; give another --id"));
}

// Applies the plan: the before-switch hooks just before current moves, the
// check of what the run placed just before it commits.
absl::StatusOr<Run> Apply(SiteSession& session, const DeployOptions& options, DeployResult& result,
                          Reporter& reporter) {
  const DeployPlan& planned = result.planned;
  RunOptions run_options = DeployRunOptions(session.site(), planned);
  run_options.record_manifests = options.record_manifest;
  run_options.copy_stats = &result.copied;
  const std::string release_dir = absl::StrCat(session.dir(), "/releases/", planned.release_id);
  const int hook_point = planned.switch_index >= 0 ? planned.switch_index : planned.plan.op_size();
  std::function<absl::Status(int, Run*)> check_outcome = run_options.before_op;
  run_options.before_op = [&](int index, Run* run) -> absl::Status {
    if (index == hook_point) {
      absl::Status hooks =
          RunHooks("before_switch", planned.before_switch, planned, release_dir, session.dir(),
                   absl::StrCat(" in ", release_dir, " (its output is above and in persist show)"),
                   run, reporter);
      if (!hooks.ok()) return hooks;
    }
    return check_outcome(index, run);
  };
  return session.Execute(planned.plan, run_options,
                         absl::StrCat("deploy ", planned.release_id, " (",
                                      planned.first ? "first" : "subsequent", ") from ",
                                      planned.source));
}

// After the switch the release is live: a failing hook is reported, and the
// deploy stays. Hook output joins the run's record.
absl::Status RunAfterSwitchHooks(SiteSession& session, const DeployPlan& planned, Run* run,
                                 Reporter& reporter) {
  if (planned.switch_index < 0 || planned.after_switch.empty()) return absl::OkStatus();
  const std::string release_dir = absl::StrCat(session.dir(), "/releases/", planned.release_id);
  absl::Status failed = RunHooks(
      "after_switch", planned.after_switch, planned, release_dir, session.dir(),
      absl::StrCat("; release ", planned.release_id,
                   " is live: fix the cause, or run persist undo to go back"),
      run, reporter);
  absl::Status recorded = session.site().store().PutRun(*run);
  return failed.ok() ? recorded : failed;
}

absl::StatusOr<DeployResult> DeployToSite(const DeployOptions& options, Reporter& reporter) {
  DeployResult result;
  absl::Status status;
  absl::StatusOr<std::unique_ptr<Root>> new_site = SiteSession::TreeOfNewSite(options.site);
  if (!new_site.ok()) return new_site.status();
  if (*new_site != nullptr && options.release.capture) {
    return UsageError(absl::StrCat((*new_site)->dir(),
                                   " is no persist site yet: it has no live release to capture; "
                                   "give the site with --root, or deploy a release first"));
  }
  if (*new_site != nullptr) {
    status = ExpectCurrent(**new_site, options.expect_current, options.site.command);
    if (!status.ok()) return status;
    absl::StatusOr<DeployPlan> trial = PlanNewSiteDeploy(**new_site, options.release, options.keep);
    if (!trial.ok()) return trial.status();
    status = ValidateLiveChecks(**new_site, options.health);
    if (!status.ok()) return status;
    if (options.dry_run) {
      result.planned = *std::move(trial);
      return result;
    }
  }
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  // Under the site lock: no other run can move current between this check
  // and the run.
  status = ExpectCurrent((*session)->root(), options.expect_current, options.site.command);
  if (!status.ok()) return status;
  absl::StatusOr<DeployPlan> planned =
      PlanSiteDeploy((*session)->site(), options.release, options.keep);
  if (!planned.ok()) return planned.status();
  result.planned = *std::move(planned);
  status = NoteDriftOfPrunedReleases((*session)->site(), &result.planned);
  if (!status.ok()) return status;
  status = ValidateLiveChecks((*session)->root(), options.health);
  if (!status.ok()) return status;
  if (options.dry_run) return result;
  absl::StatusOr<Run> run = Apply(**session, options, result, reporter);
  if (!run.ok()) return run.status();
  if (result.planned.switch_index >= 0) {
    status = CheckLiveRelease(**session, &*run, options.health, reporter);
    if (!status.ok()) return status;
  }
  result.after_switch = RunAfterSwitchHooks(**session, result.planned, &*run, reporter);
  result.run = *std::move(run);
  return result;
}

// A dry run into a site directory that does not exist: the plan of a
// deploy into an empty stand-in directory, which is what the deploy would
// find once it made the site directory.
absl::StatusOr<DeployResult> DryRunIntoMissingSiteDir(DeployOptions options, Reporter& reporter) {
  const std::string site_dir = options.site.root_dir;
  absl::StatusOr<std::string> stand_in = MakeStandInSiteDir();
  if (!stand_in.ok()) return stand_in.status();
  options.site.root_dir = *stand_in;
  absl::StatusOr<DeployResult> result = DeployToSite(options, reporter);
  RemoveSiteDirIfEmpty(*stand_in);
  if (!result.ok()) return result;
  result->planned.notes.insert(
      result->planned.notes.begin(),
      absl::StrCat("the site directory ", site_dir,
                   " does not exist yet: the deploy will create it, and this is its plan"));
  return result;
}

}  // namespace

absl::StatusOr<DeployResult> Deploy(DeployOptions options, Reporter& reporter) {
  absl::Status status = CheckRequest(options);
  if (!status.ok()) return status;
  if (options.release.capture) return DeployToSite(options, reporter);
  absl::StatusOr<bool> made = MakeMissingSiteDir(options.site.root_dir, options.dry_run);
  if (!made.ok()) return made.status();
  if (*made && options.dry_run) return DryRunIntoMissingSiteDir(options, reporter);
  absl::StatusOr<DeployResult> result = DeployToSite(options, reporter);
  if (!*made) return result;
  if (!result.ok()) {
    RemoveSiteDirIfEmpty(options.site.root_dir);
    return result;
  }
  result->planned.notes.insert(
      result->planned.notes.begin(),
      absl::StrCat("created the site directory ", options.site.root_dir, " (it did not exist)"));
  return result;
}

}  // namespace persist
