// Copyright persist authors.

#include "fsops/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/next_step.h"
#include "fsops/copy_tree.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/record_manifest.h"
#include "fsops/release_archive.h"
#include "fsops/release_update.h"
#include "fsops/rename.h"
#include "fsops/stash_layout.h"
#include "fsops/trash.h"
#include "fsops/tree.h"

namespace persist {
namespace {

constexpr mode_t kStateDirMode = 0700;

#define PERSIST_RETURN_IF_ERROR(expr)        \
  do {                                       \
    absl::Status _status = (expr);           \
    if (!_status.ok()) return _status;       \
  } while (0)

bool Exists(const PathState& state) { return state.type() != ABSENT; }

// A path resolved to its open parent directory and last component.
struct Loc {
  Fd dir;
  std::string parent;
  std::string leaf;
  std::string path;
  Entry entry() const { return Entry{dir.get(), leaf, path}; }
  Entry sibling(const std::string& name) const {
    return Entry{dir.get(), name, JoinPath(parent, name)};
  }
};

absl::StatusOr<Loc> Locate(const Root& root, const std::string& rel) {
  Loc loc;
  loc.path = rel;
  loc.parent = SplitParent(rel).first;
  absl::StatusOr<Fd> dir = root.OpenParent(rel, &loc.leaf);
  if (!dir.ok()) return dir.status();
  loc.dir = std::move(*dir);
  return loc;
}

absl::StatusOr<PathState> Stat(Env* env, const Entry& entry) {
  return ObservePath(env, entry.dir_fd, entry.name, entry.path, false);
}

std::string TempName(const OpContext& ctx) {
  return absl::StrCat(".persist-", ctx.run_id, "-", ctx.index, ".tmp");
}

// ---- The stash: .persist/stash/<run>/<index>/{old,src} (stash_layout.h) ----
//
// What lies on another filesystem than .persist/ (shared/ on a mount of its
// own) cannot be renamed into it. It is stashed on its own filesystem
// instead, in <top>/.persist-stash/<run>/<index>/, where <top> is the
// highest directory of the site on that filesystem (its mount point), and a
// pointer file .persist/stash/<run>/<index>/<slot>.elsewhere, written and
// synced before the rename, says where: undo, recovery and purge find it
// there.

// The highest directory at or above `dir` (root-relative) on the device
// `dev`, walking down from the site's root.
absl::StatusOr<std::string> FilesystemTop(const Root& root, const std::string& dir, dev_t dev) {
  std::string prefix;
  std::vector<std::string> parts;
  for (size_t start = 0; start <= dir.size();) {
    size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    if (end > start) parts.push_back(dir.substr(start, end - start));
    start = end + 1;
  }
  for (size_t i = 0;; ++i) {
    absl::StatusOr<Fd> fd = root.OpenDir(prefix);
    if (!fd.ok()) return fd.status();
    struct stat st;
    PERSIST_RETURN_IF_ERROR(root.env()->StatAt(fd->get(), "", &st, prefix));
    if (st.st_dev == dev || i == parts.size()) return prefix;
    prefix = JoinPath(prefix, parts[i]);
  }
}

// Stashes `entry` on its own filesystem (see above), after a rename into
// `pointer_dir` failed with EXDEV. An EXDEV between two directories of one
// filesystem (overlayfs) is returned as it is: no other stash would help.
absl::Status StashElsewhere(const OpContext& ctx, const Entry& entry, const std::string& slot,
                            const std::string& pointer_dir, int pointer_dir_fd,
                            const absl::Status& cross_device) {
  Env* env = ctx.root->env();
  struct stat st, stash_st;
  PERSIST_RETURN_IF_ERROR(env->StatAt(entry.dir_fd, "", &st, SplitParent(entry.path).first));
  PERSIST_RETURN_IF_ERROR(env->StatAt(pointer_dir_fd, "", &stash_st, pointer_dir));
  if (st.st_dev == stash_st.st_dev) return cross_device;
  absl::StatusOr<std::string> top = FilesystemTop(*ctx.root, SplitParent(entry.path).first, st.st_dev);
  if (!top.ok()) return top.status();
  const std::string dir = ElsewhereStashDir(*top, ctx.run_id, ctx.index);
  const std::string pointer = ElsewherePointerName(slot);
  const std::string pointer_path = JoinPath(pointer_dir, pointer);
  absl::StatusOr<int> fd = env->OpenAt(pointer_dir_fd, pointer, O_WRONLY | O_CREAT | O_TRUNC,
                                       0600, pointer_path);
  if (!fd.ok()) return fd.status();
  Fd file(env, *fd, pointer_path);
  PERSIST_RETURN_IF_ERROR(env->Write(file.get(), dir.data(), dir.size(), pointer_path));
  PERSIST_RETURN_IF_ERROR(env->Fsync(file.get(), pointer_path));
  PERSIST_RETURN_IF_ERROR(env->Fsync(pointer_dir_fd, pointer_dir));
  PERSIST_RETURN_IF_ERROR(ctx.root->MakeDirs(dir, kStateDirMode));
  absl::StatusOr<Fd> stash = ctx.root->OpenDir(dir);
  if (!stash.ok()) return stash.status();
  PERSIST_RETURN_IF_ERROR(
      RenameNoReplace(env, entry, Entry{stash->get(), slot, JoinPath(dir, slot)}));
  PERSIST_RETURN_IF_ERROR(env->Fsync(stash->get(), dir));
  return env->Fsync(entry.dir_fd, SplitParent(entry.path).first);
}

absl::Status StashPut(const OpContext& ctx, const Entry& entry, const std::string& slot) {
  Env* env = ctx.root->env();
  const std::string dir = StashDir(ctx.run_id, ctx.index);
  PERSIST_RETURN_IF_ERROR(ctx.root->MakeDirs(dir, kStateDirMode));
  absl::StatusOr<Fd> stash = ctx.root->OpenDir(dir);
  if (!stash.ok()) return stash.status();
  absl::Status status = RenameNoReplace(env, entry, Entry{stash->get(), slot, JoinPath(dir, slot)});
  if (StatusErrno(status) == EXDEV) {
    status = StashElsewhere(ctx, entry, slot, dir, stash->get(), status);
    if (!status.ok()) {
      return Annotate(status, absl::StrCat(PrintablePath(entry.path),
                                           " cannot be renamed into the site's .persist/ (EXDEV) "
                                           "nor stashed on its own filesystem; persist keeps what "
                                           "it replaces on the same filesystem: move .persist/ or "
                                           "the data so they share one"));
    }
    return absl::OkStatus();
  }
  PERSIST_RETURN_IF_ERROR(status);
  PERSIST_RETURN_IF_ERROR(env->Fsync(stash->get(), dir));
  return env->Fsync(entry.dir_fd, SplitParent(entry.path).first);
}

// The stashed object in `slot`, or nullopt when there is none.
absl::StatusOr<std::optional<Loc>> StashFind(const OpContext& ctx, const std::string& slot) {
  const std::string dir = StashDir(ctx.run_id, ctx.index);
  for (int where = 0; where < 2; ++where) {
    std::string path = JoinPath(dir, slot);
    if (where == 1) {
      absl::StatusOr<std::string> elsewhere =
          ctx.root->ReadFile(JoinPath(dir, ElsewherePointerName(slot)), 4096);
      if (!elsewhere.ok()) {
        if (absl::IsNotFound(elsewhere.status())) break;
        return elsewhere.status();
      }
      PERSIST_RETURN_IF_ERROR(ValidateRelativePath(*elsewhere));
      path = JoinPath(*elsewhere, slot);
    }
    absl::StatusOr<Loc> loc = Locate(*ctx.root, path);
    if (!loc.ok()) {
      if (absl::IsNotFound(loc.status())) continue;
      return loc.status();
    }
    absl::StatusOr<PathState> state = Stat(ctx.root->env(), loc->entry());
    if (!state.ok()) return state.status();
    if (!Exists(*state)) continue;
    return std::optional<Loc>(std::move(*loc));
  }
  return std::optional<Loc>();
}

// ---- Rescue: foreign data found where undo must restore ----

RescueFn MakeRescue(const OpContext& ctx, std::vector<std::string>* rescued) {
  return [&ctx, rescued](const Entry& entry) -> absl::Status {
    absl::StatusOr<std::string> placed = Rescue(*ctx.root, ctx.run_id, entry, entry.path);
    if (!placed.ok()) return placed.status();
    rescued->push_back(*placed);
    return absl::OkStatus();
  };
}

absl::Status RemoveCreatedAt(const OpContext& ctx, const Entry& entry, const Created& created,
                             std::vector<std::string>* rescued) {
  int count = 0;
  return RemoveCreated(ctx.root->env(), entry, created, MakeRescue(ctx, rescued), &count);
}

// True when `state` is the object the op staged and journaled before a swap.
bool IsStaged(const OpContext& ctx, const PathState& state) {
  return ctx.swap_recorded && Exists(state) && state.inode() == ctx.staged_inode &&
         state.dev() == ctx.staged_dev;
}

// Recovery refuses to guess when neither side of a journaled swap is the
// object the run staged: the site was copied (new inodes) or changed by hand.
absl::Status Unrecognised(const OpContext& ctx, const std::string& a, const std::string& b) {
  return WithNextStep(
      absl::FailedPreconditionError(absl::StrCat(
          "cannot tell which of ", PrintablePath(a), " and ", PrintablePath(b), " run ",
          ctx.run_id,
          " put in place: neither is the object it staged (was the site copied, or changed by "
          "hand?); persist will not guess: compare them, keep the right one at ",
          PrintablePath(b), " and remove the other")),
      NextStep::kRecoverAgain);
}

// ---- Placing new objects ----

// Who owns what an op creates.
struct Owner {
  uid_t uid = static_cast<uid_t>(-1);  // -1: the creating process
  gid_t gid = static_cast<gid_t>(-1);
  bool set() const { return uid != static_cast<uid_t>(-1); }
};

// What root creates takes the owner of the directory it is created in: a
// deploy run as root must leave a site its web server's user can still write.
absl::StatusOr<Owner> OwnerIn(Env* env, const Loc& loc) {
  Owner owner;
  if (geteuid() != 0) return owner;
  struct stat st;
  PERSIST_RETURN_IF_ERROR(env->StatAt(loc.dir.get(), "", &st, loc.parent));
  if (st.st_uid == 0 && st.st_gid == 0) return owner;
  owner.uid = st.st_uid;
  owner.gid = st.st_gid;
  return owner;
}

absl::Status ChownCreated(Env* env, const Entry& entry, const Owner& owner) {
  if (!owner.set()) return absl::OkStatus();
  return env->ChownAt(entry.dir_fd, entry.name, owner.uid, owner.gid, entry.path);
}

using BuildFn = std::function<absl::Status(const Entry& staged, const Owner& owner)>;

// Puts `staged` where `dest` is, and the object that was at `dest` in the
// stash. The staged object's identity is journaled first, so that recovery
// can tell a swapped pair from an unswapped one. *cross_device (when given)
// is set when the swap failed with EXDEV before anything moved.
absl::Status SwapIn(const OpContext& ctx, const Entry& staged, const Loc& dest,
                    bool* cross_device = nullptr) {
  Env* env = ctx.root->env();
  struct stat st;
  PERSIST_RETURN_IF_ERROR(env->StatAt(staged.dir_fd, staged.name, &st, staged.path));
  PERSIST_RETURN_IF_ERROR(ctx.record_swap(st.st_dev, st.st_ino));
  absl::Status status = env->RenameAt(staged.dir_fd, staged.name, dest.dir.get(), dest.leaf,
                                      RENAME_EXCHANGE, staged.path, dest.path);
  if (status.ok()) {
    PERSIST_RETURN_IF_ERROR(env->Fsync(dest.dir.get(), dest.parent));
    // The staged name now holds the replaced object.
    return StashPut(ctx, staged, kOldSlot);
  }
  if (cross_device != nullptr) *cross_device = StatusErrno(status) == EXDEV;
  if (!IsRenameFlagUnsupported(status)) return status;
  PERSIST_RETURN_IF_ERROR(StashPut(ctx, dest.entry(), kOldSlot));
  PERSIST_RETURN_IF_ERROR(RenameNoReplace(env, staged, dest.entry()));
  return env->Fsync(dest.dir.get(), dest.parent);
}

// Builds the new object under the op's temporary name beside `dest`, makes it
// durable, and renames it into place (swapping when `displaces`).
absl::Status Place(const OpContext& ctx, const std::string& dest, bool displaces, bool sync_tree,
                   const BuildFn& build) {
  Env* env = ctx.root->env();
  absl::StatusOr<Loc> loc = Locate(*ctx.root, dest);
  if (!loc.ok()) return loc.status();
  const Entry staged = loc->sibling(TempName(ctx));
  absl::StatusOr<Owner> owner = OwnerIn(env, *loc);
  if (!owner.ok()) return owner.status();
  PERSIST_RETURN_IF_ERROR(build(staged, *owner));
  if (sync_tree) PERSIST_RETURN_IF_ERROR(env->Syncfs(loc->dir.get(), staged.path));
  if (displaces) return SwapIn(ctx, staged, *loc);
  PERSIST_RETURN_IF_ERROR(RenameNoReplace(env, staged, loc->entry()));
  return env->Fsync(loc->dir.get(), loc->parent);
}

// Removes a staged object that no one could have seen: it goes whole into
// the trash in one rename (trash.h), which a whole release's unlinks would
// take far longer than the deploy took to copy it. Durable when it returns,
// before the journal records the op undone; once it is gone from its
// temporary name, undo finds nothing more to do there.
absl::Status SetAsideStaged(const OpContext& ctx, const Entry& staged) {
  absl::StatusOr<SetAsideResult> result =
      SetAside(*ctx.root, staged, absl::StrCat(ctx.run_id, ".", ctx.index, ".staged"));
  return result.status();
}

// Reverses Place: removes the staged object, or the placed one if it is still
// what the op made (rescuing what is not), and puts back what it replaced.
absl::Status UndoPlace(const OpContext& ctx, const std::string& dest, bool displaced,
                       const Created& created, std::vector<std::string>* rescued) {
  Env* env = ctx.root->env();
  absl::StatusOr<std::optional<Loc>> old = StashFind(ctx, kOldSlot);
  if (!old.ok()) return old.status();
  absl::StatusOr<Loc> loc = Locate(*ctx.root, dest);
  if (!loc.ok()) {
    if (absl::IsNotFound(loc.status()) && !old->has_value()) return absl::OkStatus();
    return WithNextStep(
        Annotate(loc.status(), "cannot put back " + PrintablePath(dest) + " (restore its directory)"),
        NextStep::kRecoverAgain);
  }
  const Entry staged = loc->sibling(TempName(ctx));
  absl::StatusOr<PathState> staged_state = Stat(env, staged);
  if (!staged_state.ok()) return staged_state.status();
  absl::StatusOr<PathState> dest_state = Stat(env, loc->entry());
  if (!dest_state.ok()) return dest_state.status();

  if (old->has_value()) {
    // The temporary name holds the staged object only when the fallback
    // (stash the old object, then rename the staged one in) stopped between
    // its two steps: it never became visible.
    if (Exists(*staged_state)) PERSIST_RETURN_IF_ERROR(SetAsideStaged(ctx, staged));
    if (Exists(*dest_state)) {
      PERSIST_RETURN_IF_ERROR(RemoveCreatedAt(ctx, loc->entry(), created, rescued));
    }
    PERSIST_RETURN_IF_ERROR(RenameNoReplace(env, (*old)->entry(), loc->entry()));
    PERSIST_RETURN_IF_ERROR(env->Fsync((*old)->dir.get(), (*old)->parent));
  } else if (Exists(*staged_state)) {
    if (!ctx.swap_recorded) {
      // Staged, never visible: the swap is journaled before it happens.
      PERSIST_RETURN_IF_ERROR(SetAsideStaged(ctx, staged));
    } else if (IsStaged(ctx, *dest_state)) {
      // Swapped: the replaced object waits under the staged name. Swap back
      // in one step, so that no crash can leave the path without it, and
      // only then remove what the op made.
      PERSIST_RETURN_IF_ERROR(env->RenameAt(staged.dir_fd, staged.name, loc->dir.get(), loc->leaf,
                                            RENAME_EXCHANGE, staged.path, dest));
      PERSIST_RETURN_IF_ERROR(env->Fsync(loc->dir.get(), loc->parent));
      PERSIST_RETURN_IF_ERROR(RemoveCreatedAt(ctx, staged, created, rescued));
    } else if (IsStaged(ctx, *staged_state)) {
      // Not swapped yet, or already swapped back: it may have been visible,
      // so anything in it that the op did not make is rescued.
      PERSIST_RETURN_IF_ERROR(RemoveCreatedAt(ctx, staged, created, rescued));
    } else {
      return Unrecognised(ctx, staged.path, dest);
    }
  } else if (!displaced && Exists(*dest_state)) {
    PERSIST_RETURN_IF_ERROR(RemoveCreatedAt(ctx, loc->entry(), created, rescued));
  }
  return env->Fsync(loc->dir.get(), loc->parent);
}

// ---- Per kind ----

mode_t ModeOr(uint32_t mode, mode_t fallback) { return mode == 0 ? fallback : (mode & 07777); }

absl::Status ApplyMkdir(const MkdirOp& op, const OpContext& ctx) {
  if (ctx.before[0].type() == DIRECTORY) return absl::OkStatus();
  Env* env = ctx.root->env();
  const mode_t mode = ModeOr(op.mode(), 0755);
  return Place(ctx, op.path(), false, false, [&](const Entry& staged, const Owner& owner) {
    PERSIST_RETURN_IF_ERROR(env->MkdirAt(staged.dir_fd, staged.name, 0700, staged.path));
    PERSIST_RETURN_IF_ERROR(ChownCreated(env, staged, owner));
    return env->FchmodAt(staged.dir_fd, staged.name, mode, staged.path);
  });
}

absl::Status ApplyWrite(const WriteOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  return Place(ctx, op.path(), Exists(ctx.before[0]), false, [&](const Entry& staged,
                                                                  const Owner& owner) {
    absl::StatusOr<int> fd =
        env->OpenAt(staged.dir_fd, staged.name, O_WRONLY | O_CREAT | O_EXCL, 0600, staged.path);
    if (!fd.ok()) return fd.status();
    Fd file(env, *fd, staged.path);
    PERSIST_RETURN_IF_ERROR(env->Write(file.get(), op.content().data(), op.content().size(),
                                       staged.path));
    // Owner before mode: a change of owner clears the set-user-ID bit.
    PERSIST_RETURN_IF_ERROR(ChownCreated(env, Entry{file.get(), "", staged.path}, owner));
    PERSIST_RETURN_IF_ERROR(env->Fchmod(file.get(), ModeOr(op.mode(), 0644), staged.path));
    return env->Fsync(file.get(), staged.path);
  });
}

absl::Status ApplySymlink(const SymlinkOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  return Place(ctx, op.path(), Exists(ctx.before[0]), false, [&](const Entry& staged,
                                                                  const Owner& owner) {
    PERSIST_RETURN_IF_ERROR(env->SymlinkAt(op.target(), staged.dir_fd, staged.name, staged.path));
    return ChownCreated(env, staged, owner);
  });
}

// A staged tree is synced before it is renamed into place: flushing it as it
// grows lets that sync wait for the last few megabytes only.
constexpr uint64_t kWriteBackEvery = 8 << 20;

// Options for copying a tree in place of `staged`.
CopyOptions TreeOptions(const OpContext& ctx, const Owner& owner) {
  CopyOptions options;
  options.write_back_every = kWriteBackEvery;
  options.manifest = ctx.manifest;
  options.on_file = ctx.progress;
  options.uid = owner.uid;
  options.gid = owner.gid;
  return options;
}

absl::Status ApplyCopy(const CopyOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  absl::StatusOr<Loc> from = Locate(*ctx.root, op.from());
  if (!from.ok()) return from.status();
  return Place(ctx, op.to(), Exists(ctx.before[1]), true, [&](const Entry& staged,
                                                               const Owner& owner) {
    return CopyTree(env, from->entry(), staged, TreeOptions(ctx, owner));
  });
}

// The source of an import: an absolute path outside the site, only read.
Entry ImportSource(const ImportOp& op) { return Entry{AT_FDCWD, op.from(), op.from()}; }

absl::Status ApplyImport(const ImportOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  // The release to take unchanged files from; gone or unreadable, the
  // import copies everything.
  std::optional<Loc> previous;
  if (!op.dedupe_from().empty() && op.dedupe() != DEDUPE_OFF) {
    absl::StatusOr<Loc> loc = Locate(*ctx.root, op.dedupe_from());
    if (loc.ok()) previous = std::move(*loc);
  }
  return Place(ctx, op.to(), Exists(ctx.before[0]), true, [&](const Entry& staged,
                                                               const Owner& owner) {
    CopyOptions options = TreeOptions(ctx, owner);
    if (previous.has_value()) {
      options.previous = previous->entry();
      options.dedupe = op.dedupe();
      options.previous_manifest = ctx.previous_manifest;
    }
    options.stats = ctx.copy_stats;
    return CopyTree(env, ImportSource(op), staged, options);
  });
}

// OK when the archive is the file the run was planned from, by size and
// mtime.
absl::Status CheckArchiveUnchanged(Env* env, const UnpackOp& op) {
  struct stat st;
  PERSIST_RETURN_IF_ERROR(env->StatAt(AT_FDCWD, op.archive(), &st, op.archive()));
  if (static_cast<uint64_t>(st.st_size) == op.archive_size() &&
      TimespecNs(st.st_mtim) == op.archive_mtime_ns()) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the archive ", PrintablePath(op.archive()),
      " changed since the deploy was planned (another upload?); wait until it is complete and "
      "deploy again"));
}

