// Copyright persist authors.
//
// tree_size: how much a tree holds: a release beneath a site, for `persist
// status` and `persist releases`, and an upload, for the space a deploy
// needs (source_tree.h Measure). Reads only: it opens directories and stats
// entries, fd-relative, never following a symlink.

#ifndef PERSIST_FSOPS_TREE_SIZE_H_
#define PERSIST_FSOPS_TREE_SIZE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/root.h"

namespace persist {

struct TreeSize {
  uint64_t bytes = 0;  // the sizes of its regular files (st_size, as ls shows them)
  uint64_t files = 0;  // every entry but a directory: files, symlinks, others
};

// Adds to *size what `name`, in the directory open at `dir_fd`, holds, the
// directory's entries depth first (`path` names it in errors). Nothing for a
// `name` that is not there (gone meanwhile); an error for one that cannot
// be read, or a directory swapped for a symlink meanwhile (O_NOFOLLOW).
absl::Status AddTreeSize(Env* env, int dir_fd, const std::string& name, const std::string& path,
                         TreeSize* size);

// The size of `rel` beneath `root` and everything under it. A symlink counts
// as one file of no bytes and is never followed, so a release's links into
// shared/ are not counted twice. A file hard-linked into several releases
// (deploy --dedupe hardlink) counts in each: this is what each holds, not
// what deleting it would free. A `rel` that does not exist is an error
// (NotFound, naming it); so is a directory that cannot be read.
absl::StatusOr<TreeSize> MeasureTree(const Root& root, const std::string& rel);

}  // namespace persist

#endif  // PERSIST_FSOPS_TREE_SIZE_H_
