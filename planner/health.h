// Copyright persist authors.
//
// health: what `persist verify` checks in a site's tree, each problem with
// the path, what is wrong, and the command that fixes it.
//
//  - current is a symlink to a directory under releases/;
//  - every persistent path kept in shared/ is linked from the live release,
//    by a symlink that resolves, without leaving the site, to it;
//  - public_html, when present, leads to current/public;
//  - shared/.env exists and is not world-readable;
//  - shared/storage and shared/bootstrap/cache are writable directories.
// Reads only.

#ifndef PERSIST_PLANNER_HEALTH_H_
#define PERSIST_PLANNER_HEALTH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "planner/classifier.h"

namespace persist {

struct Problem {
  std::string path;
  std::string what;
  std::string fix;
};

struct Health {
  std::vector<std::string> ok;  // what was checked and found right
  std::vector<Problem> problems;
};

// Checks the site at `site`. An error only when the tree cannot be read.
absl::StatusOr<Health> CheckSiteHealth(const Root& site, const Classifier& classifier);

}  // namespace persist

#endif  // PERSIST_PLANNER_HEALTH_H_
