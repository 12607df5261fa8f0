// Copyright persist authors.
//
// trash: trees that must go, set aside in one rename and removed later.
//
// Removing a tree costs one unlink per file, and on a filesystem mounted with
// `discard` every unlink that frees blocks waits for the device: removing a
// staged release inline made `persist recover` several times slower than the
// deploy it undid. A tree that must go, and that no one could have seen or
// still needs (a staged object that never became visible, the stash of a run
// that left the undo window), is instead renamed into .persist/trash/ beneath
// the site root: one rename on the same filesystem, whatever the tree's size.
// EmptyTrash removes what waits there, after the command, outside the lock.
//
// The trash needs no site lock. SetAside (called under the site lock, by
// undo and by the stash purge) only renames into it under a new name
// (RENAME_NOREPLACE), and nothing ever reads back, renames out of, or reuses
// a name in the trash; emptiers only remove what they find there, and hold
// an flock on the trash directory so that two of them never do the same work
// twice. An entry is set aside whole, so an emptier never sees half of one.

#ifndef PERSIST_FSOPS_TRASH_H_
#define PERSIST_FSOPS_TRASH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fsops/entry.h"
#include "fsops/root.h"

namespace persist {

// The trash directory, relative to the site root. Mode 0700, made on demand.
inline constexpr char kTrashDir[] = ".persist/trash";

// Why the last EmptyTrash failed, relative to the site root: a background
// emptier's output goes nowhere, so it is kept here for `persist verify` to
// report, until an emptier succeeds and removes it.
inline constexpr char kTrashFailureFile[] = ".persist/trash-failure";

// What SetAside did.
enum class SetAsideResult {
  kAbsent,   // there was nothing at the entry
  kTrashed,  // renamed into the trash
  kRemoved,  // removed in place: the trash could not take it
};

// Moves `entry` (a name in a directory beneath `root`) into the trash as
// `name_hint`, or as `name_hint`.2, .3 ... when that name is taken.
// `name_hint` is a name persist makes (a run id and an op index, say), one
// path component of at most 200 bytes: never a name from the site, which can
// be 255 bytes long. The trash directory is made when missing.
//
// When it returns OK the move is durable: the entry's directory and the
// trash directory are both fsynced, so a journal record written afterwards
// (the op undone, the stash purged) can never survive a power cut that brings
// the entry back under its old name. Where the trash cannot take the entry
// (on another filesystem: EXDEV; or the trash directory cannot be made or
// opened), the entry is removed in place with RemoveTree instead, as slowly
// as before. A missing entry is OK: running it again after it finished, or
// after it was interrupted, does nothing more. Any other error is returned,
// naming the path, the cause and the next step.
absl::StatusOr<SetAsideResult> SetAside(const Root& root, const Entry& entry,
                                        const std::string& name_hint);

// The names in the trash, in no particular order; none when it does not exist.
absl::StatusOr<std::vector<std::string>> ListTrash(const Root& root);

// What EmptyTrash did.
struct TrashReport {
  // Another emptier held the trash and EmptyTrash was told not to wait:
  // nothing was removed.
  bool busy = false;
  int entries = 0;     // names of the trash removed
  uint64_t files = 0;  // non-directories removed beneath them
  uint64_t bytes = 0;  // the sizes of the regular files among them
};

// Removes every entry of the trash with RemoveTree: fd-relative, a symlink is
// removed and never followed, a read-only directory is made writable first.
// Holds an flock on the trash directory while it works: with `wait`, it first
// waits for an emptier that holds it; without, it returns at once with
// `busy` set. A missing trash directory, and entries that vanish meanwhile,
// are OK. Entries set aside while it works may be left for the next emptier
// (every command that sets something aside starts one when it ends).
// A failure is also written to kTrashFailureFile (best effort); an emptying
// that finishes removes that file.
absl::StatusOr<TrashReport> EmptyTrash(const Root& root, bool wait);

// Why the last emptying failed, with its UTC time; "" when it did not fail.
absl::StatusOr<std::string> LastTrashFailure(const Root& root);

}  // namespace persist

#endif  // PERSIST_FSOPS_TRASH_H_
