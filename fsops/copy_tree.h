// Copyright persist authors.
//
// CopyTree: how a release arrives. One walk of the source, fd-relative all
// the way down, with the files copied by a pool of workers while the walk
// goes on, each file hashed in the same read that copies it, and, where a
// previous release holds the same file, a hard link or reflink to it instead
// of a copy.

#ifndef PERSIST_FSOPS_COPY_TREE_H_
#define PERSIST_FSOPS_COPY_TREE_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fsops/entry.h"
#include "fsops/env.h"
#include "proto/journal.pb.h"

namespace persist {


struct CopyStats {
  uint64_t files = 0;     // regular files, however they were made
  uint64_t bytes = 0;     // their content
  uint64_t linked = 0;    // hard-linked to the previous release
  uint64_t cloned = 0;    // reflinked to the previous release
};

// Takes a copy's manifest entries, one by one, in walk order.
class ManifestSink {
 public:
  virtual ~ManifestSink() = default;
  // A copy starts: entries added before are dropped.
  virtual void Clear() = 0;
  // The next entry; never called from two threads at once.
  virtual void Add(const ManifestEntry& entry) = 0;
};

// A manifest read in walk order, one entry at a time.
class ManifestSource {
 public:
  virtual ~ManifestSource() = default;
  // The next entry; false at the end (or on damage: status() says why).
  virtual bool Next(ManifestEntry* entry) = 0;
  // OK unless Next found damage.
  virtual absl::Status status() const { return absl::OkStatus(); }
};

struct CopyOptions {
  // Every copied path goes here in walk order (names sorted byte by byte, a
  // directory before what it holds: path.h PathBefore), relative to `to` (""
  // for `to` itself), regular files with the SHA-256 of their content,
  // computed in the read that copies them. An entry is handed over once its
  // file is copied; only the entries waiting behind a file still being
  // copied are held, never the whole tree.
  ManifestSink* manifest = nullptr;
  // Called after each regular file with the running totals; never from two
  // threads at once.
  std::function<void(uint64_t files, uint64_t bytes)> on_file;
  // Threads copying files; 0 picks DefaultCopyWorkers(), 1 copies on the
  // calling thread only.
  int workers = 0;
  // A previous copy of the same tree (a release directory; its dir_fd may be
  // AT_FDCWD for an absolute path). A file found at the same relative path
  // there, with the same content byte for byte, is linked or cloned from it
  // as `dedupe` says instead of copied. A hard link also needs the same mode,
  // mtime and owner, since the two names share them; otherwise the file is
  // copied. `previous` may be `from` itself (a release made from the live
  // one, as an update package's is): each file is then stat'ed once for
  // both.
  Entry previous{-1, "", ""};
  DedupeMode dedupe = DEDUPE_OFF;
  // The manifest of `previous`, when there is one, read alongside the walk.
  // A file whose entry there has the same size and mtime, in a previous
  // release whose file still has the inode and ctime that entry recorded (so
  // nothing wrote to it since: every write, chmod or link moves its ctime,
  // and no one can set a ctime by hand), is compared by digest: the source
  // is read once, for its own digest; where the source is that very file
  // (same device and inode: a release made from the live one, as an update
  // package's is), it is not read at all. Otherwise both files are read.
  ManifestSource* previous_manifest = nullptr;
  // Whether to leave out the entry `rel` of `from` (relative to it, as in the
  // manifest: "app/A.php"; `st` its lstat), and all beneath it: the caller
  // puts something else there, or nothing. Asked on the walk's thread, of
  // each entry in walk order but `from` itself; never of a path beneath a
  // symlink, which the copy does not follow.
  std::function<bool(const std::string& rel, const struct stat& st)> leave_out;
  // The owner given to everything created; -1 keeps the creating process's.
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  // Filled with what was done, when given.
  CopyStats* stats = nullptr;
  // For a copy the caller will sync: each time this many more bytes have
  // been copied, a helper thread flushes the filesystem holding `to`
  // (Env::WriteBack), so that the disk writes while the copy goes on and
  // the caller's Syncfs waits only for the rest. 0: never.
  uint64_t write_back_every = 0;
};

// Copies `from` (a file, symlink or directory tree) to `to`, which must not
// exist. Symlinks are copied as symlinks and never followed; modes and mtimes
// are kept; file content goes through copy_file_range, or through user space
// when it is hashed. Fifos, sockets and devices are refused with
// FailedPrecondition naming them. Nothing is synced: the caller syncs the
// staged tree once (Env::Syncfs). On error, what was created so far stays for
// the caller to remove.
absl::Status CopyTree(Env* env, const Entry& from, const Entry& to,
                      const CopyOptions& options = CopyOptions());

}  // namespace persist

#endif  // PERSIST_FSOPS_COPY_TREE_H_
