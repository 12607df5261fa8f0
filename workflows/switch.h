// Copyright persist authors.
//
// switch and rollback: current pointed at another release as one run. A
// rollback goes to the release deployed before the live one, by the
// journal's deploy records (not by release names, which operators choose).

#ifndef PERSIST_WORKFLOWS_SWITCH_H_
#define PERSIST_WORKFLOWS_SWITCH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"
#include "workflows/live_check.h"
#include "workflows/reporter.h"
#include "workflows/site_request.h"

namespace persist {

struct SwitchOptions {
  SiteRequest site;
  // The release to make live; for a rollback, "" for the one deployed
  // before the live one.
  std::string release;
  // When set, the release current must point at when the site is locked
  // ("" for no current at all): a controller's view of the site, so that
  // two controllers cannot interleave their switches.
  std::optional<std::string> expect_current;
  HealthOptions health;  // after the switch (live_check.h)
};

struct SwitchResult {
  std::string release;     // the release current points at now
  std::optional<Run> run;  // none when current pointed there already
  std::vector<std::string> notes;  // for the operator: what the web root keeps
};

// kUsage when the release is not a release of the site (nothing created on
// a site persist has not opened), when current is not at
// `expect_current` (nothing changed), or, for a rollback, when there is none
// older than the live one; kFailed when a reload or health check after the
// switch failed, and the switch was undone (live_check.h).
absl::StatusOr<SwitchResult> Switch(const SwitchOptions& options, Reporter& reporter);
absl::StatusOr<SwitchResult> Rollback(const SwitchOptions& options, Reporter& reporter);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_SWITCH_H_
