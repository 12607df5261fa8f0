// Copyright persist authors.

#include "journal/exit_code.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace persist {
namespace {
constexpr char kExitPayload[] = "persist/exit";
}  // namespace

absl::Status WithExitCode(absl::Status status, ExitCode code) {
  if (!status.ok()) status.SetPayload(kExitPayload, absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

ExitCode ExitCodeOf(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  auto payload = status.GetPayload(kExitPayload);
  int code = 0;
  if (payload.has_value() && absl::SimpleAtoi(std::string(*payload), &code)) {
    return static_cast<ExitCode>(code);
  }
  if (absl::IsInvalidArgument(status)) return kExitUsage;
  return kExitFailed;
}

}  // namespace persist