absl::Status ApplyUnpack(const UnpackOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  PERSIST_RETURN_IF_ERROR(CheckArchiveUnchanged(env, op));
  return Place(
      ctx, op.to(), Exists(ctx.before[0]), true, [&](const Entry& staged, const Owner& owner) {
        UnpackOptions options;
        options.limits = ArchiveLimitsOf(op);
        options.write_back_every = kWriteBackEvery;
        options.manifest = ctx.manifest;
        options.on_file = ctx.progress;
        options.uid = owner.uid;
        options.gid = owner.gid;
        absl::StatusOr<CopyStats> stats = UnpackArchive(env, ArchivePathOf(op), staged, options);
        if (!stats.ok()) return stats.status();
        if (ctx.copy_stats != nullptr) {
          ctx.copy_stats->files += stats->files;
          ctx.copy_stats->bytes += stats->bytes;
        }
        return absl::OkStatus();
      });
}

// Undoes an unpack: what it made is recognised by the archive's listing.
// An archive that is gone or changed cannot vouch for anything, so all of
// the release is rescued rather than removed.
absl::Status UndoUnpack(const UnpackOp& op, const OpContext& ctx,
                        std::vector<std::string>* rescued) {
  Env* env = ctx.root->env();
  std::unique_ptr<ArchiveListing> listing;
  if (CheckArchiveUnchanged(env, op).ok()) {
    absl::StatusOr<std::unique_ptr<ArchiveListing>> scanned =
        ScanArchive(env, ArchivePathOf(op), ArchiveLimitsOf(op));
    if (scanned.ok()) listing = *std::move(scanned);
  }
  const ArchiveListing empty;
  Created made;
  made.tree = listing != nullptr ? listing.get() : &empty;
  made.rel = listing != nullptr ? op.dir() : "";
  return UndoPlace(ctx, op.to(), Exists(ctx.before[0]), made, rescued);
}

