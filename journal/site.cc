// Copyright persist authors.

#include "journal/site.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "journal/exit_code.h"
#include "journal/run_info.h"

namespace persist {
namespace {

constexpr mode_t kStateMode = 0700;

absl::StatusOr<std::unique_ptr<Root>> OpenRootDir(Env* env, const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(env, root_dir);
  if (!root.ok()) {
    return WithExitCode(Annotate(root.status(), "cannot open the site (give an existing directory "
                                                "with --root)"),
                        kExitUsage);
  }
  return root;
}

// Whether the site shows that runs were recorded: its stash or rescued
// directory holds something. Every op of a run starts by making its stash
// directory, and a committed run's stash stays while it can be undone.
absl::StatusOr<bool> ShowsRuns(const Root& root) {
  for (const char* dir : {".persist/stash", ".persist/rescued"}) {
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

absl::StatusOr<std::unique_ptr<Store>> OpenStore(Env* env, const Root& root) {
  const std::string dir = JoinPath(".persist", "journal");
  absl::StatusOr<Fd> fd = root.OpenDir(dir);
  if (!fd.ok()) {
    return Annotate(fd.status(), absl::StrCat("cannot open the journal directory ", root.dir(),
                                              "/", dir, " (it must be a real directory)"));
  }
  absl::StatusOr<bool> used = ShowsRuns(root);
  if (!used.ok()) return used.status();
  return Store::Open(env, JoinPath(root.dir(), dir), fd->get(), *used);
}

// An error while preparing .persist/. One this user may not do is a
// configuration error (exit 2): the site is as it was but for .persist/.
absl::Status PreparationError(const absl::Status& status, const std::string& root_dir) {
  const int err = StatusErrno(status);
  absl::Status annotated = Annotate(
      status, absl::StrCat("cannot prepare ", root_dir, "/.persist (the site must be writable by the "
                           "user running persist: run as the site's owner, or fix its permissions)"));
  const bool config = err == EACCES || err == EPERM || err == EROFS;
  return config ? WithExitCode(annotated, kExitUsage) : annotated;
}

}  // namespace

std::string LockHolderLine(const std::string& command) {
  return absl::StrCat("pid=", getpid(), " host=", HostName(),
                      " start=", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
                      " command=", command, "\n");
}

absl::StatusOr<std::unique_ptr<Site>> Site::OpenForWriting(Env* env, const std::string& root_dir,
                                                           const std::string& command) {
  absl::StatusOr<std::unique_ptr<Root>> root = OpenRootDir(env, root_dir);
  if (!root.ok()) return root.status();
  for (const char* dir : {".persist", ".persist/journal", ".persist/stash", ".persist/rescued"}) {
    absl::Status made = (*root)->MakeDirs(dir, kStateMode);
    if (!made.ok()) return PreparationError(made, root_dir);
  }
  absl::StatusOr<Fd> state_dir = (*root)->OpenDir(".persist");
  if (!state_dir.ok()) return state_dir.status();
  absl::StatusOr<int> fd =
      env->OpenAt(state_dir->get(), "lock", O_RDWR | O_CREAT, 0600, ".persist/lock");
  if (!fd.ok()) return PreparationError(fd.status(), root_dir);
  Fd lock(env, *fd, ".persist/lock");
  absl::Status locked = env->Flock(lock.get(), LOCK_EX | LOCK_NB, lock.path());
  if (!locked.ok()) {
    if (StatusErrno(locked) != EWOULDBLOCK) return locked;
    std::string holder(512, '\0');
    absl::StatusOr<size_t> got = env->Read(lock.get(), holder.data(), holder.size(), lock.path());
    holder.resize(got.ok() ? *got : 0);
    return WithExitCode(
        absl::UnavailableError(absl::StrCat(
            "the site ", root_dir, " is locked by another persist run (",
            absl::StripTrailingAsciiWhitespace(holder.empty() ? "holder unknown" : holder),
            "); wait for it to finish, then run your command again")),
        kExitLocked);
  }
  const std::string line = LockHolderLine(command);
  absl::Status status = env->Ftruncate(lock.get(), 0, lock.path());
  if (status.ok()) status = env->Write(lock.get(), line.data(), line.size(), lock.path());
  if (!status.ok()) return PreparationError(status, root_dir);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(env, **root);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Site>(new Site(std::move(*root), std::move(*store), std::move(lock)));
}

absl::StatusOr<std::unique_ptr<Site>> Site::OpenForReading(Env* env, const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = OpenRootDir(env, root_dir);
  if (!root.ok()) return root.status();
  absl::StatusOr<bool> has_journal = HasJournal(**root);
  if (!has_journal.ok()) return has_journal.status();
  if (!*has_journal) {
    return WithExitCode(absl::FailedPreconditionError(absl::StrCat(
                            "no journal at ", root_dir,
                            "/.persist/journal: persist has not run on this site yet "
                            "(check --root)")),
                        kExitUsage);
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(env, **root);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Site>(new Site(std::move(*root), std::move(*store), Fd()));
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
  return WithExitCode(
      absl::FailedPreconditionError(absl::StrCat(
          "run ", run.id(), " (", run.kind(), ", pid ", run.pid(), " on ", run.host(), ") was ",
          run.state() == RUN_UNDOING ? "interrupted while being undone" : "interrupted",
          "; run `persist recover --root ", root_->dir(), "` to undo it exactly, then try again")),
      kExitNeedsRecovery);
}

}  // namespace persist
