// Copyright persist authors.
//
// audit: what changed between two releases, and whether the live release
// still is what was deployed, from the manifests made while releases were
// staged (journal.proto Manifest), each read entry by entry from a
// ManifestSource (fsops/copy_tree.h) that the caller hands over: memory does
// not grow with the size of a release, and the planner never opens the
// journal itself.

#ifndef PERSIST_PLANNER_AUDIT_H_
#define PERSIST_PLANNER_AUDIT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/copy_tree.h"
#include "fsops/root.h"
#include "planner/health.h"
#include "proto/journal.pb.h"

namespace persist {

struct Change {
  enum Kind { kAdded, kRemoved, kModified, kMode, kType };
  std::string path;
  Kind kind;
};

// "added", "removed", "modified", "mode" or "type".
const char* ChangeName(Change::Kind kind);

// The changes from release `a` to release `b`, in walk order (path.h
// PathBefore), from the manifests alone: content (digest, size, link
// target) is "modified"; a change of permission bits alone is "mode"; a file
// that became a directory or a link is "type". Directories are compared by
// mode only. A path either release holds as its link into shared/ is left
// out, with what lies beneath it: that is the site's data. Reads both from where they stand to the
// end; a damaged manifest is its reader's error.
absl::StatusOr<std::vector<Change>> DiffManifests(ManifestSource& a, ManifestSource& b);

struct ReleaseCheck {
  int checked = 0;                // manifest entries compared
  std::vector<Problem> tampered;  // changed or missing since the deploy
  std::vector<Problem> drifted;   // present but not in the manifest
};

// Compares the release at `release` (a path in `site`; its manifest's
// release path, or where that release waits in a stash) with `manifest`,
// read from where it stands to the end, in one walk that visits names in
// the manifest's order. Paths the release links into shared/ are skipped
// (they are shared data). `quick` compares size and mtime instead of
// reading every file. Problems come in walk order.
absl::StatusOr<ReleaseCheck> CheckRelease(const Root& site, const std::string& release,
                                          ManifestSource& manifest, bool quick);

}  // namespace persist

#endif  // PERSIST_PLANNER_AUDIT_H_
