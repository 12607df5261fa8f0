// Copyright persist authors.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/error_kind.h"
#include "base/time_id.h"
#include "fsops/archive.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/real_path.h"
#include "fsops/rename.h"
#include "fsops/root.h"
#include "journal/site.h"
#include "spdlog/spdlog.h"
#include "workflows/backup.h"
#include "workflows/shared_dir.h"

namespace persist {
namespace {

// Where the journal stands: "" without a journal, else the latest run and
// its state. Refuses while a run is half done: exit 4 while it is under way,
// 3 when it was interrupted.
absl::StatusOr<std::string> JournalMark(const Root& root, const std::string& root_dir) {
  absl::StatusOr<PathState> journal = root.Observe(".persist/journal/data.mdb", false);
  if (!journal.ok()) return journal.status();
  if (journal->type() == ABSENT) return std::string();
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(root.env(), root_dir);
  if (!site.ok()) return site.status();
  absl::StatusOr<std::optional<Run>> interrupted = (*site)->FindInterrupted();
  if (!interrupted.ok()) return interrupted.status();
  if (interrupted->has_value()) {
    if ((*site)->LockIsHeld()) {
      return WithErrorKind(
          absl::FailedPreconditionError(
              absl::StrCat("run ", (*interrupted)->id(), " (", (*interrupted)->kind(),
                           ") is changing ", root_dir,
                           " right now; a backup now would catch it half done: run persist backup "
                           "when it ends")),
          ErrorKind::kLocked);
    }
    return (*site)->NeedsRecovery(**interrupted);
  }
  absl::StatusOr<std::vector<Run>> runs = (*site)->store().ListRuns();
  if (!runs.ok()) return runs.status();
  if (runs->empty()) return std::string("none");
  return absl::StrCat(runs->back().id(), " ", RunState_Name(runs->back().state()));
}

// The default archive name: persist-backup-<site dir name>-<UTC time>.tar.
std::string DefaultArchiveName(const std::string& root_dir) {
  std::string site = "site";
  if (absl::StatusOr<std::string> resolved = RealPath(root_dir); resolved.ok()) {
    const std::string leaf = SplitParent(*resolved).second;
    if (!leaf.empty() && leaf != "/") site = leaf;
  }
  return absl::StrCat("persist-backup-", site, "-", TimeId(absl::Now()), ".tar");
}

// Where a backup goes: `out` split into its directory (opened) and file
// name, checked: not an existing file, not inside shared/.
struct Destination {
  std::string path;  // as given, for messages
  std::string dir_path;
  std::string leaf;
  Fd dir;
};

absl::StatusOr<Destination> OpenDestination(Env* env, const std::string& out,
                                            const std::string& root_dir) {
  if (out.empty())
    return UsageError("--out is empty; give the archive's file name, e.g. --out site.tar");
  Destination dest;
  dest.path = out;
  std::tie(dest.dir_path, dest.leaf) = SplitParent(out);
  if (out.front() == '/' && dest.dir_path.empty()) dest.dir_path = "/";
  if (dest.dir_path.empty()) dest.dir_path = ".";
  if (dest.leaf.empty() || dest.leaf == "." || dest.leaf == ".." || out.back() == '/') {
    return UsageError(
        absl::StrCat("--out ", PrintablePath(out),
                     " names no file; give the archive's file name, e.g. --out site.tar"));
  }
  absl::StatusOr<int> dir_fd = env->OpenRoot(dest.dir_path);
  if (!dir_fd.ok()) {
    return WithErrorKind(
        Annotate(dir_fd.status(), "cannot write the backup " + PrintablePath(out) +
                                      " (give --out a file in an existing directory)"),
        ErrorKind::kUsage);
  }
  dest.dir = Fd(env, *dir_fd, dest.dir_path);
  struct stat st;
  if (env->StatAt(dest.dir.get(), dest.leaf, &st, out).ok()) {
    return UsageError(
        absl::StrCat(PrintablePath(out),
                     " exists; persist never overwrites a backup: move it away or give "
                     "another --out"));
  }
  // The archive must not be written into what it archives.
  const absl::StatusOr<std::string> real_dir = RealPath(dest.dir_path);
  const absl::StatusOr<std::string> real_shared = RealPath(JoinPath(root_dir, kShared));
  if (real_dir.ok() && real_shared.ok() &&
      (*real_dir == *real_shared || absl::StartsWith(*real_dir, *real_shared + "/"))) {
    return UsageError(absl::StrCat("the backup ", PrintablePath(out), " would be written inside ",
                                   *real_shared,
                                   ", which it archives; give --out a file outside shared/"));
  }
  return dest;
}

// Writes the archive of `root`'s shared/ under a temporary name beside the
// destination, and renames it into place only when it is whole, synced, and
// `still_valid` agrees: FILE is a whole archive or absent, never a part.
absl::StatusOr<ArchiveCounts> WriteBackupFile(Env* env, const Root& root, Destination& dest,
                                              const std::function<absl::Status()>& still_valid) {
  const std::string partial = absl::StrCat(".", dest.leaf, ".partial-", getpid());
  const std::string partial_path = JoinPath(dest.dir_path, partial);
  absl::StatusOr<int> file_fd =
      env->OpenAt(dest.dir.get(), partial, O_WRONLY | O_CREAT | O_EXCL, 0600, partial_path);
  if (!file_fd.ok()) {
    return WithErrorKind(Annotate(file_fd.status(),
                                 "cannot write the backup (give --out a file in a "
                                 "directory you can write to)"),
                        ErrorKind::kUsage);
  }
  Fd file(env, *file_fd, partial_path);
  absl::StatusOr<ArchiveCounts> counts =
      WriteArchive(env, Entry{root.fd(), kShared, kShared}, kShared, file.get(), dest.path);
  absl::Status status = counts.ok() ? env->Fsync(file.get(), partial_path) : counts.status();
  file.Reset();
  if (status.ok()) status = still_valid();
  if (status.ok()) {
    status = RenameNoReplace(env, Entry{dest.dir.get(), partial, partial_path},
                             Entry{dest.dir.get(), dest.leaf, dest.path});
  }
  if (!status.ok()) {
    env->UnlinkAt(dest.dir.get(), partial, 0, partial_path).IgnoreError();
    if (StatusErrno(status) == EEXIST) {
      return UsageError(absl::StrCat(PrintablePath(dest.path),
                                     " appeared while the backup was written; "
                                     "persist never overwrites a backup: give "
                                     "another --out"));
    }
    return Annotate(status, "backup failed, no archive was kept");
  }
  status = env->Fsync(dest.dir.get(), dest.dir_path);
  if (!status.ok()) {
    return Annotate(status, absl::StrCat("the backup ", PrintablePath(dest.path),
                                         " was written but its directory could not be synced: "
                                         "after a crash it may be missing; check the disk"));
  }
  return counts;
}

}  // namespace

absl::StatusOr<BackupResult> Backup(const BackupOptions& options) {
  Env* env = Env::Default();
  const std::string& root_dir = options.root_dir;
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(env, root_dir);
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot back up (give the site with --root)"),
                         ErrorKind::kUsage);
  }
  absl::Status status = CheckShared(**root, /*may_be_absent=*/false);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> mark = JournalMark(**root, root_dir);
  if (!mark.ok()) return mark.status();
  const std::string out =
      options.out.empty() && !options.out_given ? DefaultArchiveName(root_dir) : options.out;
  absl::StatusOr<Destination> dest = OpenDestination(env, out, root_dir);
  if (!dest.ok()) return dest.status();

  spdlog::info("archiving {}/shared into {}", root_dir, PrintablePath(dest->path));
  // No lock is taken (a backup only reads), so a run that starts or ends
  // meanwhile is caught by the journal moving on.
  auto journal_unchanged = [&]() -> absl::Status {
    absl::StatusOr<std::string> after = JournalMark(**root, root_dir);
    if (!after.ok()) return after.status();
    if (*after == *mark) return absl::OkStatus();
    return absl::AbortedError(
        absl::StrCat("a persist run changed ", root_dir,
                     " while the backup read it (the journal's latest run went from ",
                     mark->empty() ? "none" : *mark, " to ", *after,
                     "); no archive was kept: run persist backup again"));
  };
  absl::StatusOr<ArchiveCounts> counts = WriteBackupFile(env, **root, *dest, journal_unchanged);
  if (!counts.ok()) return counts.status();
  return BackupResult{dest->path, SummaryOf(*counts)};
}

}  // namespace persist
