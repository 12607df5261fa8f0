// Copyright persist authors.
//
// time_id: ids that sort by the time they were made.
//
// Run ids and release ids are the UTC second they were made in,
// 20261128T101500Z, so that a listing of .persist/stash/ or releases/ reads
// in order, and a second id made in the same second gets a suffix: -2, -3 ...
// (planner's ReleaseIdLess orders the suffixes numerically).

#ifndef PERSIST_BASE_TIME_ID_H_
#define PERSIST_BASE_TIME_ID_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace persist {

// `time` to the second, in UTC: "%Y%m%dT%H%M%SZ", e.g. 20261128T101500Z.
std::string TimeId(absl::Time time);

// Whether an id is taken already, or why that cannot be told.
using IdTaken = std::function<absl::StatusOr<bool>(const std::string& id)>;

// The first of TimeId(now), then TimeId(now) + "-2", "-3" ..., that `taken`
// says is free. An error from `taken` is returned as it is.
absl::StatusOr<std::string> NewTimeId(absl::Time now, const IdTaken& taken);

}  // namespace persist

#endif  // PERSIST_BASE_TIME_ID_H_