absl::Status ApplyUpdate(const UpdateOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  if (op.has_package_archive()) {
    PERSIST_RETURN_IF_ERROR(CheckArchiveUnchanged(env, op.package_archive()));
  }
  absl::StatusOr<Loc> base = Locate(*ctx.root, op.base());
  if (!base.ok()) return base.status();
  return Place(ctx, op.to(), Exists(ctx.before[0]), true,
               [&](const Entry& staged, const Owner& owner) {
                 UpdateOptions options;
                 options.dedupe = op.dedupe();
                 options.base_manifest = ctx.previous_manifest;
                 options.manifest = ctx.manifest;
                 options.on_file = ctx.progress;
                 options.uid = owner.uid;
                 options.gid = owner.gid;
                 options.stats = ctx.copy_stats;
                 return BuildUpdate(env, op, base->entry(), staged, options);
               });
}

// Undoes an update: what it made is recognised by the tree it describes
// (the base release with the package over it); where that cannot be read
// (the package gone or changed), all of the release is rescued.
absl::Status UndoUpdate(const UpdateOp& op, const OpContext& ctx,
                        std::vector<std::string>* rescued) {
  Env* env = ctx.root->env();
  std::unique_ptr<UpdateResult> result;
  if (!op.has_package_archive() || CheckArchiveUnchanged(env, op.package_archive()).ok()) {
    absl::StatusOr<std::unique_ptr<UpdateResult>> opened = UpdateResult::Open(*ctx.root, op);
    if (opened.ok()) result = *std::move(opened);
  }
  const ArchiveListing empty;
  Created made;
  made.tree = result != nullptr ? static_cast<const SourceTree*>(result.get()) : &empty;
  return UndoPlace(ctx, op.to(), Exists(ctx.before[0]), made, rescued);
}

