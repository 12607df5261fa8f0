// Copyright persist authors.
//
// backup and restore: shared/ (the site's data, its profile included) as a
// tar archive, and back as one journaled, undoable run.
//
// backup only reads the site, so it runs no journal run; it refuses while a
// run is half done (its tree would be half changed), and fails if a run
// starts or ends while it reads. The archive is written under a temporary
// name beside FILE and renamed into place at the end, never over an
// existing file, so FILE is either a whole archive or absent.
//
// restore extracts the archive outside the site first (TMPDIR), so a bad
// archive is refused before the site is touched, then imports the extracted
// tree over shared/ in one op: the new tree is staged beside it and swapped
// in with one rename, and the old shared/ goes to the run's stash, from
// where `persist undo` puts it back. What the old shared/ held that the
// archive does not (paths it lacks, files with other content, links with
// other targets) is copied to .persist/rescued/restore-<run>/shared/ once the
// run commits, so it outlives the stash.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <iostream>
#include <optional>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "workflows/binary_record.h"
#include "cli/commands.h"
#include "workflows/history.h"
#include "workflows/root_guard.h"
#include "workflows/purge_guard.h"
#include "workflows/trash_emptier.h"
#include "fsops/archive.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/real_path.h"
#include "fsops/rename.h"
#include "fsops/stash_layout.h"
#include "fsops/root.h"
#include "fsops/copy_tree.h"
#include "fsops/tree.h"
#include "fsops/tree_diff.h"
#include "base/error_kind.h"
#include "base/time_id.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "spdlog/spdlog.h"

