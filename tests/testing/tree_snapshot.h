// Copyright persist authors.
//
// tree_snapshot: test helpers on real files in temporary directories, with
// plain POSIX calls (never persist's Env), so they are an independent
// witness of what persist did.
//
// A Snapshot records every path beneath a directory with everything DESIGN.md
// promise 7 compares: type, mode, size, the full content of regular files,
// symlink targets, and mtimes (nanoseconds) of everything but directories.

#ifndef PERSIST_TESTS_TESTING_TREE_SNAPSHOT_H_
#define PERSIST_TESTS_TESTING_TREE_SNAPSHOT_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace persist {
namespace testing {

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with everything in
// it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Creating fixtures; each aborts the test binary on failure (they are set-up,
// not the behaviour under test). Parents are created as needed.
void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644);
void MakeDir(const std::string& path, mode_t mode = 0755);
void MakeSymlink(const std::string& target, const std::string& path);
void SetMtime(const std::string& path, int64_t seconds);  // lutimes: symlinks too
std::string ReadFile(const std::string& path);
// The content of `path`, or "<missing PATH>": for expectations, where
// ReadFile would stop the whole test binary.
std::string ContentOrMissing(const std::string& path);
bool PathExists(const std::string& path);  // lstat
void RemoveAll(const std::string& path);

// path relative to the snapshot root -> its description.
using Snapshot = std::map<std::string, std::string>;

// Every path beneath `root`, except the top-level names in `exclude`.
Snapshot TakeSnapshot(const std::string& root, const std::set<std::string>& exclude = {".persist"});

// "" when equal; else one line per path that differs, is missing or is extra.
std::string DiffSnapshots(const Snapshot& expected, const Snapshot& actual);

// `snapshot` with every mtime removed, to compare trees made at other times.
Snapshot WithoutMtimes(const Snapshot& snapshot);

// What TakeTreeSnapshot records; the defaults are TakeSnapshot's.
struct TreeSnapshotOptions {
  // Paths relative to the root ("shared/.deployment-history"), left out with
  // everything beneath them.
  std::set<std::string> exclude = {".persist"};
  // Mtimes (nanoseconds) of everything but directories.
  bool mtimes = true;
  // A regular file by the SHA-256 of its content ("sha256=HEX") rather than
  // the content itself: for trees too big to hold in memory.
  bool digests = false;
  // Symlinks followed (stat rather than lstat), as an app sees a tree through
  // its links; a dangling or looping link is recorded as a symlink.
  bool follow_links = false;
  // The root directory itself, as ".", with its mode.
  bool root = false;
  // The owner of every path, " owner=UID:GID" at the end of its description:
  // for trees whose files belong to several users.
  bool owners = false;
};

// Like TakeSnapshot, with the choices above. Special files (fifos, sockets,
// devices) carry their mtime here as well.
Snapshot TakeTreeSnapshot(const std::string& root, const TreeSnapshotOptions& options);

// A small site with everything the campaigns exercise: a release tree with
// nested directories, files of several modes, relative and absolute symlinks,
// an existing `current` symlink, shared data, and incoming sources.
void BuildSampleSite(const std::string& root);

// A plan over BuildSampleSite of at least ten mixed ops: mkdir, copy of a
// tree with nested dirs and symlinks, move of a directory, replacement of an
// existing symlink, remove, write over an existing file, chmod and exchange.
std::string SamplePlanText();

}  // namespace testing
}  // namespace persist

#endif  // PERSIST_TESTS_TESTING_TREE_SNAPSHOT_H_