// Records the manifest of a release that stands in place already.
absl::Status ApplyRecord(const RecordOp& op, const OpContext& ctx) {
  if (ctx.manifest == nullptr) return absl::OkStatus();
  absl::StatusOr<Loc> release = Locate(*ctx.root, op.release());
  if (!release.ok()) return release.status();
  return RecordManifest(ctx.root->env(), release->entry(), ctx.manifest);
}

absl::Status ApplyMove(const MoveOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  absl::StatusOr<Loc> from = Locate(*ctx.root, op.from());
  if (!from.ok()) return from.status();
  absl::StatusOr<Loc> to = Locate(*ctx.root, op.to());
  if (!to.ok()) return to.status();
  const bool displaces = Exists(ctx.before[1]);
  // Only a rename refused with EXDEV, before anything moved, takes the
  // cross-filesystem path; an EXDEV from anything else is an error.
  bool cross_device = false;
  if (displaces) {
    absl::Status status = SwapIn(ctx, from->entry(), *to, &cross_device);
    if (!cross_device) return status;
  } else {
    absl::Status status = RenameNoReplace(env, from->entry(), to->entry());
    cross_device = StatusErrno(status) == EXDEV;
    if (!cross_device) {
      PERSIST_RETURN_IF_ERROR(status);
      PERSIST_RETURN_IF_ERROR(env->Fsync(to->dir.get(), to->parent));
      return env->Fsync(from->dir.get(), from->parent);
    }
  }
  // Across filesystems: a staged copy at the destination, then the source
  // goes to the stash.
  PERSIST_RETURN_IF_ERROR(Place(ctx, op.to(), displaces, true, [&](const Entry& staged,
                                                                    const Owner& owner) {
    CopyOptions options;
    options.uid = owner.uid;
    options.gid = owner.gid;
    options.write_back_every = kWriteBackEvery;
    return CopyTree(env, from->entry(), staged, options);
  }));
  return StashPut(ctx, from->entry(), kSrcSlot);
}

