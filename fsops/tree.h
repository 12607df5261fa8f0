// Copyright persist authors.
//
// tree: removing whole trees through an Env, fd-relative all the way down
// (openat + unlinkat), never by path string. Copying is in copy_tree.h.

#ifndef PERSIST_FSOPS_TREE_H_
#define PERSIST_FSOPS_TREE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fsops/entry.h"
#include "fsops/env.h"
#include "proto/journal.pb.h"

namespace persist {

// What RemoveTree removed.
struct RemoveStats {
  uint64_t files = 0;  // every non-directory: files, symlinks, others
  uint64_t bytes = 0;  // the sizes of the regular files among them
};

// Removes `entry` and everything beneath it. A missing entry is OK, and so
// is a part of it that vanishes while it is being removed (a second remover
// got there first). When `stats` is given, what was removed is added to it.
absl::Status RemoveTree(Env* env, const Entry& entry, RemoveStats* stats = nullptr);

// Removes `entry` if it is a directory holding only empty directories, and
// leaves it (and whatever is not empty beneath it) otherwise. Sets *empty to
// whether it is gone. A missing entry is OK.
absl::Status RemoveEmptyDirs(Env* env, const Entry& entry, bool* empty);

// Whether `entry` is a directory holding nothing but directories, at any
// depth: no file, symlink or other object, so that no data is lost if it
// goes. False for anything but a directory; a missing entry is an error.
absl::StatusOr<bool> HoldsOnlyDirectories(Env* env, const Entry& entry);

// Moves one entry that must not be deleted out of the way; see RemoveCreated.
using RescueFn = std::function<absl::Status(const Entry& entry)>;

class SourceTree;

// What an op put at a path, for RemoveCreated to recognise it.
struct Created {
  // A tree copied from `source` (when it has a name; its dir_fd may be
  // AT_FDCWD for a source outside the site), compared entry by entry on
  // type, mode, size, mtime and link target...
  Entry source{-1, "", ""};
  bool has_source() const { return !source.name.empty(); }
  // ...or a tree made from `tree` (an archive's listing), its path `rel`
  // there, compared the same way...
  const SourceTree* tree = nullptr;
  std::string rel;
  // ...or a single object described by `state`: a regular file (compared by
  // digest and mode), a symlink (by target) or an empty directory.
  PathState state;
};

// Removes what an op created at `entry`, and only that: every entry beneath
// it that differs from `created`, or that `created` does not have, is handed
// to `rescue` instead of being deleted (data written by someone else after the
// op ran). Directories are removed once empty. *rescued counts the entries
// handed to `rescue`.
absl::Status RemoveCreated(Env* env, const Entry& entry, const Created& created,
                           const RescueFn& rescue, int* rescued);

}  // namespace persist

#endif  // PERSIST_FSOPS_TREE_H_
