// Copyright persist authors.
//
// root_guard: which directory is the site, and whether a command may make or
// change a site there.
//
//  - Without --root, a command acts on the nearest directory at or above the
//    current one that holds .persist/ (as git finds .git), so that it works
//    from inside current/, a release or shared/; else on the current
//    directory.
//  - A site is never made inside another site's releases/, shared/ or live
//    release: a deploy there would copy the site into itself, and a journal
//    there would be pruned, served or rolled back with the release.
//  - Root on someone else's site: a deploy run by root by habit (sudo) on a
//    site that belongs to the web server's user is refused unless the
//    operator says it is meant (--allow-root). What persist creates as root
//    takes the owner of its parent directory either way (fsops/ops.cc).
//
// Directories are compared by device and inode, climbing through "..", so no
// spelling of a path (symlinks, "..", bind mounts) hides where it lies.

#ifndef PERSIST_WORKFLOWS_ROOT_GUARD_H_
#define PERSIST_WORKFLOWS_ROOT_GUARD_H_

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace persist {

// The nearest directory at or above the current one that holds a .persist/
// directory: "." when it is the current directory, else its absolute path.
// nullopt when there is none (or the current directory cannot be read).
std::optional<std::string> FindSiteAbove();

// Whether `site_dir`/.persist exists: persist has opened the site for a
// change before. Until then a command that is refused must leave none.
bool HasSiteState(const std::string& site_dir);

// OK unless `site_dir` is, or lies inside, the releases/, shared/ or live
// release (what current points at) of another site, a directory above it
// that holds .persist/. Then exit 2 naming that site and how to work on it.
// `existing_ok`: let a site that is already there (with its .persist/, made
// by an older persist) through, so that recover and undo can still reverse
// its runs. OK as well when `site_dir` cannot be opened: opening the site
// then says why.
absl::Status CheckNotInsideAnotherSite(const std::string& site_dir, bool existing_ok);

// OK unless this process runs as root, `site_dir` exists and belongs to
// another user, and allow_root is false; then exit 2 naming the owner, the
// command to run as that user instead, and --allow-root.
absl::Status CheckRootOnSite(const std::string& site_dir, const std::string& command,
                             bool allow_root);

// Both checks, for every command that may create or change a site at
// `site_dir` (recover and undo may act on a site that already lies inside
// another one; see CheckNotInsideAnotherSite).
absl::Status CheckSiteForChange(const std::string& site_dir, const std::string& command,
                                bool allow_root);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_ROOT_GUARD_H_
