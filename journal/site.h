// Copyright persist authors.
//
// Site: a site root opened for persist: the root fd, persist's own directory
// (.persist/ with journal/, stash/ and rescued/), the journal, and for
// commands that change the site, the site lock.
//
// The lock is an flock on .persist/lock, held for the whole command; the file
// records the holder's pid, host, start time and command so that a second
// run can say who holds it. The kernel drops an flock when its process dies,
// so a holder that is gone never blocks anyone: what it left half done is
// found in the journal instead (FindInterrupted), and the next command
// refuses to act until `persist recover` has undone it.

#ifndef PERSIST_JOURNAL_SITE_H_
#define PERSIST_JOURNAL_SITE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/fd.h"
#include "fsops/root.h"
#include "journal/store.h"

namespace persist {

// Refuses a site, or a .persist/ or journal directory already in it, on a
// network or FUSE filesystem (kUsage, naming the directory and the
// filesystem): LMDB needs a local one. Site::OpenForWriting asks before it
// creates anything; a command that plans a new site first asks too, so that
// its dry run names the problem.
absl::Status CheckLocalFilesystem(Env* env, const Root& root);

class Site {
 public:
  // Opens `root_dir` for a command that may change it, creating .persist/ if
  // missing and taking the lock. ErrorKind::kLocked (base/error_kind.h) when another
  // run holds the lock, naming it. A site on a network or FUSE filesystem is
  // refused with kUsage before anything is created in it. Errors name their
  // real cause: no space, no free inodes, a read-only filesystem (kUsage),
  // permissions (kUsage). Run as root, everything created under .persist/
  // takes the owner of the directory it is created in, and so the site
  // root's (fsops/root.h TakeParentOwner). Once the lock is held, it keeps
  // .persist/reserve (see ReleaseReserve), where the disk has room for it.
  static absl::StatusOr<std::unique_ptr<Site>> OpenForWriting(Env* env, const std::string& root_dir,
                                                              const std::string& command);

  // Opens `root_dir` to read its journal. No lock is taken; LMDB readers never
  // block the writer. FailedPrecondition when the site has no journal yet.
  // Nothing is written: the journal is opened read-only (store.h), so a site
  // on a read-only mount can be read.
  static absl::StatusOr<std::unique_ptr<Site>> OpenForReading(Env* env, const std::string& root_dir);

  // Whether `root` has a journal to read: data.mdb is there, or is missing
  // where lock.mdb and the stash show there was one (opening it then reports
  // the loss, see Store::Open).
  static absl::StatusOr<bool> HasJournal(const Root& root);

  Env* env() const { return root_->env(); }
  Root& root() const { return *root_; }
  Store& store() const { return *store_; }

  // The run that a process left half done (APPLYING or UNDOING), if any.
  absl::StatusOr<std::optional<Run>> FindInterrupted() const;

  // Called with a committed run just before its stash is purged (it leaves
  // the undo window and what it replaced is gone for good), so that data
  // worth keeping can be moved out first. A failure keeps the stash; so does
  // a site without a guard: no stash is ever purged unguarded.
  using PurgeGuard = std::function<absl::Status(Site& site, Run& run)>;
  void set_purge_guard(PurgeGuard guard) { purge_guard_ = std::move(guard); }
  const PurgeGuard& purge_guard() const { return purge_guard_; }

  // Removes .persist/reserve, a few MiB of real blocks that OpenForWriting
  // keeps aside, giving them back to the filesystem: called before undo and
  // recovery write, so that on a disk a failed run filled they still have
  // room to record their progress and move things back. The next command
  // that changes the site writes it again, once there is room. Does nothing
  // on a site opened for reading.
  absl::Status ReleaseReserve();

  // True when another process holds the site lock right now: a run found
  // APPLYING or UNDOING is then under way, not interrupted.
  bool LockIsHeld() const;

  // The error for a command refused because `run` was interrupted: ErrorKind::kNeedsRecovery,
  // naming the run, its holder and `persist recover`.
  absl::Status NeedsRecovery(const Run& run) const;

 private:
  Site(std::unique_ptr<Root> root, std::unique_ptr<Store> store, Fd lock)
      : root_(std::move(root)), store_(std::move(store)), lock_(std::move(lock)) {}

  std::unique_ptr<Root> root_;
  std::unique_ptr<Store> store_;
  Fd lock_;
  PurgeGuard purge_guard_;
};

// The holder line written into .persist/lock: "pid=P host=H start=T command=C".
std::string LockHolderLine(const std::string& command);

// `status` with the cause of its ENOSPC, EDQUOT or EROFS said in words, for
// the filesystem holding `root`: no space left, no free inodes left (an
// ENOSPC where statfs shows every inode taken), a used-up quota, a read-only
// filesystem; and what to do. Any other status is returned as it is.
absl::Status NameFilesystemCause(const Root& root, const absl::Status& status);

}  // namespace persist

#endif  // PERSIST_JOURNAL_SITE_H_
