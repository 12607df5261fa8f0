// Copyright persist authors.

#include "workflows/shared_dir.h"

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {

absl::Status CheckShared(const Root& root, bool may_be_absent) {
  absl::StatusOr<PathState> shared = root.Observe(kShared, false);
  if (!shared.ok()) return shared.status();
  if (shared->type() == DIRECTORY) return absl::OkStatus();
  if (shared->type() == ABSENT) {
    if (may_be_absent) return absl::OkStatus();
    return UsageError(absl::StrCat("there is no shared/ in ", root.dir(),
                                   ", so there is nothing to back up; give the site with --root"));
  }
  return UsageError(absl::StrCat(
      JoinPath(root.dir(), kShared), " is a ",
      shared->type() == OTHER ? "fifo, socket or device" : FileTypeName(shared->type()),
      shared->type() == SYMLINK ? " (to " + PrintablePath(shared->link_target()) + ")" : "",
      ", not a directory; persist backs up and restores only a shared/ directory inside the "
      "site: make it one (or give --root the site that holds it)"));
}

ArchiveSummary SummaryOf(const ArchiveCounts& counts) {
  ArchiveSummary summary;
  summary.files = counts.files;
  summary.bytes = counts.bytes;
  summary.directories = counts.directories;
  summary.symlinks = counts.symlinks;
  summary.skipped = counts.skipped;
  return summary;
}

}  // namespace persist
