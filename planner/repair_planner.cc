// Copyright persist authors.

#include "planner/repair_planner.h"

#include <map>
#include <string>
#include <utility>

namespace persist {
namespace {

// The path an op of a repair changes, and what kind of change it is.
std::pair<std::string, int> Key(const Op& op) {
  switch (op.kind_case()) {
    case Op::kChmod:
      return {op.chmod().path(), Op::kChmod};
    case Op::kSymlink:
      return {op.symlink().path(), Op::kSymlink};
    case Op::kMkdir:
      return {op.mkdir().path(), Op::kMkdir};
    case Op::kCopy:
      return {op.copy().to(), Op::kCopy};
    default:
      return {op.DebugString(), op.kind_case()};
  }
}

}  // namespace

RepairPlan PlanRepair(const std::vector<Problem>& problems) {
  RepairPlan result;
  // Where each path's op is in the plan, to merge a second one into it.
  std::map<std::pair<std::string, int>, int> placed;
  for (const Problem& problem : problems) {
    if (problem.repair.empty()) {
      result.unrepairable.push_back(problem);
      continue;
    }
    result.repaired.push_back(problem);
    for (const Op& op : problem.repair) {
      const auto key = Key(op);
      auto at = placed.find(key);
      if (at == placed.end()) {
        placed.emplace(key, result.plan.op_size());
        *result.plan.add_op() = op;
      } else if (op.has_chmod()) {
        ChmodOp* chmod = result.plan.mutable_op(at->second)->mutable_chmod();
        chmod->set_mode(chmod->mode() | op.chmod().mode());
      }
    }
  }
  return result;
}

}  // namespace persist
