// Copyright persist authors.

#include "base/error_kind.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"

namespace persist {
namespace {

constexpr char kKindPayload[] = "persist/error-kind";

constexpr std::pair<ErrorKind, const char*> kKindNames[] = {
    {ErrorKind::kFailed, "failed"},
    {ErrorKind::kUsage, "usage"},
    {ErrorKind::kNeedsRecovery, "needs-recovery"},
    {ErrorKind::kLocked, "locked"},
};

}  // namespace

absl::Status WithErrorKind(absl::Status status, ErrorKind kind) {
  if (status.ok()) return status;
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) status.SetPayload(kKindPayload, absl::Cord(name));
  }
  return status;
}

absl::Status UsageError(absl::string_view message) {
  return WithErrorKind(absl::InvalidArgumentError(message), ErrorKind::kUsage);
}

ErrorKind ErrorKindOf(const absl::Status& status) {
  auto payload = status.GetPayload(kKindPayload);
  if (payload.has_value()) {
    for (const auto& [kind, name] : kKindNames) {
      if (*payload == name) return kind;
    }
  }
  return absl::IsInvalidArgument(status) ? ErrorKind::kUsage : ErrorKind::kFailed;
}

}  // namespace persist
