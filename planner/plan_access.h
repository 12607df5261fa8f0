// Copyright persist authors.
//
// plan_access: whether the user running persist may make every change of a
// plan, asked of the kernel before anything is touched. A site partly owned
// by the web server's user (storage/ of www-data, a file only www-data may
// read) would otherwise fail halfway through the run and be undone; the
// operator learns it from the plan instead, with the command that fixes it.

#ifndef PERSIST_PLANNER_PLAN_ACCESS_H_
#define PERSIST_PLANNER_PLAN_ACCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "proto/journal.pb.h"

namespace persist {

struct AccessProblem {
  std::string path;  // relative to the site, where it is before the run
  uid_t owner = 0;
  std::string why;  // "a directory of www-data (uid 33), mode 0755, that ... cannot write: ..."
};

// The problems of `plan` on `site`, in the order the ops meet them, each
// path once. Each op is asked about where its paths are before the run: a
// path inside something an earlier op of the plan moved is followed back to
// where it is now; one inside something the plan creates is the running
// user's by then and is not asked about.
//  - A move, mkdir or symlink needs write and search permission on each
//    existing directory whose entries it changes, and a directory moved
//    into another one write permission on itself (its ".." changes).
//  - A chmod needs the path to be this user's (or root to run).
//  - A record op reads its release: each directory must be readable and
//    searchable, each file readable, what an earlier op moved out of it
//    aside.
// An error only when the tree cannot be read at all.
absl::StatusOr<std::vector<AccessProblem>> FindAccessProblems(const Root& site, const Plan& plan);

// The refusal (InvalidArgument) naming `problems` (non-empty; the first ten,
// and how many more), the user running persist, and both ways out: run
// `command` as root with --allow-root, which keeps every owner, or chown
// the paths to this user first.
absl::Status AccessRefusal(const Root& site, const std::vector<AccessProblem>& problems,
                           const std::string& command);

}  // namespace persist

#endif  // PERSIST_PLANNER_PLAN_ACCESS_H_
