// Copyright persist authors.
//
// outcome: what a plan's ops must have left in the tree when its run ends.
//
// Each op checks the tree before it acts (ops.h CheckPreconditions), but a
// rename moves whatever is at a name when it runs: a directory swapped for a
// symlink between that check and the rename (by another process writing to
// the site, or to the uploaded release) would be moved into shared/ as it
// is, and the release linked to it would lead wherever the symlink leads.
// Planners record, for each path their ops place, the type (and, for a
// link, the target) it must end with; the run checks them all just before it
// commits (RunOptions::before_op), and fails, and so is undone, when one
// differs.

#ifndef PERSIST_PLANNER_OUTCOME_H_
#define PERSIST_PLANNER_OUTCOME_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "fsops/root.h"
#include "proto/journal.pb.h"

namespace persist {

class Outcomes {
 public:
  // `path` (relative to the root) ends the run as a `type`; a SYMLINK with
  // `link_target`. A later expectation for the same path replaces this one:
  // what counts is what the last op there leaves.
  void Expect(const std::string& path, FileType type, const std::string& link_target = "");

  // OK when the tree holds every expected type and target. Otherwise
  // FailedPrecondition naming the first path that differs, what it is and
  // what it should be. A path that cannot be reached beneath the root
  // without following a symlink is an error too.
  absl::Status Check(const Root& site) const;

  size_t size() const { return by_path_.size(); }

 private:
  struct Outcome {
    FileType type;
    std::string link_target;
  };
  std::map<std::string, Outcome> by_path_;
};

}  // namespace persist

#endif  // PERSIST_PLANNER_OUTCOME_H_
