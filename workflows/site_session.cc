// Copyright persist authors.

#include "workflows/site_session.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "base/error_path.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/real_path.h"
#include "fsops/user_name.h"
#include "planner/deploy_planner.h"
#include "workflows/binary_record.h"
#include "workflows/history.h"
#include "workflows/purge_guard.h"
#include "workflows/root_guard.h"
#include "workflows/trash_emptier.h"

namespace persist {

absl::StatusOr<std::string> AbsoluteExisting(const std::string& path, const std::string& what,
                                             const std::string& next_step) {
  absl::StatusOr<std::string> resolved = RealPath(path);
  if (resolved.ok()) return resolved;
  const int err = StatusErrno(resolved.status());
  const std::string cause =
      err == ENOENT || err == ENOTDIR ? "cannot be found"
      : err == EACCES                 ? absl::StrCat("cannot be reached: ", DescribeUser(geteuid()),
                                                     " may not search a directory on its way (EACCES); run as a "
                                                                     "user who may, or grant search permission")
                      : absl::StrCat("cannot be resolved (", resolved.status().message(), ")");
  return WithErrorKind(WithPath(absl::InvalidArgumentError(
                                    absl::StrCat(what, ", ", path, ", ", cause, "; ", next_step)),
                                path),
                       ErrorKind::kUsage);
}

namespace {

// Rule 7: OK unless the site's latest committed run is a staging of a
// fleet run other than `fleet_run` ("" for none, which is always OK).
absl::Status ExpectNoOtherFleetStaging(const Site& site, const std::string& dir,
                                       const std::string& fleet_run) {
  if (fleet_run.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<Run>> runs = site.store().ListRuns();
  if (!runs.ok()) return runs.status();
  auto latest = std::find_if(runs->rbegin(), runs->rend(),
                             [](const Run& run) { return run.state() == RUN_COMMITTED; });
  if (latest == runs->rend() || latest->kind() != "deploy" || latest->fleet_run().empty() ||
      latest->fleet_run() == fleet_run) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> live = CurrentRelease(site.root());
  if (!live.ok()) return live.status();
  if (*live == latest->release()) return absl::OkStatus();
  return WithPath(
      UsageError(absl::StrCat(
          "fleet run ", latest->fleet_run(), " staged release ", PrintablePath(latest->release()),
          " on ", PrintablePath(dir), " (run ", latest->id(),
          ") and has neither switched to it nor undone it: another controller's fleet run is "
          "under way here, or was cut off; nothing changed. Wait for that controller to end and "
          "run this again; if it was cut off, undo its staging first (ansible-playbook "
          "undo.yml -e fleet_run=",
          latest->fleet_run(), ", or on this host `persist undo ", latest->id(), " --root ",
          PrintablePath(dir), " --fleet-run ", latest->fleet_run(), " --yes`)")),
      JoinPath("releases", latest->release()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SiteSession>> SiteSession::OpenLocked(const SiteRequest& request) {
  absl::Status allowed = CheckSiteForChange(request.root_dir, request.command, request.allow_root);
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), request.root_dir, request.command);
  if (!site.ok()) return site.status();
  NoteSiteLocked(request.root_dir);
  RecordPersistBinary(**site);
  (*site)->set_purge_guard(RescueBeforePurge);
  absl::StatusOr<std::string> dir =
      AbsoluteExisting(request.root_dir, "the site", "give an existing directory with --root");
  if (!dir.ok()) return dir.status();
  return std::unique_ptr<SiteSession>(new SiteSession(std::move(*site), *dir, request.fleet_run));
}

absl::StatusOr<std::unique_ptr<SiteSession>> SiteSession::OpenToRepair(const SiteRequest& request) {
  return OpenLocked(request);
}

absl::StatusOr<std::unique_ptr<SiteSession>> SiteSession::Open(const SiteRequest& request) {
  absl::StatusOr<std::unique_ptr<SiteSession>> session = OpenLocked(request);
  if (!session.ok()) return session.status();
  absl::StatusOr<std::optional<Run>> interrupted = (*session)->site().FindInterrupted();
  if (!interrupted.ok()) return interrupted.status();
  if (interrupted->has_value()) return (*session)->site().NeedsRecovery(**interrupted);
  absl::Status staging =
      ExpectNoOtherFleetStaging((*session)->site(), (*session)->dir(), request.fleet_run);
  if (!staging.ok()) return staging;
  return session;
}

absl::StatusOr<std::unique_ptr<Root>> SiteSession::TreeOfNewSite(const SiteRequest& request,
                                                                 Env* env) {
  if (HasSiteState(request.root_dir)) return std::unique_ptr<Root>();
  absl::Status allowed = CheckSiteForChange(request.root_dir, request.command, request.allow_root);
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(env, request.root_dir);
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot open the site (give an existing directory "
                                                 "with --root)"),
                         ErrorKind::kUsage);
  }
  absl::Status local = CheckLocalFilesystem(env, **root);
  if (!local.ok()) return local;
  return root;
}

absl::StatusOr<Run> SiteSession::Execute(const Plan& plan, const RunOptions& options,
                                         const std::string& what, const std::string& history_dir) {
  RunOptions in_fleet = options;
  if (in_fleet.fleet_run.empty()) in_fleet.fleet_run = fleet_run_;
  absl::StatusOr<Run> run = ExecutePlan(*site_, plan, in_fleet);
  if (!what.empty()) {
    const std::string line = in_fleet.fleet_run.empty()
                                 ? what
                                 : absl::StrCat(what, " (fleet run ", in_fleet.fleet_run, ")");
    AppendHistory(*site_, HistoryOutcome(line, run), history_dir);
  }
  return run;
}

void SiteSession::AddToHistory(const std::string& what) { AppendHistory(*site_, what); }

}  // namespace persist
