// Copyright persist authors.
//
// shared_dir: what backup and restore share: the check of the site's shared/
// directory, and an archive's counts as a summary.

#ifndef PERSIST_WORKFLOWS_SHARED_DIR_H_
#define PERSIST_WORKFLOWS_SHARED_DIR_H_

#include "absl/status/status.h"
#include "fsops/archive.h"
#include "fsops/root.h"
#include "workflows/backup.h"

namespace persist {

inline constexpr char kShared[] = "shared";

// shared/ must be a directory of the site (or, for a restore, absent):
// persist never follows a symlink out of the site. kUsage otherwise.
absl::Status CheckShared(const Root& root, bool may_be_absent);

ArchiveSummary SummaryOf(const ArchiveCounts& counts);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_SHARED_DIR_H_
