// Copyright persist authors.

#include "base/next_step.h"

#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace persist {
namespace {

// "STEP\0SITE\0RUN": paths may hold anything but NUL.
constexpr char kStepPayload[] = "persist/next-step";

}  // namespace

absl::Status WithNextStep(absl::Status status, NextStep step, const std::string& site_dir,
                          const std::string& run_id) {
  if (status.ok()) return status;
  std::string payload = absl::StrCat(static_cast<int>(step));
  payload.push_back('\0');
  payload += site_dir;
  payload.push_back('\0');
  payload += run_id;
  status.SetPayload(kStepPayload, absl::Cord(payload));
  return status;
}

NextStepOf::NextStepOf(const absl::Status& status) {
  auto payload = status.GetPayload(kStepPayload);
  if (!payload.has_value()) return;
  std::vector<std::string> parts = absl::StrSplit(std::string(*payload), absl::ByChar('\0'));
  int value = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &value) ||
      value < static_cast<int>(NextStep::kNone) || value > static_cast<int>(NextStep::kGiveABackup)) {
    return;
  }
  step = static_cast<NextStep>(value);
  site_dir = parts[1];
  run_id = parts[2];
}

}  // namespace persist
