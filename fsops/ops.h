// Copyright persist authors.
//
// ops: one Apply and one exact Undo per op kind (mkdir, copy, move, symlink,
// remove, write, exchange, chmod, import, unpack, update).
//
// Apply makes an op's effect visible through a single rename. New content is
// staged under a temporary name in the destination's directory
// (.persist-<run>-<index>.tmp), synced, then renamed into place with
// RENAME_NOREPLACE, or swapped with RENAME_EXCHANGE when it replaces an
// existing object. Whatever an op replaces or removes is moved, never deleted,
// into the run's stash (.persist/stash/<run>/<index>/, laid out in
// stash_layout.h). Where the kernel or filesystem lacks renameat2's flags
// (EINVAL, ENOSYS) the object being replaced goes to the stash first and the
// new one is renamed in after it: still recoverable, but with a moment where
// the path is missing. A move across filesystems (EXDEV) becomes a staged
// copy followed by moving the source to the stash.
//
// Before it touches anything, Apply creates the op's stash directory and
// syncs its parent: a durable mark that the op began. Undo of an op without
// that mark does nothing, so an op that never ran cannot mistake a path that
// an earlier, interrupted op still holds for its own work.
//
// Undo learns how far an op got by looking at the tree: the temporary name,
// the stash, the destination, and the identity of the staged object that
// Apply had journaled (through OpContext::record_swap) before any swap. It is
// idempotent: running it again after it finished, or after it was itself
// interrupted, does nothing more. Undo never deletes data the op did not
// create: anything found where it must restore that differs from what the op
// made is moved to .persist/rescued/<run>/ and reported. A staged object that
// never became visible is not removed file by file but set aside, in one
// rename, into .persist/trash/<run>.<index>.staged (trash.h), to be emptied
// after the command; what was visible is compared entry by entry and removed
// in place.
//
// Paths under .persist/ are persist's own and never the subject of an op;
// a copy may only read from a run's stash there.

#ifndef PERSIST_FSOPS_OPS_H_
#define PERSIST_FSOPS_OPS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fsops/copy_tree.h"
#include "fsops/describe_op.h"
#include "fsops/root.h"
#include "fsops/stash_layout.h"
#include "proto/journal.pb.h"

namespace persist {

// The directory holding persist's own state beneath a site root.
inline constexpr char kStateDir[] = ".persist";

struct OpContext {
  Root* root = nullptr;
  std::string run_id;
  uint32_t index = 0;
  // The recorded state, before the op, of each path OpPaths() lists, in order.
  std::vector<PathState> before;
  // Apply calls this before swapping a staged object with an existing one,
  // with the staged object's identity; it must be durable when it returns.
  std::function<absl::Status(uint64_t dev, uint64_t inode)> record_swap;
  // When set, a copy, import or unpack records every path it stages here
  // (copy_tree.h CopyTree), hashing files in the same pass.
  ManifestSink* manifest = nullptr;
  // When set, an import that dedupes reads the manifest of its dedupe_from
  // release here, alongside its walk (copy_tree.h previous_manifest).
  ManifestSource* previous_manifest = nullptr;
  // When set, an import or unpack tells here how it made its files.
  CopyStats* copy_stats = nullptr;
  // When set, a copy, import or unpack reports its running totals after each file.
  std::function<void(uint64_t files, uint64_t bytes)> progress;
  // Undo reads the identity record_swap had stored, if it was called.
  bool swap_recorded = false;
  uint64_t staged_dev = 0;
  uint64_t staged_inode = 0;
};

// The paths `op` touches, in a fixed order: copy and move: from, to;
// exchange: a, b; every other kind: its one path.
std::vector<std::string> OpPaths(const Op& op);

// The release an import, an unpack or an update makes (its `to`); "" for
// other ops.
std::string StagedRelease(const Op& op);

// The release whose manifest `op` records when the run commits: a staged
// release's, or a record op's; "" otherwise.
std::string ManifestedRelease(const Op& op);

// The release whose files an import or an update may link or clone
// (dedupe_from, or the update's base) when it dedupes; "" otherwise.
std::string DedupeSource(const Op& op);

// OK when `op` has a kind and all its paths are valid (see path.h) and
// outside .persist/ (but a copy's source, which may lie in a run's stash:
// only read, it brings back what that run set aside), and an import's source
// and an unpack's archive are absolute; otherwise InvalidArgument saying
// which field is wrong.
absl::Status ValidateOp(const Op& op);


// OK when `op` can run on paths in the states `before` (as OpPaths lists
// them): a copy or move needs its source, a remove its path, a mkdir finds
// nothing or a directory, a chmod no symlink. FailedPrecondition otherwise.
absl::Status CheckFeasible(const Op& op, const std::vector<PathState>& before);

// Checks that the tree agrees with what `ctx.before` says the op will find
// (each path exists, or not, with the recorded type), so that a change made
// by someone else since the run was planned stops the run before it acts.
absl::Status CheckPreconditions(const Op& op, const OpContext& ctx);

// Applies `op`. On error the tree may hold part of the op's effect; UndoOp
// reverses it.
absl::Status ApplyOp(const Op& op, const OpContext& ctx);

// Reverses whatever part of `op` reached the tree. Root-relative paths of
// anything moved to .persist/rescued/ are appended to `rescued`.
absl::Status UndoOp(const Op& op, const OpContext& ctx, std::vector<std::string>* rescued);

// Moves `entry` (data persist must not delete) to
// .persist/rescued/<run_id>/<path>, with a .1, .2 ... suffix where that name
// is taken, and syncs both directories. Returns the root-relative path it
// now has. An entry on another filesystem than .persist/ (shared/ on a
// mount of its own, where an upload was written into what the run had
// placed) cannot be renamed there: it goes to
// <top>/.persist-rescued/<run_id>/<path> on its own filesystem instead,
// <top> being the site's highest directory on it, as a stash does
// (StashesElsewhere), and stays there for the operator.
absl::StatusOr<std::string> Rescue(const Root& root, const std::string& run_id, const Entry& entry,
                                   const std::string& path);

// What an op replaced on another filesystem than .persist/ (shared/ on a
// mount of its own) cannot be renamed into StashDir: it is stashed on its
// own filesystem, in <top>/.persist-stash/<run>/<index>/, <top> being the
// site's highest directory on that filesystem, and StashDir holds a pointer
// to it (<slot>.elsewhere), synced before the object moves. Undo follows
// the pointer. These are the <top>/.persist-stash/<run> directories of
// `run_id`.
absl::StatusOr<std::vector<std::string>> StashesElsewhere(const Root& root,
                                                          const std::string& run_id);

// After the undo of `run_id` (purge false): removes its stashes elsewhere,
// which must be empty by then (an error keeps one that is not), then the
// pointers to them. When its
// stash is purged (purge true): sets them aside (trash.h: on another
// filesystem than the trash, removed in place). Either way, a
// .persist-stash directory left without runs is removed.
absl::Status TidyStashesElsewhere(const Root& root, const std::string& run_id, bool purge);

}  // namespace persist

#endif  // PERSIST_FSOPS_OPS_H_