namespace persist {
namespace {

constexpr char kShared[] = "shared";

absl::Status Usage(const std::string& message) {
  return WithErrorKind(absl::InvalidArgumentError(message), ErrorKind::kUsage);
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string DescribeCounts(const ArchiveCounts& counts) {
  return absl::StrCat(Plural(counts.files, "file", "files"), " (", counts.bytes, " bytes), ",
                      Plural(counts.directories, "directory", "directories"), ", ",
                      Plural(counts.symlinks, "symlink", "symlinks"));
}

// shared/ must be a directory of the site (or, for a restore, absent):
// persist never follows a symlink out of the site.
absl::Status CheckShared(const Root& root, bool may_be_absent) {
  absl::StatusOr<PathState> shared = root.Observe(kShared, false);
  if (!shared.ok()) return shared.status();
  if (shared->type() == DIRECTORY) return absl::OkStatus();
  if (shared->type() == ABSENT) {
    if (may_be_absent) return absl::OkStatus();
    return Usage(absl::StrCat("there is no shared/ in ", root.dir(),
                              ", so there is nothing to back up; give the site with --root"));
  }
  return Usage(absl::StrCat(
      JoinPath(root.dir(), kShared), " is a ",
      shared->type() == OTHER ? "fifo, socket or device" : FileTypeName(shared->type()),
      shared->type() == SYMLINK ? " (to " + PrintablePath(shared->link_target()) + ")" : "",
      ", not a directory; persist backs up and restores only a shared/ directory inside the "
      "site: make it one (or give --root the site that holds it)"));
}

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
    return Usage("--out is empty; give the archive's file name, e.g. --out site.tar");
  Destination dest;
  dest.path = out;
  std::tie(dest.dir_path, dest.leaf) = SplitParent(out);
  if (out.front() == '/' && dest.dir_path.empty()) dest.dir_path = "/";
  if (dest.dir_path.empty()) dest.dir_path = ".";
  if (dest.leaf.empty() || dest.leaf == "." || dest.leaf == ".." || out.back() == '/') {
    return Usage(absl::StrCat("--out ", PrintablePath(out),
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
    return Usage(absl::StrCat(PrintablePath(out),
                              " exists; persist never overwrites a backup: move it away or give "
                              "another --out"));
  }
  // The archive must not be written into what it archives.
  const absl::StatusOr<std::string> real_dir = RealPath(dest.dir_path);
  const absl::StatusOr<std::string> real_shared = RealPath(JoinPath(root_dir, kShared));
  if (real_dir.ok() && real_shared.ok() &&
      (*real_dir == *real_shared || absl::StartsWith(*real_dir, *real_shared + "/"))) {
    return Usage(absl::StrCat("the backup ", PrintablePath(out), " would be written inside ",
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
      return Usage(absl::StrCat(PrintablePath(dest.path),
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

absl::Status RunBackup(const Args& args) {
  absl::Status status = ExpectPositionals("backup", args, 0, 0);
  if (!status.ok()) return status;
  Env* env = Env::Default();
  const std::string root_dir = RootOf(args);
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(env, root_dir);
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot back up (give the site with --root)"),
                        ErrorKind::kUsage);
  }
  status = CheckShared(**root, /*may_be_absent=*/false);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> mark = JournalMark(**root, root_dir);
  if (!mark.ok()) return mark.status();
  absl::StatusOr<Destination> dest =
      OpenDestination(env, args.Get("out", DefaultArchiveName(root_dir)), root_dir);
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
  std::cout << "wrote " << PrintablePath(dest->path) << ": shared/ of " << root_dir << ", "
            << DescribeCounts(*counts) << "; mode 0600, since it holds .env\n";
  for (const std::string& skipped : counts->skipped) {
    std::cout << "skipped " << PrintablePath(skipped)
              << ": a fifo, socket or device, which an archive cannot hold\n";
  }
  std::cout << "`persist restore " << PrintablePath(dest->path) << " --root " << root_dir
            << "` brings shared/ back as it is now\n";
  return absl::OkStatus();
}

namespace {

// A fresh directory for one restore's extraction, outside the site; removed
// with everything in it when the restore ends.
class ScratchDir {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Make(Env* env, const std::string& site_dir) {
    const char* env_tmp = getenv("TMPDIR");
    const std::string tmp = env_tmp != nullptr && *env_tmp != '\0' ? env_tmp : "/tmp";
    const absl::StatusOr<std::string> base = RealPath(tmp);
    if (!base.ok()) {
      return Usage(absl::StrCat("TMPDIR ", PrintablePath(tmp),
                                " cannot be used to extract the archive (it does not resolve); set "
                                "TMPDIR to a directory with room for the archive"));
    }
    const absl::StatusOr<std::string> site = RealPath(site_dir);
    if (site.ok() && (*base == *site || absl::StartsWith(*base, *site + "/"))) {
      return Usage(absl::StrCat("TMPDIR ", *base, " is inside the site ", *site,
                                "; the archive is extracted outside it: set TMPDIR elsewhere"));
    }
    absl::StatusOr<int> fd = env->OpenRoot(*base);
    if (!fd.ok()) return Annotate(fd.status(), "set TMPDIR to a directory persist can write to");
    Fd parent(env, *fd, *base);
    for (int attempt = 0;; ++attempt) {
      const std::string name = absl::StrCat("persist-restore-", getpid(), "-",
                                            absl::ToUnixNanos(absl::Now()) % 1000000000);
      const std::string path = JoinPath(*base, name);
      absl::Status made = env->MkdirAt(parent.get(), name, 0700, path);
      if (made.ok()) {
        return std::unique_ptr<ScratchDir>(new ScratchDir(env, std::move(parent), name, path));
      }
      if (StatusErrno(made) != EEXIST || attempt > 100) {
        return Annotate(made, "set TMPDIR to a directory persist can write to");
      }
    }
  }

  ~ScratchDir() {
    absl::Status status = Remove();
    if (!status.ok()) spdlog::warn("{}; remove {} by hand", std::string(status.message()), path_);
  }

  const std::string& path() const { return path_; }
  // The extraction's directory fd, opened on demand.
  absl::StatusOr<int> Open() {
    if (!dir_.valid()) {
      absl::StatusOr<int> fd = env_->OpenAt(parent_.get(), name_, O_RDONLY | O_DIRECTORY, 0, path_);
      if (!fd.ok()) return fd.status();
      dir_ = Fd(env_, *fd, path_);
    }
    return dir_.get();
  }

  absl::Status Remove() {
    if (removed_) return absl::OkStatus();
    dir_.Reset();
    removed_ = true;
    return RemoveTree(env_, Entry{parent_.get(), name_, path_});
  }

 private:
  ScratchDir(Env* env, Fd parent, std::string name, std::string path)
      : env_(env), parent_(std::move(parent)), name_(std::move(name)), path_(std::move(path)) {}

  Env* env_;
  Fd parent_;
  Fd dir_;
  std::string name_;
  std::string path_;
  bool removed_ = false;
};

// Opens the archive to restore. Its path is the operator's, outside the
// site: a symlink to it is followed, once, here.
absl::StatusOr<Fd> OpenArchive(Env* env, const std::string& file) {
  const absl::StatusOr<std::string> resolved = RealPath(file);
  absl::Status status;
  if (!resolved.ok()) {
    status = ErrnoStatus(StatusErrno(resolved.status()), "open", file);
  } else {
    auto [parent, leaf] = SplitParent(*resolved);
    absl::StatusOr<int> dir = env->OpenRoot(parent.empty() ? "/" : parent);
    if (dir.ok()) {
      Fd dir_fd(env, *dir, parent);
      absl::StatusOr<int> fd = env->OpenAt(dir_fd.get(), leaf, O_RDONLY, 0, file);
      if (fd.ok()) {
        Fd in(env, *fd, file);
        struct stat st;
        status = env->StatAt(in.get(), "", &st, file);
        if (status.ok() && S_ISREG(st.st_mode) && st.st_size == 0) {
          return Usage(absl::StrCat("the archive ", PrintablePath(file),
                                    " is empty; give the file persist backup wrote, whole"));
        }
        if (status.ok() && S_ISREG(st.st_mode)) return in;
        if (status.ok()) {
          return Usage(absl::StrCat("the archive ", PrintablePath(file),
                                    " is not a file; give the file persist backup wrote"));
        }
      } else {
        status = fd.status();
      }
    } else {
      status = dir.status();
    }
  }
  return WithErrorKind(absl::InvalidArgumentError(
                          absl::StrCat("cannot read the archive: ", status.message(),
                                       "; give the path of a file that persist backup wrote")),
                      ErrorKind::kUsage);
}

// Copies what `old` (the shared/ the run replaced, in its stash) holds and
// the extracted archive does not into .persist/rescued/restore-<run>/shared/.
// Returns the lines to print; an entry that cannot be copied is an error
// naming where it stays.
absl::StatusOr<std::vector<std::string>> KeepWhatTheArchiveLacks(
    Site& site, const Run& run, int extracted_dir, const std::string& extracted_path) {
  Root& root = site.root();
  Env* env = site.env();
  std::vector<std::string> lines;
  // What op 0 replaced is in its stash's old slot (fsops/stash_layout.h).
  const std::string stashed = StashSlot(run.id(), 0, kOldSlot);
  absl::StatusOr<PathState> old = root.Observe(stashed, false);
  if (!old.ok()) return old.status();
  if (old->type() != DIRECTORY) return lines;  // there was no shared/ before
  std::string leaf;
  absl::StatusOr<Fd> stash_dir = root.OpenParent(stashed, &leaf);
  if (!stash_dir.ok()) return stash_dir.status();
  absl::StatusOr<std::vector<Difference>> diffs =
      DataNotIn(env, Entry{stash_dir->get(), leaf, stashed},
                Entry{extracted_dir, kShared, JoinPath(extracted_path, kShared)});
  if (!diffs.ok()) return diffs.status();
  const std::string kept = JoinPath(JoinPath(".persist/rescued", "restore-" + run.id()), kShared);
  std::vector<std::string> failed;
  for (const Difference& diff : *diffs) {
    const std::string from = JoinPath(stashed, diff.path);
    const std::string to = JoinPath(kept, diff.path);
    absl::Status status = root.MakeDirs(SplitParent(to).first, 0700);
    std::string from_leaf, to_leaf;
    absl::StatusOr<Fd> from_dir =
        status.ok() ? root.OpenParent(from, &from_leaf) : absl::StatusOr<Fd>(status);
    absl::StatusOr<Fd> to_dir =
        from_dir.ok() ? root.OpenParent(to, &to_leaf) : absl::StatusOr<Fd>(from_dir.status());
    if (to_dir.ok()) {
      status =
          CopyTree(env, Entry{from_dir->get(), from_leaf, from}, Entry{to_dir->get(), to_leaf, to});
    } else {
      status = to_dir.status();
    }
    if (!status.ok()) {
      failed.push_back(absl::StrCat(PrintablePath(from), " (", status.message(), ")"));
      continue;
    }
    lines.push_back(absl::StrCat(
        "kept ", PrintablePath(to), " (",
        diff.kind == Difference::kMissing ? "not in the archive" : "the archive's copy differs",
        ")"));
  }
  absl::Status synced = env->Syncfs(root.fd(), kept);
  if (!failed.empty() || !synced.ok()) {
    for (const std::string& line : lines) std::cout << line << "\n";
    return absl::DataLossError(absl::StrCat(
        "shared/ was restored as run ", run.id(), ", but ",
        failed.empty()
            ? "the copies in " + kept + " could not be synced: " + std::string(synced.message())
            : "these could not be copied to " + kept + ": " + absl::StrJoin(failed, ", "),
        "; they stay in the run's stash only while it can be undone: copy them out of "
        ".persist/stash/ by hand, or run persist undo"));
  }
  return lines;
}

}  // namespace

absl::Status RunRestore(const Args& args) {
  absl::Status status = ExpectPositionals("restore", args, 1, 1);
  if (!status.ok()) return status;
  Env* env = Env::Default();
  const std::string file = args.positional[0];
  const std::string root_dir = RootOf(args);
  absl::StatusOr<Fd> in = OpenArchive(env, file);
  if (!in.ok()) return in.status();

  status = CheckSiteForChange(root_dir, "restore", args.Has("allow-root"));
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(env, root_dir, "restore");
  if (!site.ok()) return site.status();
  NoteSiteLocked(root_dir);
  RecordPersistBinary(**site);
  (*site)->set_purge_guard(RescueBeforePurge);
  absl::StatusOr<std::optional<Run>> interrupted = (*site)->FindInterrupted();
  if (!interrupted.ok()) return interrupted.status();
  if (interrupted->has_value()) return (*site)->NeedsRecovery(**interrupted);
  status = CheckShared((*site)->root(), /*may_be_absent=*/true);
  if (!status.ok()) return status;

  absl::StatusOr<std::unique_ptr<ScratchDir>> scratch = ScratchDir::Make(env, root_dir);
  if (!scratch.ok()) return scratch.status();
  absl::StatusOr<int> scratch_fd = (*scratch)->Open();
  if (!scratch_fd.ok()) return scratch_fd.status();
  const std::string extracted = JoinPath((*scratch)->path(), kShared);
  spdlog::info("extracting {} into {}", PrintablePath(file), extracted);
  absl::StatusOr<ArchiveCounts> counts =
      ExtractArchive(env, in->get(), file, kShared, Entry{*scratch_fd, kShared, extracted});
  if (!counts.ok()) {
    if (absl::IsInvalidArgument(counts.status())) return WithErrorKind(counts.status(), ErrorKind::kUsage);
    return Annotate(
        counts.status(),
        absl::StrCat("cannot extract ", PrintablePath(file), " into ", (*scratch)->path(),
                     " (free space there, or set TMPDIR to a directory "
                     "with room); the site was not touched"));
  }
  in->Reset();

  Plan plan;
  plan.add_op()->mutable_import()->set_from(extracted);
  plan.mutable_op(0)->mutable_import()->set_to(kShared);
  RunOptions options;
  options.kind = "restore";
  // The manifests are for releases (persist diff, verify); shared/ is data.
  options.record_manifests = false;
  absl::StatusOr<Run> run = ExecutePlan(**site, plan, options);
  AppendHistory(**site, HistoryOutcome(absl::StrCat("restore of shared/ from ", file), run));
  if (!run.ok()) return run.status();
  std::cout << "restored shared/ of " << root_dir << " from " << PrintablePath(file) << " as run "
            << run->id() << ": " << DescribeCounts(*counts) << ", as archived\n";
  absl::StatusOr<std::vector<std::string>> kept =
      KeepWhatTheArchiveLacks(**site, *run, *scratch_fd, (*scratch)->path());
  if (!kept.ok()) return kept.status();
  for (const std::string& line : *kept) std::cout << line << "\n";
  if (!kept->empty()) {
    std::cout << "what the archive lacks is copied to .persist/rescued/restore-" << run->id()
              << "/shared/, where it stays after the run's stash is purged\n";
  }
  status = (*scratch)->Remove();
  if (!status.ok()) {
    spdlog::warn("{}; remove {} by hand", std::string(status.message()), (*scratch)->path());
  }
  std::cout << "the shared/ it replaced is in the run's stash: `persist undo` puts it back exactly "
               "(and keeps this restored copy in .persist/rescued/"
            << run->id() << "/, since the extraction it came from is gone)\n";
  return absl::OkStatus();
}

}  // namespace persist
