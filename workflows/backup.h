// Copyright persist authors.
//
// backup and restore: shared/ (the site's data, its profile included) as a
// tar archive, and back as one journaled, undoable run.
//
// A backup only reads the site, so it runs no journal run; it refuses while
// a run is half done (its tree would be half changed), and fails if a run
// starts or ends while it reads. The archive is written under a temporary
// name beside the destination and renamed into place at the end, never over
// an existing file, so the destination is either a whole archive or absent.
//
// A restore extracts the archive outside the site first (TMPDIR), so a bad
// archive is refused before the site is touched, then imports the extracted
// tree over shared/ in one op: the new tree is staged beside it and swapped
// in with one rename, and the old shared/ goes to the run's stash, from
// where `persist undo` puts it back. What the old shared/ held that the
// archive does not (paths it lacks, files with other content, links with
// other targets) is copied to .persist/rescued/restore-<run>/shared/ once the
// run commits, so it outlives the stash.

#ifndef PERSIST_WORKFLOWS_BACKUP_H_
#define PERSIST_WORKFLOWS_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"
#include "workflows/site_request.h"

namespace persist {

// What an archive holds.
struct ArchiveSummary {
  uint64_t files = 0;
  uint64_t bytes = 0;  // content of regular files
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  // Fifos, sockets and devices a backup left out: a tar member cannot hold them.
  std::vector<std::string> skipped;
};

struct BackupOptions {
  std::string root_dir = ".";
  // The archive to write; "" for persist-backup-<site dir name>-<UTC time>.tar
  // in the current directory. Never overwritten.
  std::string out;
  bool out_given = false;  // an empty `out` was given: refused
};

struct BackupResult {
  std::string path;  // the archive written
  ArchiveSummary archived;
};

// kUsage for a site without a shared/ directory or a destination that
// exists, lies inside shared/ or cannot be written; kNeedsRecovery or
// kLocked while a run is half done; kFailed (Aborted) when a run changed the
// site while it was read, with no archive kept.
absl::StatusOr<BackupResult> Backup(const BackupOptions& options);

struct RestoreOptions {
  SiteRequest site;
  std::string file;  // the archive, as the operator gave it
};

struct RestoreResult {
  Run run;
  ArchiveSummary restored;
  // "kept PATH (why)" for each thing the old shared/ held that the archive
  // does not, copied to .persist/rescued/restore-<run>/shared/.
  std::vector<std::string> kept;
  // Why some of it could not be copied there (the run stands; the message
  // names what stays in the stash only, and for how long).
  absl::Status keep_failed;
};

// kUsage for an archive that cannot be read or is not one persist backup
// wrote (nothing touched); see SiteSession::Open for the rest.
absl::StatusOr<RestoreResult> Restore(const RestoreOptions& options);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_BACKUP_H_
