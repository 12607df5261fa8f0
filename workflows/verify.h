// Copyright persist authors.
//
// verify: the whole health of a site, read only: its journal (readable, no
// run left half done), its profile, the blueprint's layout and the web
// user's access (planner/health.h), and the live release against the
// manifest recorded when it was deployed (tampering and drift).

#ifndef PERSIST_WORKFLOWS_VERIFY_H_
#define PERSIST_WORKFLOWS_VERIFY_H_

#include <string>

#include "absl/status/statusor.h"
#include "planner/health.h"

namespace persist {

struct VerifyOptions {
  std::string root_dir = ".";
  bool quick = false;  // compare size and mtime, not content digests
};

// The problems found are in the result; an error only when the site cannot
// be looked at (kUsage when it cannot be opened).
absl::StatusOr<Health> VerifySite(const VerifyOptions& options);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_VERIFY_H_
