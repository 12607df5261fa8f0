// Copyright persist authors.

#include "workflows/site_session.h"

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/real_path.h"
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
  return WithErrorKind(WithPath(absl::InvalidArgumentError(absl::StrCat(
                                    what, ", ", path, ", cannot be found; ", next_step)),
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
  return std::unique_ptr<SiteSession>(new SiteSession(std::move(*site), *dir));
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

absl::StatusOr<std::unique_ptr<Root>> SiteSession::TreeOfNewSite(const SiteRequest& request) {
  if (HasSiteState(request.root_dir)) return std::unique_ptr<Root>();
  absl::Status allowed = CheckSiteForChange(request.root_dir, request.command, request.allow_root);
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), request.root_dir);
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot open the site (give an existing directory "
                                                 "with --root)"),
                         ErrorKind::kUsage);
  }
  return root;
}

absl::StatusOr<Run> SiteSession::Execute(const Plan& plan, const RunOptions& options,
                                         const std::string& what, const std::string& history_dir) {
  absl::StatusOr<Run> run = ExecutePlan(*site_, plan, options);
  if (!what.empty()) AppendHistory(*site_, HistoryOutcome(what, run), history_dir);
  return run;
}

void SiteSession::AddToHistory(const std::string& what) { AppendHistory(*site_, what); }

}  // namespace persist
