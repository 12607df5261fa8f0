// Copyright persist authors.

#include "workflows/site_session.h"

#include <errno.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/real_path.h"
#include "fsops/user_name.h"
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
