// Copyright persist authors.
//
// release_update: a release made from the live one and a vendor's update
// package, the files that changed and were added (a zip, a tarball or a
// directory), meant by the vendor to be unpacked over the live install.
//
// An UpdateOp without a package makes a copy of the base as it is now,
// in-place changes included (persist capture).
//
// persist never unpacks over the live release. BuildUpdate makes a new
// tree: the base release's entries (its files hard-linked or reflinked as
// the dedupe mode says, else copied), less the paths the package deletes
// and those it lays something else at (a file or symlink; a directory in
// place of a file or symlink), then the package's entries over the rest: a
// directory of the package over one of the base takes its entries in. A
// symlink of the base is never followed: the link goes, not what it leads
// to. UpdateResult describes the same tree without making it, for the
// planner and for undo.

#ifndef PERSIST_FSOPS_RELEASE_UPDATE_H_
#define PERSIST_FSOPS_RELEASE_UPDATE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/copy_tree.h"
#include "fsops/entry.h"
#include "fsops/env.h"
#include "fsops/release_archive.h"
#include "fsops/root.h"
#include "fsops/source_tree.h"
#include "proto/journal.pb.h"

namespace persist {

struct UpdateOptions {
  DedupeMode dedupe = DEDUPE_AUTO;
  // The base release's manifest, read alongside its copy (CopyTree).
  ManifestSource* base_manifest = nullptr;
  // The new release's manifest, every path in walk order with its digest,
  // each file with its inode and ctime once the release is whole.
  ManifestSink* manifest = nullptr;
  std::function<void(uint64_t files, uint64_t bytes)> on_file;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  CopyStats* stats = nullptr;
};

// Builds at `into` (which must not exist) the release `op` describes
// (journal.proto UpdateOp): `base` is op.base opened in the site, the
// package op.package_dir or op.package_archive, or none. The base's files
// are only read or linked, never changed: none is linked only to be
// unlinked again. FailedPrecondition when the package is no longer what it
// was listed as when the build began (it changed while it was applied).
// Nothing is synced. On error, what was made beneath `into` stays for the
// caller to remove.
absl::Status BuildUpdate(Env* env, const UpdateOp& op, const Entry& base, const Entry& into,
                         const UpdateOptions& options);

// The tree BuildUpdate makes from `op` in `site`: an OverlayTree of the
// base release, less op.delete, with the package over it. It owns what it
// reads (the package's listing).
class UpdateResult : public SourceTree {
 public:
  static absl::StatusOr<std::unique_ptr<UpdateResult>> Open(const Root& site, const UpdateOp& op);

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override {
    return overlay_->Observe(rel, with_digest);
  }
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override {
    return overlay_->List(rel);
  }
  std::string Name(const std::string& rel) const override { return overlay_->Name(rel); }
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override {
    return overlay_->Read(rel, max_bytes);
  }

  // What of the package is laid over the base (all of it but its own list).
  const SourceTree& package() const { return laid_ != nullptr ? *laid_ : *package_; }

 private:
  UpdateResult() = default;

  std::unique_ptr<SourceTree> base_;
  std::unique_ptr<ArchiveListing> listing_;
  std::unique_ptr<SourceTree> package_;
  std::unique_ptr<SourceTree> laid_;  // the package without its own list, if it has one
  std::unique_ptr<SourceTree> overlay_;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_RELEASE_UPDATE_H_
