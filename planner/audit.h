// Copyright persist authors.
//
// audit: what changed between two releases, and whether the live release
// still is what was deployed, from the manifests made while releases were
// staged (journal.proto Manifest).

#ifndef PERSIST_PLANNER_AUDIT_H_
#define PERSIST_PLANNER_AUDIT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

// The changes from release `a` to release `b`, sorted by path, from the
// manifests alone: content (digest, size, link target) is "modified"; a
// change of permission bits alone is "mode"; a file that became a directory
// or a link is "type". Directories are compared by mode only.
std::vector<Change> DiffManifests(const Manifest& a, const Manifest& b);

struct ReleaseCheck {
  int checked = 0;                // manifest entries compared
  std::vector<Problem> tampered;  // changed or missing since the deploy
  std::vector<Problem> drifted;   // present but not in the manifest
};

// Compares the release at `manifest.release_path()` with its manifest.
// Paths the release links into shared/ are skipped (they are shared data).
// `quick` compares size and mtime instead of reading every file.
absl::StatusOr<ReleaseCheck> CheckRelease(const Root& site, const Manifest& manifest, bool quick);

}  // namespace persist

#endif  // PERSIST_PLANNER_AUDIT_H_
