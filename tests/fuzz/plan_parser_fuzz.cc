// Copyright persist authors.
//
// Fuzzes what `persist exec PLAN` does with a plan file before it touches
// the site: ParsePlan (protobuf text format), ValidateOp and DescribeOp for
// every op, then the dry run that records each op's intent: the predicted
// state of each path, CheckFeasible, and the predictor's Apply, over a
// small fixed site in a temporary directory that is only read.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "workflows/plan_file.h"
#include "fsops/env.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/root.h"
#include "journal/state_predictor.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_site.h"

namespace persist {
namespace {

void CheckValidOp(const Op& op) {
  const std::vector<std::string> paths = OpPaths(op);
  FUZZ_CHECK(!paths.empty());
  for (const std::string& path : paths) {
    FUZZ_CHECK(ValidateRelativePath(path).ok());
    FUZZ_CHECK(!IsWithin(path, kStateDir));
  }
  if (op.has_import()) FUZZ_CHECK(op.import().from().front() == '/');
  if (op.has_unpack()) FUZZ_CHECK(op.unpack().archive().front() == '/');
}

void Fuzz(const std::string& text) {
  absl::StatusOr<Plan> plan = ParsePlan(text, "fuzz.plan");
  if (!plan.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(plan.status()));
    return;
  }
  FUZZ_CHECK(plan->op_size() > 0);
  StatePredictor predictor(&FuzzSite());
  bool feasible_so_far = true;
  for (const Op& op : plan->op()) {
    const std::string described = DescribeOp(op);
    FUZZ_CHECK(!described.empty());
    absl::Status valid = ValidateOp(op);
    if (!valid.ok()) {
      FUZZ_CHECK(absl::IsInvalidArgument(valid));
      return;  // exec stops at the first invalid op
    }
    CheckValidOp(op);
    // An import's source and an unpack's archive lie outside the site:
    // observing them would read the fuzzing machine's own files.
    if (!feasible_so_far || !StagedRelease(op).empty()) continue;
    std::vector<PathState> before;
    for (const std::string& path : OpPaths(op)) {
      absl::StatusOr<PathState> state = predictor.Predict(path);
      if (!state.ok()) {
        feasible_so_far = false;
        break;
      }
      before.push_back(*state);
    }
    if (!feasible_so_far) continue;
    if (!CheckFeasible(op, before).ok()) {
      feasible_so_far = false;
      continue;
    }
    if (!predictor.Apply(op).ok()) feasible_so_far = false;
  }
}

}  // namespace
}  // namespace persist

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  persist::Fuzz(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