absl::Status UndoMove(const Op& whole, const OpContext& ctx, std::vector<std::string>* rescued) {
  const MoveOp& op = whole.move();
  Env* env = ctx.root->env();
  const bool displaced = Exists(ctx.before[1]);
  absl::StatusOr<std::optional<Loc>> src = StashFind(ctx, kSrcSlot);
  if (!src.ok()) return src.status();
  if (src->has_value()) {
    // The cross-filesystem path finished: a copy at `to`, the source stashed.
    Created copy;
    copy.source = (*src)->entry();
    PERSIST_RETURN_IF_ERROR(UndoPlace(ctx, op.to(), displaced, copy, rescued));
    absl::StatusOr<Loc> from = Locate(*ctx.root, op.from());
    if (!from.ok()) return from.status();
    PERSIST_RETURN_IF_ERROR(RenameNoReplace(env, (*src)->entry(), from->entry()));
    PERSIST_RETURN_IF_ERROR(env->Fsync((*src)->dir.get(), (*src)->parent));
    return env->Fsync(from->dir.get(), from->parent);
  }
  absl::StatusOr<Loc> from = Locate(*ctx.root, op.from());
  absl::StatusOr<Loc> to = Locate(*ctx.root, op.to());
  if (!from.ok() || !to.ok()) {
    absl::Status missing = from.ok() ? to.status() : from.status();
    absl::StatusOr<std::optional<Loc>> old = StashFind(ctx, kOldSlot);
    if (absl::IsNotFound(missing) && old.ok() && !old->has_value()) return absl::OkStatus();
    return Annotate(missing, "cannot undo " + DescribeOp(whole));
  }
  absl::StatusOr<PathState> from_state = Stat(env, from->entry());
  if (!from_state.ok()) return from_state.status();
  absl::StatusOr<PathState> to_state = Stat(env, to->entry());
  if (!to_state.ok()) return to_state.status();
  absl::StatusOr<PathState> staged_state = Stat(env, to->sibling(TempName(ctx)));
  if (!staged_state.ok()) return staged_state.status();
  Created copy_of_from;
  copy_of_from.source = from->entry();
  // What is at `to` goes back to `from`. Where `from` exists again, it is
  // either the source of an unfinished cross-filesystem copy (then `to` is
  // the copy: remove it) or something written there after the move (then
  // `to` is the moved original, known by its journaled inode: rescue the
  // newcomer and put the original back).
  auto PutMovedBack = [&]() -> absl::Status {
    if (!Exists(*from_state)) return RenameNoReplace(env, to->entry(), from->entry());
    const PathState& moved = ctx.before[0];
    const bool original = moved.inode() != 0 && to_state->inode() == moved.inode() &&
                          to_state->dev() == moved.dev();
    if (!original) return RemoveCreatedAt(ctx, to->entry(), copy_of_from, rescued);
    PERSIST_RETURN_IF_ERROR(MakeRescue(ctx, rescued)(from->entry()));
    return RenameNoReplace(env, to->entry(), from->entry());
  };

  if (Exists(*staged_state)) {
    // The cross-filesystem copy was staged or swapped in; the source is intact.
    return UndoPlace(ctx, op.to(), displaced, copy_of_from, rescued);
  }
  absl::StatusOr<std::optional<Loc>> old = StashFind(ctx, kOldSlot);
  if (!old.ok()) return old.status();
  if (old->has_value()) {
    if (Exists(*to_state)) PERSIST_RETURN_IF_ERROR(PutMovedBack());
    PERSIST_RETURN_IF_ERROR(RenameNoReplace(env, (*old)->entry(), to->entry()));
    PERSIST_RETURN_IF_ERROR(env->Fsync((*old)->dir.get(), (*old)->parent));
  } else if (displaced && Exists(*from_state) && IsStaged(ctx, *to_state)) {
    // Swapped, and the replaced object is still under the source's name.
    PERSIST_RETURN_IF_ERROR(env->RenameAt(from->dir.get(), from->leaf, to->dir.get(), to->leaf,
                                          RENAME_EXCHANGE, from->path, to->path));
  } else if (!displaced && Exists(*to_state)) {
    PERSIST_RETURN_IF_ERROR(PutMovedBack());
  } else {
    return absl::OkStatus();
  }
  PERSIST_RETURN_IF_ERROR(env->Fsync(to->dir.get(), to->parent));
  return env->Fsync(from->dir.get(), from->parent);
}

absl::Status ApplyRemove(const RemoveOp& op, const OpContext& ctx) {
  absl::StatusOr<Loc> loc = Locate(*ctx.root, op.path());
  if (!loc.ok()) return loc.status();
  return StashPut(ctx, loc->entry(), kOldSlot);
}

absl::Status UndoRemove(const RemoveOp& op, const OpContext& ctx, std::vector<std::string>* rescued) {
  Env* env = ctx.root->env();
  absl::StatusOr<std::optional<Loc>> old = StashFind(ctx, kOldSlot);
  if (!old.ok()) return old.status();
  if (!old->has_value()) return absl::OkStatus();
  absl::StatusOr<Loc> loc = Locate(*ctx.root, op.path());
  if (!loc.ok()) {
    return WithNextStep(Annotate(loc.status(), "cannot put back " + PrintablePath(op.path()) +
                                                    " (restore its directory)"),
                        NextStep::kRecoverAgain);
  }
  absl::StatusOr<PathState> now = Stat(env, loc->entry());
  if (!now.ok()) return now.status();
  if (Exists(*now)) {
    // Written there after the op removed it: not ours to delete.
    PERSIST_RETURN_IF_ERROR(MakeRescue(ctx, rescued)(loc->entry()));
  }
  PERSIST_RETURN_IF_ERROR(RenameNoReplace(env, (*old)->entry(), loc->entry()));
  PERSIST_RETURN_IF_ERROR(env->Fsync((*old)->dir.get(), (*old)->parent));
  return env->Fsync(loc->dir.get(), loc->parent);
}

absl::Status ApplyExchange(const ExchangeOp& op, const OpContext& ctx) {
  Env* env = ctx.root->env();
  absl::StatusOr<Loc> a = Locate(*ctx.root, op.a());
  if (!a.ok()) return a.status();
  absl::StatusOr<Loc> b = Locate(*ctx.root, op.b());
  if (!b.ok()) return b.status();
  struct stat st;
  PERSIST_RETURN_IF_ERROR(env->StatAt(a->dir.get(), a->leaf, &st, a->path));
  PERSIST_RETURN_IF_ERROR(ctx.record_swap(st.st_dev, st.st_ino));
  absl::Status status = env->RenameAt(a->dir.get(), a->leaf, b->dir.get(), b->leaf, RENAME_EXCHANGE,
                                      a->path, b->path);
  if (IsRenameFlagUnsupported(status)) {
    return Annotate(status, "this filesystem cannot swap two paths in one step (RENAME_EXCHANGE); "
                            "use move ops instead of exchange");
  }
  PERSIST_RETURN_IF_ERROR(status);
  PERSIST_RETURN_IF_ERROR(env->Fsync(a->dir.get(), a->parent));
  return env->Fsync(b->dir.get(), b->parent);
}

