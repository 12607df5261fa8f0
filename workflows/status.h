// Copyright persist authors.
//
// status: a site at a glance, for `persist status` and `persist releases`:
// its releases with their sizes and deploy times, which one is live, the
// size of shared/, a run left interrupted, who holds the lock, the last
// health check and what an undo would reverse.
//
// Reads only, like inspect.h: no lock is taken, nothing in the site is
// created or changed (the journal is opened read-only), so a look at a site
// never holds up, nor is held up by, a run under way.

#ifndef PERSIST_WORKFLOWS_STATUS_H_
#define PERSIST_WORKFLOWS_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"

namespace persist {

struct ReleaseInfo {
  std::string id;
  bool live = false;        // current points at it
  int64_t deployed_ns = 0;  // its latest deploy (or adoption) run's start; 0 for none recorded
  std::string deployed_by;  // that run's id; "" for none
  uint64_t bytes = 0;       // the release's regular files (its links into shared/ not followed)
  uint64_t files = 0;
};

struct ReleaseList {
  std::vector<ReleaseInfo> releases;  // in deploy order, oldest first (planner ListReleases)
  std::string current;                // the release current points at; "" for none
  // Names under releases/ that are no valid release id, left out (and named
  // for the operator: no command could name them safely).
  std::vector<std::string> skipped;
};

// The releases of the site at `root_dir`. kUsage (naming the path and what
// to do) when it has no journal yet.
absl::StatusOr<ReleaseList> ListSiteReleases(const std::string& root_dir);

struct SiteStatus {
  std::string root;  // as given
  ReleaseList releases;
  bool has_shared = false;  // shared/ exists
  uint64_t shared_bytes = 0;
  uint64_t shared_files = 0;
  std::optional<Run> interrupted;  // a run left APPLYING or UNDOING
  // The holder line of .persist/lock ("pid=P host=H start=T command=C"),
  // when another process holds the lock now; "" when it is free.
  std::string lock_holder;
  std::optional<Run> last_run;  // the newest run of the journal, whatever its state
  // The newest run that checked the site's health after moving current,
  // and so its checks (Run::health). `persist verify` records nothing (it
  // only reads), so this is the last check persist itself made.
  std::optional<Run> last_checked;
  // The undo window: how many of the latest committed runs keep their stash,
  // and the runs that can be undone now, newest first (committed, not undone,
  // stash kept); `persist undo` takes the first of them.
  int undo_window = 0;
  std::vector<Run> undoable;
};

// The site at `root_dir` at a glance. kUsage when it has no journal yet.
// A tree that cannot be measured (a directory this user may not read) is an
// error naming it: a status that quietly showed less would mislead.
absl::StatusOr<SiteStatus> SiteStatusOf(const std::string& root_dir);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_STATUS_H_
