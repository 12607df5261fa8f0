// Copyright persist authors.

#include "workflows/plan_file.h"

#include <errno.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "base/error_kind.h"
#include "proto/text_format.h"

namespace persist {

absl::StatusOr<Plan> ParsePlan(const std::string& text, const std::string& name) {
  Plan plan;
  absl::Status parsed = ParseTextProto(
      text, name, "fix the plan file (one `op { KIND { ... } }` per change, see README.md) and run again",
      &plan);
  if (!parsed.ok()) return parsed;
  if (plan.op_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": the plan has no op; add at least one `op { ... }`"));
  }
  return plan;
}

absl::StatusOr<Plan> ReadPlanFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return WithErrorKind(Annotate(ErrnoStatus(errno, "read plan file", path),
                                 "give the path of an existing plan file"),
                        ErrorKind::kUsage);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ErrnoStatus(errno, "read plan file", path);
  return ParsePlan(text.str(), path);
}

}  // namespace persist
