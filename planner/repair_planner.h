// Copyright persist authors.
//
// repair_planner: one run that repairs what persist verify finds and persist
// can fix: each problem that carries its repair (health.h Problem::repair:
// a link made again, a directory made, a mode changed), in the order verify
// found them, as one plan; the rest is named for the operator with its fix.
// A repair never writes over a file or a directory, which may hold data,
// but for the entries of a stub public_html (web_root.h), which persist
// makes itself; what it replaces of them waits in the run's stash.

#ifndef PERSIST_PLANNER_REPAIR_PLANNER_H_
#define PERSIST_PLANNER_REPAIR_PLANNER_H_

#include <vector>

#include "planner/health.h"
#include "proto/journal.pb.h"

namespace persist {

struct RepairPlan {
  Plan plan;                          // empty when nothing can be repaired
  std::vector<Problem> repaired;      // what the plan repairs
  std::vector<Problem> unrepairable;  // what it cannot: Problem::fix says what to do
};

// The plan that repairs `problems`. Two problems that change one path are
// one op: their chmods give the bits both ask for; a link or directory is
// made once.
RepairPlan PlanRepair(const std::vector<Problem>& problems);

}  // namespace persist

#endif  // PERSIST_PLANNER_REPAIR_PLANNER_H_
