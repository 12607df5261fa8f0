// Copyright persist authors.
//
// Root on someone else's site: a deploy run by root by habit (sudo) on a
// site that belongs to the web server's user is refused unless the operator
// says it is meant (--allow-root). What persist creates as root takes the
// owner of its parent directory either way (fsops/ops.cc).

#ifndef PERSIST_CLI_ROOT_GUARD_H_
#define PERSIST_CLI_ROOT_GUARD_H_

#include <string>

#include "absl/status/status.h"

namespace persist {

// OK unless this process runs as root, `site_dir` exists and belongs to
// another user, and allow_root is false; then exit 2 naming the owner, the
// command to run as that user instead, and --allow-root.
absl::Status CheckRootOnSite(const std::string& site_dir, const std::string& command,
                             bool allow_root);

}  // namespace persist

#endif  // PERSIST_CLI_ROOT_GUARD_H_
