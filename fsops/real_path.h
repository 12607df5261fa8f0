// Copyright persist authors.
//
// real_path: the absolute, symlink-free form of a path given by the user.
//
// The site root, --out, TMPDIR and the like arrive as the user spelled them:
// relative, through symlinks, with "." and "..". Comparing two of them (is
// the backup inside shared/? is TMPDIR inside the site?) or showing where
// something really is needs realpath(3). These are the one wrapper around it.
// They follow symlinks, by design, and so do not go through Env, whose calls
// never follow one: they resolve names from the command line before any site
// is open, and change nothing.

#ifndef PERSIST_FSOPS_REAL_PATH_H_
#define PERSIST_FSOPS_REAL_PATH_H_

#include <string>

#include "absl/status/statusor.h"

namespace persist {

// $TMPDIR, or /tmp when it is unset or empty: where persist makes what it
// needs outside a site (a restore's extraction, a dry run's stand-in site,
// a nested archive's spool), as the user spelled it.
std::string TemporaryDirectory();

// realpath(path): absolute, every symlink, "." and ".." resolved, the last
// component included. On failure an errno status (errno_status.h) naming
// `path`, e.g. "resolve a/b: No such file or directory (ENOENT)", NotFound
// for ENOENT and ENOTDIR.
absl::StatusOr<std::string> RealPath(const std::string& path);

// The same for a path that may not exist yet (a directory about to be made)
// but whose parent must: RealPath(path) when `path` exists; when it does not
// (ENOENT, a dangling symlink included: the result then names the link),
// RealPath of its parent ("." for a bare name) joined with its last
// component. Errors: the last component is "", "." or ".." (InvalidArgument);
// the parent cannot be resolved (its errno status, saying that `path` does
// not exist either); any error but ENOENT resolving `path` (returned as it
// is: EACCES or ELOOP does not say that the path is missing).
absl::StatusOr<std::string> RealPathMaybeMissing(const std::string& path);

}  // namespace persist

#endif  // PERSIST_FSOPS_REAL_PATH_H_
