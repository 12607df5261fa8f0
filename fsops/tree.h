// Copyright persist authors.
//
// tree: copying and removing whole trees through an Env, fd-relative all the
// way down (openat + unlinkat), never by path string.

#ifndef PERSIST_FSOPS_TREE_H_
#define PERSIST_FSOPS_TREE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fsops/env.h"
#include "proto/journal.pb.h"

namespace persist {

// A name in an open directory, with its root-relative path for messages.
struct Entry {
  int dir_fd;
  std::string name;
  std::string path;
};

// Copies `from` (a file, symlink or directory tree) to `to`, which must not
// exist. Symlinks are copied as symlinks and never followed; modes and mtimes
// are kept; regular files go through copy_file_range. Fifos, sockets and
// devices are refused with FailedPrecondition naming them. Nothing is synced:
// the caller syncs the staged tree once (Env::Syncfs). On error, what was
// created so far stays for the caller to remove.
absl::Status CopyTree(Env* env, const Entry& from, const Entry& to);

struct CopyOptions {
  // Every copied path is recorded here (relative to `to`, "" for `to`
  // itself), regular files with the SHA-256 of their content, computed while
  // they are copied: one read of each file, through user space instead of
  // copy_file_range.
  std::vector<ManifestEntry>* manifest = nullptr;
  // Called after each regular file with the running totals.
  std::function<void(uint64_t files, uint64_t bytes)> on_file;
};

absl::Status CopyTree(Env* env, const Entry& from, const Entry& to, const CopyOptions& options);

// Removes `entry` and everything beneath it. A missing entry is OK.
absl::Status RemoveTree(Env* env, const Entry& entry);

// Removes `entry` if it is a directory holding only empty directories, and
// leaves it (and whatever is not empty beneath it) otherwise. Sets *empty to
// whether it is gone. A missing entry is OK.
absl::Status RemoveEmptyDirs(Env* env, const Entry& entry, bool* empty);

// Moves one entry that must not be deleted out of the way; see RemoveCreated.
using RescueFn = std::function<absl::Status(const Entry& entry)>;

// What an op put at a path, for RemoveCreated to recognise it.
struct Created {
  // A tree copied from `source` (when it has a name; its dir_fd may be
  // AT_FDCWD for a source outside the site), compared entry by entry on
  // type, mode, size, mtime and link target...
  Entry source{-1, "", ""};
  bool has_source() const { return !source.name.empty(); }
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