absl::Status UndoExchange(const ExchangeOp& op, const OpContext& ctx) {
  if (!ctx.swap_recorded) return absl::OkStatus();
  Env* env = ctx.root->env();
  absl::StatusOr<Loc> a = Locate(*ctx.root, op.a());
  if (!a.ok()) return a.status();
  absl::StatusOr<Loc> b = Locate(*ctx.root, op.b());
  if (!b.ok()) return b.status();
  absl::StatusOr<PathState> a_state = Stat(env, a->entry());
  if (!a_state.ok()) return a_state.status();
  absl::StatusOr<PathState> b_state = Stat(env, b->entry());
  if (!b_state.ok()) return b_state.status();
  if (IsStaged(ctx, *a_state)) return absl::OkStatus();  // not exchanged, or exchanged back
  if (!IsStaged(ctx, *b_state)) return Unrecognised(ctx, op.a(), op.b());
  PERSIST_RETURN_IF_ERROR(env->RenameAt(a->dir.get(), a->leaf, b->dir.get(), b->leaf,
                                        RENAME_EXCHANGE, a->path, b->path));
  PERSIST_RETURN_IF_ERROR(env->Fsync(a->dir.get(), a->parent));
  return env->Fsync(b->dir.get(), b->parent);
}

absl::Status ApplyChmod(const ChmodOp& op, const OpContext& ctx) {
  absl::StatusOr<Loc> loc = Locate(*ctx.root, op.path());
  if (!loc.ok()) return loc.status();
  Env* env = ctx.root->env();
  PERSIST_RETURN_IF_ERROR(env->FchmodAt(loc->dir.get(), loc->leaf, op.mode() & 07777, op.path()));
  return env->Fsync(loc->dir.get(), loc->parent);
}

absl::Status UndoChmod(const ChmodOp& op, const OpContext& ctx) {
  if (!Exists(ctx.before[0])) return absl::OkStatus();
  Env* env = ctx.root->env();
  absl::StatusOr<Loc> loc = Locate(*ctx.root, op.path());
  if (!loc.ok()) return absl::IsNotFound(loc.status()) ? absl::OkStatus() : loc.status();
  absl::StatusOr<PathState> now = Stat(env, loc->entry());
  if (!now.ok()) return now.status();
  if (!Exists(*now) || now->type() == SYMLINK || now->mode() == ctx.before[0].mode()) {
    return absl::OkStatus();
  }
  PERSIST_RETURN_IF_ERROR(env->FchmodAt(loc->dir.get(), loc->leaf, ctx.before[0].mode(), op.path()));
  return env->Fsync(loc->dir.get(), loc->parent);
}

absl::Status Infeasible(const Op& op, const std::string& path, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", DescribeOp(op), ": ", PrintablePath(path), " ", why));
}

// Where Rescue puts `path` of `run_id`: .persist/rescued/<run_id>/<path>,
// unless `entry` is on another filesystem than .persist/ (shared/ on a mount
// of its own), where no rename could take it there:
// <top>/.persist-rescued/<run_id>/<path> on the entry's own filesystem,
// <top> being the site's highest directory on it.
absl::StatusOr<std::string> RescuePlace(const Root& root, const std::string& run_id,
                                        const Entry& entry, const std::string& path) {
  Env* env = root.env();
  const std::string parent = SplitParent(entry.path).first;
  struct stat st, state_st;
  PERSIST_RETURN_IF_ERROR(env->StatAt(entry.dir_fd, "", &st, parent));
  absl::StatusOr<Fd> state_dir = root.OpenDir(kStateDir);
  if (!state_dir.ok()) return state_dir.status();
  PERSIST_RETURN_IF_ERROR(env->StatAt(state_dir->get(), "", &state_st, kStateDir));
  if (st.st_dev == state_st.st_dev) {
    return JoinPath(JoinPath(JoinPath(kStateDir, "rescued"), run_id), path);
  }
  absl::StatusOr<std::string> top = FilesystemTop(root, parent, st.st_dev);
  if (!top.ok()) return top.status();
  return JoinPath(JoinPath(JoinPath(*top, kElsewhereRescuedName), run_id), path);
}

}  // namespace

absl::StatusOr<std::string> Rescue(const Root& root, const std::string& run_id, const Entry& entry,
                                   const std::string& path) {
  Env* env = root.env();
  absl::StatusOr<std::string> wanted = RescuePlace(root, run_id, entry, path);
  if (!wanted.ok()) return wanted.status();
  auto [parent, leaf] = SplitParent(*wanted);
  PERSIST_RETURN_IF_ERROR(root.MakeDirs(parent, kStateDirMode));
  absl::StatusOr<Fd> dir = root.OpenDir(parent);
  if (!dir.ok()) return dir.status();
  for (int attempt = 0;; ++attempt) {
    std::string name = attempt == 0 ? leaf : absl::StrCat(leaf, ".", attempt);
    absl::Status status = RenameNoReplace(env, entry, Entry{dir->get(), name, JoinPath(parent, name)});
    if (StatusErrno(status) == EEXIST) continue;
    PERSIST_RETURN_IF_ERROR(status);
    PERSIST_RETURN_IF_ERROR(env->Fsync(dir->get(), parent));
    PERSIST_RETURN_IF_ERROR(env->Fsync(entry.dir_fd, SplitParent(entry.path).first));
    return JoinPath(parent, name);
  }
}

