// Copyright persist authors.
//
// Root: a site directory, and every path resolved beneath it.
//
// A Root holds one directory fd. Paths are relative to it (see path.h) and are
// resolved afresh for every call through Env::OpenBeneath, which refuses to
// follow a symlink in any component or to leave the root. A path string is
// never resolved once and used later, so a symlink planted between two calls
// cannot redirect the second one.

#ifndef PERSIST_FSOPS_ROOT_H_
#define PERSIST_FSOPS_ROOT_H_

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/fd.h"
#include "proto/journal.pb.h"

namespace persist {

class Root {
 public:
  // Opens the directory `dir` as a site root.
  static absl::StatusOr<std::unique_ptr<Root>> Open(Env* env, const std::string& dir);

  Env* env() const { return env_; }
  int fd() const { return fd_.get(); }
  // The root as given on the command line, for messages.
  const std::string& dir() const { return dir_; }

  // Opens the directory `rel` ("" is the root itself).
  absl::StatusOr<Fd> OpenDir(const std::string& rel) const;

  // The names in the directory `rel` ("" is the root itself), sorted byte by
  // byte; an empty list when it does not exist (ENOENT), and errors as
  // OpenDir's when it cannot be reached.
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const;

  // Opens the directory holding `rel`; its last component goes to *leaf.
  absl::StatusOr<Fd> OpenParent(const std::string& rel, std::string* leaf) const;

  // The state of `rel`. ABSENT when it, or any directory above it, does not
  // exist; an error when a component above it is a symlink or a file.
  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const;

  // lstat of `rel` ("" is the root itself): a last symlink is not followed.
  // An errno status (ENOENT when it does not exist) on failure.
  absl::StatusOr<struct stat> Lstat(const std::string& rel) const;

  // Whether this process may read, write or search `rel` (Env::AccessAt;
  // "" is the root itself): EACCES, EPERM or EROFS when it may not.
  absl::Status Access(const std::string& rel, int mode) const;

  // Creates `rel` and any missing directories above it with `mode`. Only for
  // persist's own directories (.persist/...): not journaled. Run as root,
  // each directory it creates takes its parent's owner (TakeParentOwner),
  // and so does each it finds there with another owner (RestoreParentOwner):
  // a run killed between making one and giving it away left it root's.
  absl::Status MakeDirs(const std::string& rel, mode_t mode) const;

  // The content of the regular file `rel`, at most `max_bytes` of it
  // (FailedPrecondition when larger). NotFound when it does not exist.
  absl::StatusOr<std::string> ReadFile(const std::string& rel, size_t max_bytes) const;


 private:
  Root(Env* env, Fd fd, std::string dir) : env_(env), fd_(std::move(fd)), dir_(std::move(dir)) {}

  Env* env_;
  Fd fd_;
  std::string dir_;
};

// Run as root, gives `name` in the directory `dir_fd` the owner and group of
// that directory, unless root owns it; for any other user, does nothing.
// What persist creates in a site, its own .persist/ included, so belongs to
// the site's user, who can go on running persist after root did (the rule
// ops.cc follows for what a run creates). `path` is for messages.
absl::Status TakeParentOwner(Env* env, int dir_fd, const std::string& name,
                             const std::string& path);

// TakeParentOwner for what persist made earlier: run as root, gives `name`
// its directory's owner and group when it has others (and root does not own
// that directory); else does nothing, not even a chown. A run killed
// between creating one of its own files or directories and giving it away
// leaves it root's, which the site's owner could then not use: the next
// run as root, recover included, mends it with this.
absl::Status RestoreParentOwner(Env* env, int dir_fd, const std::string& name,
                                const std::string& path);

}  // namespace persist

#endif  // PERSIST_FSOPS_ROOT_H_
