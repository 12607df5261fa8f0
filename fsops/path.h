// Copyright persist authors.
//
// path: the shape of the paths persist accepts.
//
// Every path that reaches fsops is relative to a site root, uses '/' as its
// only separator, and names nothing above the root. These checks run before
// any filesystem access, so a bad path in a plan or profile is refused with
// nothing touched.

#ifndef PERSIST_FSOPS_PATH_H_
#define PERSIST_FSOPS_PATH_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace persist {

// OK when `path` is non-empty, relative, free of NUL bytes, of "." and ".."
// components and of empty components ("a//b", trailing "/"). Otherwise an
// InvalidArgument naming the path and what is wrong with it.
absl::Status ValidateRelativePath(absl::string_view path);

// The longest release or run id persist accepts.
inline constexpr size_t kMaxIdLength = 128;

// OK when `id` can name a release (releases/ID) or a run (.persist/stash/ID):
// one safe path component of 1 to kMaxIdLength bytes, each a letter, a digit,
// '.', '_' or '-', not starting with '.' (so never "." or "..", nor a name
// persist gives its staging directories). Otherwise an InvalidArgument that
// names `kind` ("release id", "run id") and the id, escaped, and says what an
// id may hold. The one check for every id persist reads: from the command
// line and from directory listings.
absl::Status ValidateId(absl::string_view id, absl::string_view kind);

// Splits "a/b/c" into {"a/b", "c"} and "c" into {"", "c"}.
std::pair<std::string, std::string> SplitParent(absl::string_view path);

// Joins two relative paths; either may be empty.
std::string JoinPath(absl::string_view a, absl::string_view b);

// True when `path` equals `ancestor` or lies beneath it.
bool IsWithin(absl::string_view path, absl::string_view ancestor);

// Walk order: true when a walk that lists each directory's names sorted
// byte by byte, and visits a directory before what it holds, reaches `a`
// before `b`. That is component by component ("a" < "a/b" < "a-c", where
// plain string order puts "a-c" before "a/b"). Release manifests are in it.
bool PathBefore(absl::string_view a, absl::string_view b);

// Where the symlink `link` (a root-relative path) leads when its `target`
// is followed lexically, ".." by "..": "" when the target is absolute or
// climbs out of the root. Symlinks along the way are not looked at.
std::string ResolveLexically(const std::string& link, const std::string& target);

// Whether the symlink `link` (a root-relative path) with `target` leads,
// followed lexically, into the site's shared/: a persistent path's link.
bool LeadsIntoShared(const std::string& link, const std::string& target);

// Quotes a path for messages: printable ASCII stays as is, everything else
// (newlines, invalid UTF-8) becomes \xNN, so a message is one line.
std::string PrintablePath(absl::string_view path);

}  // namespace persist

#endif  // PERSIST_FSOPS_PATH_H_
