// Copyright persist authors.

#include "workflows/status.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/tree_size.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "planner/deploy_planner.h"
#include "workflows/deploy_flow.h"

namespace persist {
namespace {

// The lock file's holder line is a few dozen bytes; more is not a holder line.
constexpr size_t kHolderLineCap = 4096;

// What `site` holds under releases/, measured, given the journal's `runs`.
absl::StatusOr<ReleaseList> ReleasesOf(const Site& site, const std::vector<Run>& runs) {
  const DeployTimes deployed_at = DeployTimesOf(runs);
  ReleaseList list;
  absl::StatusOr<std::vector<std::string>> ids =
      ListReleases(site.root(), deployed_at, &list.skipped);
  if (!ids.ok()) return ids.status();
  absl::StatusOr<std::string> current = CurrentRelease(site.root());
  if (!current.ok()) return current.status();
  list.current = *current;
  for (const std::string& id : *ids) {
    ReleaseInfo info;
    info.id = id;
    info.live = id == list.current;
    auto at = deployed_at.find(id);
    if (at != deployed_at.end()) info.deployed_ns = at->second;
    for (const Run& run : runs) {
      if (run.release() == id && run.start_ns() == info.deployed_ns) info.deployed_by = run.id();
    }
    absl::StatusOr<TreeSize> size = MeasureTree(site.root(), absl::StrCat("releases/", id));
    if (!size.ok()) return Annotate(size.status(), "cannot measure the release");
    info.bytes = size->bytes;
    info.files = size->files;
    list.releases.push_back(std::move(info));
  }
  return list;
}

absl::StatusOr<std::unique_ptr<Site>> OpenSite(const std::string& root_dir) {
  return Site::OpenForReading(Env::Default(), root_dir);
}

}  // namespace

absl::StatusOr<ReleaseList> ListSiteReleases(const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Site>> site = OpenSite(root_dir);
  if (!site.ok()) return site.status();
  absl::StatusOr<std::vector<Run>> runs = (*site)->store().ListRuns();
  if (!runs.ok()) return runs.status();
  return ReleasesOf(**site, *runs);
}

absl::StatusOr<SiteStatus> SiteStatusOf(const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Site>> opened = OpenSite(root_dir);
  if (!opened.ok()) return opened.status();
  const Site& site = **opened;
  absl::StatusOr<std::vector<Run>> runs = site.store().ListRuns();
  if (!runs.ok()) return runs.status();

  SiteStatus status;
  status.root = root_dir;
  absl::StatusOr<ReleaseList> releases = ReleasesOf(site, *runs);
  if (!releases.ok()) return releases.status();
  status.releases = *std::move(releases);

  absl::StatusOr<TreeSize> shared = MeasureTree(site.root(), "shared");
  if (shared.ok()) {
    status.has_shared = true;
    status.shared_bytes = shared->bytes;
    status.shared_files = shared->files;
  } else if (StatusErrno(shared.status()) != ENOENT) {
    return Annotate(shared.status(), "cannot measure shared/");
  }

  absl::StatusOr<std::optional<Run>> interrupted = site.FindInterrupted();
  if (!interrupted.ok()) return interrupted.status();
  status.interrupted = *interrupted;
  if (site.LockIsHeld()) {
    // The holder writes its line once it has the lock: a lock taken a moment
    // ago may not have one yet.
    absl::StatusOr<std::string> holder = site.root().ReadFile(".persist/lock", kHolderLineCap);
    std::string line = holder.ok() ? std::string(absl::StripAsciiWhitespace(*holder)) : "";
    status.lock_holder = line.empty() ? "holder unknown" : line;
  }

  if (!runs->empty()) status.last_run = runs->back();
  status.undo_window = RunOptions().undo_window;
  for (auto run = runs->rbegin(); run != runs->rend(); ++run) {
    if (!status.last_checked.has_value() && run->health_size() > 0) status.last_checked = *run;
  }
  for (auto run = runs->rbegin(); run != runs->rend(); ++run) {
    if (run->state() != RUN_COMMITTED) continue;
    if (run->stash_purged()) break;
    status.undoable.push_back(*run);
  }
  return status;
}

}  // namespace persist
