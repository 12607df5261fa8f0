// Copyright persist authors.
//
// source_tree: a release as the planner reads it, whether it is a directory
// or the part of an archive that holds the app.
//
// A deploy plans from what the release holds (which persistent paths it
// ships, whether they are files or directories, what a merge would add)
// before anything is copied or unpacked. SourceTree is that read-only view:
// a directory on disk (DirectoryTree, RootTree) or an archive's listing
// (release_archive.h ArchiveListing), answered the same way.

#ifndef PERSIST_FSOPS_SOURCE_TREE_H_
#define PERSIST_FSOPS_SOURCE_TREE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/path.h"
#include "fsops/root.h"
#include "proto/journal.pb.h"

namespace persist {

class SourceTree {
 public:
  virtual ~SourceTree() = default;

  // The state of `rel` ("" for the top), a symlink not followed. ABSENT
  // when it, or a directory above it, is missing; ENOTDIR (errno_status.h)
  // when a component above it is a file or a symlink. With `with_digest`, a
  // regular file's SHA-256 is filled in.
  virtual absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const = 0;

  // The names in the directory `rel`, sorted byte by byte. An error naming
  // the path when `rel` is not a directory.
  virtual absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const = 0;

  // `rel` as the operator knows it, for messages: "/home/u/app-v2/storage",
  // "/home/u/shop.zip: shop/storage".
  virtual std::string Name(const std::string& rel) const = 0;

  // The number of regular files and other non-directories beneath `rel`
  // (itself, when it is no directory), and the bytes of the regular files.
  // The default walks with Observe and List.
  struct Size {
    int files = 0;
    uint64_t bytes = 0;
  };
  virtual absl::StatusOr<Size> Measure(const std::string& rel) const;

  // The content of the regular file `rel`, at most `max_bytes` of it
  // (FailedPrecondition when larger); NotFound when there is none.
  virtual absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const = 0;
};

// A directory given by its absolute path, each path resolved afresh from
// it (symlinks above `rel` followed, as the operator's shell would).
class DirectoryTree : public SourceTree {
 public:
  DirectoryTree(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override;
  // Directory by open directory: a release can hold paths longer than
  // PATH_MAX.
  absl::StatusOr<Size> Measure(const std::string& rel) const override;
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override;

 private:
  Env* env_;
  std::string dir_;
};

// The directory `dir` beneath a site root, resolved the way Root resolves
// every path (no symlink followed, nothing outside the root).
class RootTree : public SourceTree {
 public:
  RootTree(const Root& root, std::string dir) : root_(root), dir_(std::move(dir)) {}

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override;
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override {
    return root_.ReadFile(JoinPath(dir_, rel), max_bytes);
  }

 private:
  const Root& root_;
  std::string dir_;
};

// The directory `dir` of another tree, as a tree of its own.
class SubTree : public SourceTree {
 public:
  SubTree(const SourceTree& base, std::string dir) : base_(base), dir_(std::move(dir)) {}

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override;
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override {
    return base_.Read(JoinPath(dir_, rel), max_bytes);
  }

 private:
  const SourceTree& base_;
  std::string dir_;
};

// A tree without one of its paths (and what lies beneath it).
class TreeWithout : public SourceTree {
 public:
  TreeWithout(const SourceTree& base, std::string hidden)
      : base_(base), hidden_(std::move(hidden)) {}

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override { return base_.Name(rel); }
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override;

 private:
  const SourceTree& base_;
  std::string hidden_;
};

// `base` with `grafted` in place of its top-level directory `dir`: what
// `base` holds there (if anything) is hidden, and `grafted` is read as
// that directory (an app as it is served from a web root of its own).
class GraftedTree : public SourceTree {
 public:
  GraftedTree(const SourceTree& base, std::string dir, const SourceTree& grafted)
      : base_(base), dir_(std::move(dir)), grafted_(grafted) {}

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override;
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override;

 private:
  // `rel` within the grafted tree: "" for `dir` itself; nullopt outside it.
  std::optional<std::string> InGrafted(const std::string& rel) const;

  const SourceTree& base_;
  std::string dir_;
  const SourceTree& grafted_;
};

// A tree that holds nothing but its top directory: the package of an
// update that lays nothing over its base (persist capture).
class EmptyTree : public SourceTree {
 public:
  explicit EmptyTree(std::string name) : name_(std::move(name)) {}

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override { return JoinPath(name_, rel); }
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override;

 private:
  std::string name_;
};

// A tree laid over another, as an update package over the release it
// updates: `base`, less every path in `removed` (and what lies beneath),
// with `top` over it. Where both hold a path, `top`'s entry stands; where
// `top` holds a file or symlink, nothing of `base` beneath that path
// remains, and where it holds a directory in place of one of `base`'s files
// or symlinks, only `top`'s entries are beneath it.
class OverlayTree : public SourceTree {
 public:
  OverlayTree(const SourceTree& base, const SourceTree& top, std::vector<std::string> removed)
      : base_(base), top_(top), removed_(std::move(removed)) {}

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override { return base_.Name(rel); }
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override;

 private:
  // The state `top` gives `rel`: ABSENT where it has none (also beneath
  // one of its files).
  absl::StatusOr<PathState> InTop(const std::string& rel, bool with_digest) const;

  const SourceTree& base_;
  const SourceTree& top_;
  std::vector<std::string> removed_;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_SOURCE_TREE_H_
