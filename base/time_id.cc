// Copyright persist authors.

#include "base/time_id.h"

#include "absl/strings/str_cat.h"

namespace persist {

std::string TimeId(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<std::string> NewTimeId(absl::Time now, const IdTaken& taken) {
  const std::string base = TimeId(now);
  for (int n = 1;; ++n) {
    std::string id = n == 1 ? base : absl::StrCat(base, "-", n);
    absl::StatusOr<bool> is_taken = taken(id);
    if (!is_taken.ok()) return is_taken.status();
    if (!*is_taken) return id;
  }
}

}  // namespace persist
