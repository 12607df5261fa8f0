// Copyright persist authors.

#include "journal/site.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/stash_layout.h"
#include "base/error_kind.h"
#include "base/next_step.h"
#include "journal/run_info.h"

namespace persist {
namespace {

constexpr mode_t kStateMode = 0700;

absl::StatusOr<std::unique_ptr<Root>> OpenRootDir(Env* env, const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(env, root_dir);
  if (!root.ok()) {
    return WithErrorKind(WithNextStep(Annotate(root.status(), "cannot open the site"),
                                      NextStep::kGiveTheSite),
                         ErrorKind::kUsage);
  }
  return root;
}

// Whether the site shows that runs were recorded: its stash or rescued
// directory holds something. Every op of a run starts by making its stash
// directory, and a committed run's stash stays while it can be undone.
absl::StatusOr<bool> ShowsRuns(const Root& root) {
  for (const char* dir : {kStashRoot, ".persist/rescued"}) {
    absl::StatusOr<Fd> fd = root.OpenDir(dir);
    if (!fd.ok()) {
      if (StatusErrno(fd.status()) == ENOENT) continue;
      return fd.status();
    }
    absl::StatusOr<std::vector<std::string>> names = root.env()->ListDir(fd->get(), dir);
    if (!names.ok()) return names.status();
    if (!names->empty()) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(Env* env, const Root& root,
                                                 Store::Access access) {
  const std::string dir = JoinPath(".persist", "journal");
  absl::StatusOr<Fd> fd = root.OpenDir(dir);
  if (!fd.ok()) {
    return Annotate(fd.status(), absl::StrCat("cannot open the journal directory ", root.dir(),
                                              "/", dir, " (it must be a real directory)"));
  }
  absl::StatusOr<bool> used = ShowsRuns(root);
  if (!used.ok()) return used.status();
  return Store::Open(env, JoinPath(root.dir(), dir), fd->get(), *used, access);
}

// An error while preparing .persist/, with its real cause in words. One that
// is the site's configuration (permissions, a read-only mount) is kUsage:
// the site is as it was but for .persist/.
absl::Status PreparationError(const absl::Status& status, const Root& root) {
  const int err = StatusErrno(status);
  const std::string prefix = absl::StrCat("cannot prepare ", root.dir(), "/.persist");
  if (err == ENOSPC || err == EDQUOT || err == EROFS) {
    absl::Status named = NameFilesystemCause(root, status);
    return err == EROFS ? WithErrorKind(named, ErrorKind::kUsage) : named;
  }
  if (err == EACCES || err == EPERM) {
    return WithErrorKind(
        Annotate(status, absl::StrCat(prefix, " (the site must be writable by the user running "
                                      "persist: run as the site's owner, or fix its permissions)")),
        ErrorKind::kUsage);
  }
  return Annotate(status, prefix);
}

// .persist/reserve: blocks kept back for undo and recovery (Site::ReleaseReserve).
constexpr char kReserve[] = "reserve";
constexpr char kReservePath[] = ".persist/reserve";
constexpr size_t kReserveBytes = size_t{4} << 20;

// Writes .persist/reserve where it is missing or short, with real data
// blocks (written, not fallocated: a filesystem that compresses or copies
// on write would not keep blocks for a range never written). The bytes
// vary, so that compression cannot shrink them. A disk too full for it
// leaves none: the command goes on without.
void MakeReserve(Env* env, const Root& root, int state_fd) {
  struct stat st;
  if (env->StatAt(state_fd, kReserve, &st, kReservePath).ok() && S_ISREG(st.st_mode) &&
      static_cast<size_t>(st.st_size) >= kReserveBytes) {
    RestoreParentOwner(env, state_fd, kReserve, kReservePath).IgnoreError();
    return;
  }
  absl::StatusOr<int> fd =
      env->OpenAt(state_fd, kReserve, O_WRONLY | O_CREAT | O_TRUNC, 0600, kReservePath);
  if (!fd.ok()) return;
  std::string bytes(kReserveBytes, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    memcpy(&bytes[i], &x, 8);
  }
  absl::Status status = env->Write(*fd, bytes.data(), bytes.size(), kReservePath);
  env->Close(*fd);
  if (status.ok()) status = TakeParentOwner(env, state_fd, kReserve, kReservePath);
  if (!status.ok()) env->UnlinkAt(state_fd, kReserve, 0, kReservePath).IgnoreError();
}

}  // namespace

std::string LockHolderLine(const std::string& command) {
  return absl::StrCat("pid=", getpid(), " host=", HostName(),
                      " start=", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
                      " command=", command, "\n");
}

absl::Status CheckLocalFilesystem(Env* env, const Root& root) {
  for (const char* rel : {"", ".persist", ".persist/journal"}) {
    absl::StatusOr<Fd> dir = root.OpenDir(rel);
    if (!dir.ok()) {
      if (*rel == '\0' || StatusErrno(dir.status()) != ENOENT) return dir.status();
      return absl::OkStatus();
    }
    const std::string shown = *rel == '\0' ? root.dir() : JoinPath(root.dir(), rel);
    struct statfs fs;
    absl::Status status = env->StatFs(dir->get(), &fs, shown);
    if (!status.ok()) return status;
    if (const char* network = NetworkFilesystemName(fs))
      return NetworkFilesystemError(shown, network);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Site>> Site::OpenForWriting(Env* env, const std::string& root_dir,
                                                           const std::string& command) {
  absl::StatusOr<std::unique_ptr<Root>> root = OpenRootDir(env, root_dir);
  if (!root.ok()) return root.status();
  absl::Status status = CheckLocalFilesystem(env, **root);
  if (!status.ok()) return status;
  for (const char* dir : {".persist", ".persist/journal", kStashRoot, ".persist/rescued"}) {
    absl::Status made = (*root)->MakeDirs(dir, kStateMode);
    if (!made.ok()) return PreparationError(made, **root);
  }
  absl::StatusOr<Fd> state_dir = (*root)->OpenDir(".persist");
  if (!state_dir.ok()) return state_dir.status();
  absl::StatusOr<int> fd =
      env->OpenAt(state_dir->get(), "lock", O_RDWR | O_CREAT, 0600, ".persist/lock");
  if (!fd.ok()) return PreparationError(fd.status(), **root);
  Fd lock(env, *fd, ".persist/lock");
  status = TakeParentOwner(env, state_dir->get(), "lock", lock.path());
  if (!status.ok()) return PreparationError(status, **root);
  absl::Status locked = env->Flock(lock.get(), LOCK_EX | LOCK_NB, lock.path());
  if (!locked.ok()) {
    if (StatusErrno(locked) != EWOULDBLOCK) return locked;
    std::string holder(512, '\0');
    absl::StatusOr<size_t> got = env->Read(lock.get(), holder.data(), holder.size(), lock.path());
    holder.resize(got.ok() ? *got : 0);
    return WithErrorKind(
        absl::UnavailableError(absl::StrCat(
            "the site ", root_dir, " is locked by another persist run (",
            absl::StripTrailingAsciiWhitespace(holder.empty() ? "holder unknown" : holder),
            "); wait for it to finish, then run your command again")),
        ErrorKind::kLocked);
  }
  // The holder line only informs a second run; the flock is the lock. A
  // full disk that cannot take it must not stop a recovery.
  const std::string line = LockHolderLine(command);
  status = env->Ftruncate(lock.get(), 0, lock.path());
  if (status.ok()) status = env->Write(lock.get(), line.data(), line.size(), lock.path());
  const int err = StatusErrno(status);
  if (!status.ok() && err != ENOSPC && err != EDQUOT) return PreparationError(status, **root);
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenStore(env, **root, Store::Access::kReadWrite);
  if (!store.ok()) return store.status();
  MakeReserve(env, **root, state_dir->get());
  return std::unique_ptr<Site>(new Site(std::move(*root), std::move(*store), std::move(lock)));
}

absl::StatusOr<std::unique_ptr<Site>> Site::OpenForReading(Env* env, const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = OpenRootDir(env, root_dir);
  if (!root.ok()) return root.status();
  absl::StatusOr<bool> has_journal = HasJournal(**root);
  if (!has_journal.ok()) return has_journal.status();
  if (!*has_journal) {
    return WithErrorKind(WithNextStep(absl::FailedPreconditionError(absl::StrCat(
                                          "no journal at ", root_dir,
                                          "/.persist/journal: persist has not run on this site "
                                          "yet")),
                                      NextStep::kGiveTheSite),
                         ErrorKind::kUsage);
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(env, **root, Store::Access::kReadOnly);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Site>(new Site(std::move(*root), std::move(*store), Fd()));
}

absl::Status Site::ReleaseReserve() {
  if (!lock_.valid()) return absl::OkStatus();
  absl::StatusOr<Fd> state_dir = root_->OpenDir(".persist");
  if (!state_dir.ok()) return state_dir.status();
  Env* env = root_->env();
  absl::Status status = env->UnlinkAt(state_dir->get(), kReserve, 0, kReservePath);
  if (StatusErrno(status) == ENOENT) return absl::OkStatus();
  if (!status.ok()) return status;
  // btrfs gives freed blocks back only when its transaction commits.
  struct statfs fs;
  if (env->StatFs(state_dir->get(), &fs, ".persist").ok() && fs.f_type == BTRFS_SUPER_MAGIC) {
    env->Syncfs(state_dir->get(), ".persist").IgnoreError();
  }
  return absl::OkStatus();
}

absl::Status NameFilesystemCause(const Root& root, const absl::Status& status) {
  const int err = StatusErrno(status);
  std::string cause;
  if (err == ENOSPC) {
    struct statfs fs;
    const bool inodes = root.env()->StatFs(root.fd(), &fs, root.dir()).ok() && fs.f_files > 0 &&
                        fs.f_ffree == 0;
    cause = inodes ? absl::StrCat("the filesystem holding ", root.dir(),
                                  " has no free inodes left (df -i ", root.dir(),
                                  "): remove files you no longer need there (old releases, "
                                  "caches, sessions), then run the command again")
                   : absl::StrCat("the filesystem holding ", root.dir(),
                                  " has no space left (df -h ", root.dir(),
                                  "): free some space there, then run the command again");
  } else if (err == EDQUOT) {
    cause = absl::StrCat("the disk quota of the user running persist is used up on the "
                         "filesystem holding ", root.dir(),
                         " (quota -s): free some of it, then run the command again");
  } else if (err == EROFS) {
    cause = absl::StrCat(root.dir(), " is on a read-only filesystem: remount it read-write to "
                         "change the site (reading its journal and verifying it work as it is)");
  } else {
    return status;
  }
  return Annotate(status, cause);
}

absl::StatusOr<bool> Site::HasJournal(const Root& root) {
  absl::StatusOr<PathState> data = root.Observe(".persist/journal/data.mdb", false);
  if (!data.ok()) return data.status();
  if (data->type() != ABSENT) return true;
  absl::StatusOr<PathState> lock = root.Observe(".persist/journal/lock.mdb", false);
  if (!lock.ok()) return lock.status();
  if (lock->type() == ABSENT) return false;
  return ShowsRuns(root);
}

absl::StatusOr<std::optional<Run>> Site::FindInterrupted() const {
  absl::StatusOr<std::vector<Run>> runs = store_->ListRuns();
  if (!runs.ok()) return runs.status();
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    if (it->state() == RUN_APPLYING || it->state() == RUN_UNDOING) return std::optional<Run>(*it);
  }
  return std::optional<Run>();
}

bool Site::LockIsHeld() const {
  if (lock_.valid()) return false;  // we hold it
  absl::StatusOr<Fd> state_dir = root_->OpenDir(".persist");
  if (!state_dir.ok()) return false;
  Env* env = root_->env();
  absl::StatusOr<int> fd = env->OpenAt(state_dir->get(), "lock", O_RDONLY, 0, ".persist/lock");
  if (!fd.ok()) return false;
  Fd lock(env, *fd, ".persist/lock");
  absl::Status shared = env->Flock(lock.get(), LOCK_SH | LOCK_NB, lock.path());
  return StatusErrno(shared) == EWOULDBLOCK;
}

absl::Status Site::NeedsRecovery(const Run& run) const {
  return WithErrorKind(
      WithNextStep(absl::FailedPreconditionError(absl::StrCat(
                       "run ", run.id(), " (", run.kind(), ", pid ", run.pid(), " on ", run.host(),
                       ") was ",
                       run.state() == RUN_UNDOING ? "interrupted while being undone" : "interrupted")),
                   NextStep::kRecover, root_->dir()),
      ErrorKind::kNeedsRecovery);
}

}  // namespace persist
