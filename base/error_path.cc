// Copyright persist authors.

#include "base/error_path.h"

#include "absl/strings/cord.h"

namespace persist {
namespace {

constexpr char kPathPayload[] = "persist/path";

}  // namespace

absl::Status WithPath(absl::Status status, absl::string_view path) {
  if (!status.ok()) status.SetPayload(kPathPayload, absl::Cord(path));
  return status;
}

std::string StatusPath(const absl::Status& status) {
  auto payload = status.GetPayload(kPathPayload);
  return payload.has_value() ? std::string(*payload) : std::string();
}

}  // namespace persist
