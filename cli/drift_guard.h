// Copyright persist authors.
//
// drift_guard: pruning never destroys drift. A release that a deploy prunes
// waits in that run's stash while the run can be undone; before the stash
// is purged, every path written into the release after it was deployed (not
// in its manifest) is moved to .persist/rescued/<release>/.

#ifndef PERSIST_CLI_DRIFT_GUARD_H_
#define PERSIST_CLI_DRIFT_GUARD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "journal/site.h"

namespace persist {

// A Site::PurgeGuard: rescues the drift of every release `run` removed.
absl::Status RescueDriftBeforePurge(Site& site, const Run& run);

// The drifted paths of the live release at `release_path` ("releases/ID"),
// by its manifest; empty when it has none.
absl::StatusOr<std::vector<std::string>> DriftOf(Site& site, const std::string& release_path);

}  // namespace persist

#endif  // PERSIST_CLI_DRIFT_GUARD_H_
