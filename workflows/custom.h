// Copyright persist authors.
//
// custom add: a path pattern made persistent for every deploy (appended to
// the profile, keeping the operator's comments and layout) and, in the live
// release if there is one, moved into shared/ and linked now, as one run.

#ifndef PERSIST_WORKFLOWS_CUSTOM_H_
#define PERSIST_WORKFLOWS_CUSTOM_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"
#include "workflows/site_request.h"

namespace persist {

struct CustomOptions {
  SiteRequest site;
  std::string pattern;
};

struct CustomResult {
  std::string live_release;  // "" when there is none
  std::vector<std::string> notes;
  std::optional<Run> run;    // none when the pattern was persistent already
};

// kUsage for a profile or pattern that does not parse, or a plan refused.
absl::StatusOr<CustomResult> AddCustom(const CustomOptions& options);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_CUSTOM_H_
