// Copyright persist authors.
//
// plan_file: reading a persist.Plan from a file in protobuf text format.

#ifndef PERSIST_WORKFLOWS_PLAN_FILE_H_
#define PERSIST_WORKFLOWS_PLAN_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"

namespace persist {

// Parses `text` as a Plan. A syntax error is InvalidArgument naming
// "<name>:<line>:<column>" (1-based) and what was wrong.
absl::StatusOr<Plan> ParsePlan(const std::string& text, const std::string& name);

// Reads and parses the plan file at `path`.
absl::StatusOr<Plan> ReadPlanFile(const std::string& path);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_PLAN_FILE_H_