namespace {

// Calls `fn` with each <slot>.elsewhere pointer of `run_id`'s stash: the
// open index directory, its path, and the pointer's name.
using PointerFn = std::function<absl::Status(int index_fd, const std::string& index_dir,
                                             const std::string& name)>;

absl::Status ForEachPointer(const Root& root, const std::string& run_id, const PointerFn& fn) {
  const std::string run_dir = RunStashDir(run_id);
  absl::StatusOr<Fd> run = root.OpenDir(run_dir);
  if (!run.ok()) {
    if (StatusErrno(run.status()) == ENOENT) return absl::OkStatus();
    return run.status();
  }
  absl::StatusOr<std::vector<std::string>> indexes = root.env()->ListDir(run->get(), run_dir);
  if (!indexes.ok()) return indexes.status();
  for (const std::string& index : *indexes) {
    const std::string index_dir = JoinPath(run_dir, index);
    absl::StatusOr<Fd> fd = root.OpenDir(index_dir);
    if (!fd.ok()) continue;
    absl::StatusOr<std::vector<std::string>> names = root.env()->ListDir(fd->get(), index_dir);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      if (!IsElsewherePointerName(name)) continue;
      PERSIST_RETURN_IF_ERROR(fn(fd->get(), index_dir, name));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> StashesElsewhere(const Root& root,
                                                          const std::string& run_id) {
  std::vector<std::string> found;
  absl::Status status =
      ForEachPointer(root, run_id, [&](int, const std::string& index_dir, const std::string& name) {
        absl::StatusOr<std::string> dir = root.ReadFile(JoinPath(index_dir, name), 4096);
        if (!dir.ok()) return dir.status();
        if (!ValidateRelativePath(*dir).ok()) return absl::OkStatus();
        const std::string run_stash = ElsewhereRunStashDir(*dir);
        if (std::find(found.begin(), found.end(), run_stash) == found.end()) {
          found.push_back(run_stash);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return found;
}

absl::Status TidyStashesElsewhere(const Root& root, const std::string& run_id, bool purge) {
  absl::StatusOr<std::vector<std::string>> stashes = StashesElsewhere(root, run_id);
  if (!stashes.ok()) return stashes.status();
  for (const std::string& run_stash : *stashes) {
    auto [parent, leaf] = SplitParent(run_stash);
    absl::StatusOr<Fd> dir = root.OpenDir(parent);
    if (!dir.ok()) {
      if (StatusErrno(dir.status()) == ENOENT) continue;
      return dir.status();
    }
    const Entry entry{dir->get(), leaf, run_stash};
    if (purge) {
      absl::StatusOr<SetAsideResult> gone = SetAside(root, entry, run_id + ".stash-elsewhere");
      if (!gone.ok()) return gone.status();
    } else {
      bool empty = false;
      PERSIST_RETURN_IF_ERROR(RemoveEmptyDirs(root.env(), entry, &empty));
      if (!empty) {
        return absl::FailedPreconditionError(absl::StrCat(
            PrintablePath(run_stash), " is not empty after the undo of run ", run_id,
            "; it is kept"));
      }
    }
    // .persist-stash itself goes once it holds no run.
    auto [top, name] = SplitParent(parent);
    absl::StatusOr<Fd> top_fd = root.OpenDir(top);
    if (top_fd.ok()) {
      root.env()->UnlinkAt(top_fd->get(), name, AT_REMOVEDIR, parent).IgnoreError();
      root.env()->Fsync(top_fd->get(), top).IgnoreError();
    }
  }
  if (purge) return absl::OkStatus();
  // The pointers have nothing left to point to: the run's own stash can go.
  return ForEachPointer(root, run_id, [&](int index_fd, const std::string& index_dir,
                                          const std::string& name) {
    return root.env()->UnlinkAt(index_fd, name, 0, JoinPath(index_dir, name));
  });
}

std::vector<std::string> OpPaths(const Op& op) {
  switch (op.kind_case()) {
    case Op::kMkdir:
      return {op.mkdir().path()};
    case Op::kCopy:
      return {op.copy().from(), op.copy().to()};
    case Op::kMove:
      return {op.move().from(), op.move().to()};
    case Op::kSymlink:
      return {op.symlink().path()};
    case Op::kRemove:
      return {op.remove().path()};
    case Op::kWrite:
      return {op.write().path()};
    case Op::kExchange:
      return {op.exchange().a(), op.exchange().b()};
    case Op::kChmod:
      return {op.chmod().path()};
    case Op::kImport:
      return {op.import().to()};
    case Op::kUnpack:
      return {op.unpack().to()};
    case Op::kUpdate:
      return {op.update().to()};
    case Op::kRecord:
      return {op.record().release()};
    case Op::KIND_NOT_SET:
      break;
  }
  return {};
}

std::string StagedRelease(const Op& op) {
  if (op.has_import()) return op.import().to();
  if (op.has_unpack()) return op.unpack().to();
  if (op.has_update()) return op.update().to();
  return "";
}

std::string ManifestedRelease(const Op& op) {
  if (op.has_record()) return op.record().release();
  return StagedRelease(op);
}

std::string DedupeSource(const Op& op) {
  if (op.has_import() && op.import().dedupe() != DEDUPE_OFF) return op.import().dedupe_from();
  if (op.has_update() && op.update().dedupe() != DEDUPE_OFF) return op.update().base();
  return "";
}

namespace {

// An unpack reads an absolute archive; its nested members and directory
// are paths inside it.
absl::Status ValidateUnpack(const Op& op, const UnpackOp& unpack) {
  const std::string& archive = unpack.archive();
  if (archive.size() < 2 || archive.front() != '/' || archive.find('\0') != std::string::npos ||
      archive.find("/../") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(DescribeOp(op),
                     ": the archive must be an absolute path without \"..\", such as "
                     "/home/user/uploads/shop.zip"));
  }
  for (const std::string& nested : unpack.nested()) {
    absl::Status status = ValidateRelativePath(nested);
    if (!status.ok()) return Annotate(status, DescribeOp(op) + ": nested archive");
  }
  if (!unpack.dir().empty()) {
    absl::Status status = ValidateRelativePath(unpack.dir());
    if (!status.ok()) return Annotate(status, DescribeOp(op) + ": dir");
  }
  return absl::OkStatus();
}

// An update reads a release of the site and a package: a directory or an
// archive outside it.
absl::Status ValidateUpdate(const Op& op) {
  const UpdateOp& update = op.update();
  absl::Status status = ValidateRelativePath(update.base());
  if (!status.ok()) return Annotate(status, DescribeOp(op) + ": base");
  if (IsWithin(update.base(), kStateDir) || IsWithin(update.to(), update.base()) ||
      IsWithin(update.base(), update.to())) {
    return absl::InvalidArgumentError(DescribeOp(op) +
                                      ": the base must be another release, outside .persist/");
  }
  if (update.has_package_archive()) return ValidateUnpack(op, update.package_archive());
  const std::string& dir = update.package_dir();
  // No package: a copy of the base as it is (persist capture).
  if (!dir.empty() &&
      (dir.size() < 2 || dir.front() != '/' || dir.find('\0') != std::string::npos ||
       dir.find("/../") != std::string::npos)) {
    return absl::InvalidArgumentError(
        absl::StrCat(DescribeOp(op),
                     ": the package must be an absolute path without \"..\", such as "
                     "/home/user/uploads/shop-update-2.4"));
  }
  for (const std::string& gone : update.deleted()) {
    status = ValidateRelativePath(gone);
    if (!status.ok()) return Annotate(status, DescribeOp(op) + ": deleted");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateOp(const Op& op) {
  if (op.kind_case() == Op::KIND_NOT_SET) {
    return absl::InvalidArgumentError("an op has no kind; give one of mkdir, copy, move, symlink, "
                                      "remove, write, exchange, chmod");
  }
  for (const std::string& path : OpPaths(op)) {
    absl::Status status = ValidateRelativePath(path);
    if (!status.ok()) return Annotate(status, DescribeOp(op));
    // A copy only reads its source: from a run's stash, it brings back data
    // that run set aside (persist repair), and leaves the stash as it was.
    const bool read_from_stash = op.has_copy() && path == op.copy().from() &&
                                 IsWithin(path, kStashRoot) && path != kStashRoot;
    if (IsWithin(path, kStateDir) && !read_from_stash) {
      return absl::InvalidArgumentError(absl::StrCat(
          DescribeOp(op), ": ", PrintablePath(path),
          " is inside .persist/, which holds persist's own journal; choose a path outside it"));
    }
  }
  if (op.has_import()) {
    const std::string& from = op.import().from();
    if (from.empty() || from.front() != '/' || from.find('\0') != std::string::npos ||
        from.find("/../") != std::string::npos || from.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          DescribeOp(op), ": the source must be an absolute path without \"..\", such as "
                          "/home/user/uploads/app-v2"));
    }
    const std::string& dedupe_from = op.import().dedupe_from();
    if (!dedupe_from.empty()) {
      absl::Status status = ValidateRelativePath(dedupe_from);
      if (!status.ok()) return Annotate(status, DescribeOp(op) + ": dedupe_from");
      if (IsWithin(dedupe_from, kStateDir)) {
        return absl::InvalidArgumentError(
            DescribeOp(op) + ": dedupe_from must be a release, not inside .persist/");
      }
    }
  }
  if (op.has_unpack()) {
    PERSIST_RETURN_IF_ERROR(ValidateUnpack(op, op.unpack()));
  }
  if (op.has_update()) {
    PERSIST_RETURN_IF_ERROR(ValidateUpdate(op));
  }
  if (op.has_symlink() && op.symlink().target().empty()) {
    return absl::InvalidArgumentError(DescribeOp(op) + ": the symlink has no target");
  }
  if (op.has_symlink() && op.symlink().target().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(DescribeOp(op) + ": the symlink target holds a NUL byte");
  }
  auto paths = OpPaths(op);
  if (paths.size() == 2 && (IsWithin(paths[1], paths[0]) || IsWithin(paths[0], paths[1]))) {
    return absl::InvalidArgumentError(
        absl::StrCat(DescribeOp(op), ": one path lies inside the other; give two separate paths"));
  }
  return absl::OkStatus();
}

absl::Status CheckFeasible(const Op& op, const std::vector<PathState>& before) {
  switch (op.kind_case()) {
    case Op::kMkdir:
      if (Exists(before[0]) && before[0].type() != DIRECTORY) {
        return Infeasible(op, op.mkdir().path(), "exists and is not a directory");
      }
      break;
    case Op::kCopy:
    case Op::kMove:
      if (!Exists(before[0])) return Infeasible(op, OpPaths(op)[0], "does not exist");
      if (before[0].type() == OTHER) {
        return Infeasible(op, OpPaths(op)[0], "is a fifo, socket or device");
      }
      break;
    case Op::kRemove:
      if (!Exists(before[0])) return Infeasible(op, op.remove().path(), "does not exist");
      break;
    case Op::kExchange:
      if (!Exists(before[0])) return Infeasible(op, op.exchange().a(), "does not exist");
      if (!Exists(before[1])) return Infeasible(op, op.exchange().b(), "does not exist");
      break;
    case Op::kRecord:
      if (before[0].type() != DIRECTORY) {
        return Infeasible(op, op.record().release(), "is not a directory");
      }
      break;
    case Op::kChmod:
      if (!Exists(before[0])) return Infeasible(op, op.chmod().path(), "does not exist");
      if (before[0].type() == SYMLINK) {
        return Infeasible(op, op.chmod().path(), "is a symlink, which has no mode of its own");
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status CheckPreconditions(const Op& op, const OpContext& ctx) {
  const std::vector<std::string> paths = OpPaths(op);
  for (size_t i = 0; i < paths.size(); ++i) {
    absl::StatusOr<PathState> now = ctx.root->Observe(paths[i], false);
    if (!now.ok()) return now.status();
    const PathState& expected = ctx.before[i];
    const bool replaced = expected.inode() != 0 && Exists(*now) &&
                          (now->inode() != expected.inode() || now->dev() != expected.dev());
    if (now->type() != expected.type() || replaced) {
      return absl::FailedPreconditionError(absl::StrCat(
          PrintablePath(paths[i]), " changed while the run was under way (expected ",
          FileTypeName(expected.type()), ", found ", FileTypeName(now->type()),
          replaced ? ", a different object" : "",
          "); another process is writing to the site: stop it and run again"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOp(const Op& op, const OpContext& ctx) {
  // The op's stash directory is its durable start mark: recovery leaves alone
  // every op that has none, whatever the tree looks like where it would act.
  PERSIST_RETURN_IF_ERROR(ctx.root->MakeDirs(StashDir(ctx.run_id, ctx.index), kStateDirMode));
  switch (op.kind_case()) {
    case Op::kMkdir:
      return ApplyMkdir(op.mkdir(), ctx);
    case Op::kCopy:
      return ApplyCopy(op.copy(), ctx);
    case Op::kMove:
      return ApplyMove(op.move(), ctx);
    case Op::kSymlink:
      return ApplySymlink(op.symlink(), ctx);
    case Op::kRemove:
      return ApplyRemove(op.remove(), ctx);
    case Op::kWrite:
      return ApplyWrite(op.write(), ctx);
    case Op::kExchange:
      return ApplyExchange(op.exchange(), ctx);
    case Op::kChmod:
      return ApplyChmod(op.chmod(), ctx);
    case Op::kImport:
      return ApplyImport(op.import(), ctx);
    case Op::kUnpack:
      return ApplyUnpack(op.unpack(), ctx);
    case Op::kUpdate:
      return ApplyUpdate(op.update(), ctx);
    case Op::kRecord:
      return ApplyRecord(op.record(), ctx);
    case Op::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("an op has no kind");
}

absl::Status UndoOp(const Op& op, const OpContext& ctx, std::vector<std::string>* rescued) {
  absl::StatusOr<PathState> started = ctx.root->Observe(StashDir(ctx.run_id, ctx.index), false);
  if (!started.ok()) return started.status();
  if (started->type() == ABSENT) return absl::OkStatus();  // never began: nothing to undo
  switch (op.kind_case()) {
    case Op::kMkdir: {
      if (ctx.before[0].type() == DIRECTORY) return absl::OkStatus();
      Created empty_dir;
      empty_dir.state.set_type(DIRECTORY);
      return UndoPlace(ctx, op.mkdir().path(), false, empty_dir, rescued);
    }
    case Op::kCopy: {
      absl::StatusOr<Loc> from = Locate(*ctx.root, op.copy().from());
      Created copy;
      if (from.ok()) copy.source = from->entry();  // else: nothing is recognised, all rescued
      return UndoPlace(ctx, op.copy().to(), Exists(ctx.before[1]), copy, rescued);
    }
    case Op::kMove:
      return UndoMove(op, ctx, rescued);
    case Op::kSymlink: {
      Created link;
      link.state.set_type(SYMLINK);
      link.state.set_link_target(op.symlink().target());
      return UndoPlace(ctx, op.symlink().path(), Exists(ctx.before[0]), link, rescued);
    }
    case Op::kRemove:
      return UndoRemove(op.remove(), ctx, rescued);
    case Op::kWrite: {
      Created file;
      file.state.set_type(REGULAR);
      file.state.set_mode(ModeOr(op.write().mode(), 0644));
      file.state.set_digest(DigestBytes(op.write().content()));
      return UndoPlace(ctx, op.write().path(), Exists(ctx.before[0]), file, rescued);
    }
    case Op::kExchange:
      return UndoExchange(op.exchange(), ctx);
    case Op::kChmod:
      return UndoChmod(op.chmod(), ctx);
    case Op::kImport: {
      Created copy;
      copy.source = ImportSource(op.import());
      return UndoPlace(ctx, op.import().to(), Exists(ctx.before[0]), copy, rescued);
    }
    case Op::kUnpack:
      return UndoUnpack(op.unpack(), ctx, rescued);
    case Op::kUpdate:
      return UndoUpdate(op.update(), ctx, rescued);
    case Op::kRecord:
      return absl::OkStatus();  // it changed nothing
    case Op::KIND_NOT_SET:
      break;
  }
  return absl::OkStatus();
}

}  // namespace persist
