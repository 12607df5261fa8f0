// Copyright persist authors.
//
// tree_diff: what one tree holds that another does not, as data.
//
// persist restore replaces shared/ with an archive's copy; the entries of
// the old shared/ whose data the archive lacks must be kept apart so that
// they outlive the run's stash. "Data" is what a user would lose: a path,
// a file's content, a symlink's target. Modes and mtimes are not compared.

#ifndef PERSIST_FSOPS_TREE_DIFF_H_
#define PERSIST_FSOPS_TREE_DIFF_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/tree.h"

namespace persist {

struct Difference {
  enum Kind {
    kMissing,  // `reference` has nothing at this path
    kDiffers,  // it has another type, other content or another link target
  };
  std::string path;  // relative to the trees, "" for the trees themselves
  Kind kind;
};

// The top-most entries of `tree` whose data `reference` does not hold, in
// depth-first order, names sorted: absent there, of another type, a regular file of other
// content (compared by size, then SHA-256) or a symlink with another target.
// Directories present in both are compared entry by entry, never reported
// themselves. Fifos, sockets and devices hold no data and are never
// reported; a directory holding one (at any depth) is reported entry by
// entry instead of whole, so that every path reported can be copied with
// CopyTree. Nothing is followed; both trees are only read.
absl::StatusOr<std::vector<Difference>> DataNotIn(Env* env, const Entry& tree,
                                                  const Entry& reference);

}  // namespace persist

#endif  // PERSIST_FSOPS_TREE_DIFF_H_
