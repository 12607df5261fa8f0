// Copyright persist authors.
//
// record_manifest: the manifest of a tree as it stands on disk, read and
// hashed file by file: for a release that no copy made (persist adopt
// renames an app into place), whose manifest the journal would otherwise
// lack, and with it verify's file checks, diff and a next deploy's dedupe.

#ifndef PERSIST_FSOPS_RECORD_MANIFEST_H_
#define PERSIST_FSOPS_RECORD_MANIFEST_H_

#include "absl/status/status.h"
#include "fsops/copy_tree.h"
#include "fsops/entry.h"
#include "fsops/env.h"

namespace persist {

// Hands `sink` (cleared first) every path beneath the directory `tree` in
// walk order (path.h PathBefore), "" for `tree` itself: type, mode, mtime,
// a symlink's target, and a regular file's size, SHA-256, inode and ctime
// (as CopyTree records them). Symlinks are recorded, never followed. A
// fifo, socket or device is an error naming it: no release holds one.
absl::Status RecordManifest(Env* env, const Entry& tree, ManifestSink* sink);

}  // namespace persist

#endif  // PERSIST_FSOPS_RECORD_MANIFEST_H_
