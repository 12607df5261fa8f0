// Copyright persist authors.

#include "workflows/deploy_flow.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/error_kind.h"
#include "base/error_path.h"
#include "fsops/path.h"
#include "journal/run_info.h"
#include "planner/classifier.h"
#include "planner/profile.h"

namespace persist {

namespace {

// A committed run that made a release: a deploy (capture included), or the
// adoption of an app installed in place.
bool MadeRelease(const Run& run) {
  return (run.kind() == "deploy" || run.kind() == "adopt") && run.state() == RUN_COMMITTED;
}

// "release v1", or "no release" for "".
std::string ReleaseInWords(const std::string& release) {
  return release.empty() ? "no release" : absl::StrCat("release ", PrintablePath(release));
}

}  // namespace

absl::Status ExpectCurrent(const Root& root, const std::optional<std::string>& expected,
                           const std::string& command) {
  if (!expected.has_value()) return absl::OkStatus();
  absl::StatusOr<std::string> live = CurrentRelease(root);
  if (!live.ok()) return live.status();
  if (*live == *expected) return absl::OkStatus();
  return WithPath(UsageError(absl::StrCat(
                      "current of ", PrintablePath(root.dir()), " points at ",
                      ReleaseInWords(*live), ", not at ", ReleaseInWords(*expected),
                      " as --expect-current says: the site is not where the caller saw it; nothing "
                      "changed. See who with `persist log --root ",
                      PrintablePath(root.dir()), "`, then run persist ", command,
                      " again with --expect-current ", live->empty() ? "''" : PrintablePath(*live),
                      " if that is still wanted")),
                  "current");
}

DeployTimes DeployTimesOf(const std::vector<Run>& runs) {
  DeployTimes times;
  for (const Run& run : runs) {
    if (!MadeRelease(run) || run.release().empty()) continue;
    int64_t& at = times[run.release()];
    at = std::max(at, run.start_ns());
  }
  return times;
}

absl::StatusOr<DeployTimes> ReleaseDeployTimes(const Site& site) {
  absl::StatusOr<std::vector<Run>> runs = site.store().ListRuns();
  if (!runs.ok()) return runs.status();
  return DeployTimesOf(*runs);
}

RunOptions DeployRunOptions(const Site& site, const DeployPlan& planned) {
  RunOptions options;
  options.kind = "deploy";
  options.release = planned.release_id;
  const int last = planned.plan.op_size();
  options.before_op = [&site, &planned, last](int index, Run*) -> absl::Status {
    if (index != last) return absl::OkStatus();
    return planned.outcomes.Check(site.root());
  };
  return options;
}

namespace {

// The plan, from the site's tree and `runs`, its journal's runs.
absl::StatusOr<DeployPlan> PlanOn(const Root& root, const std::vector<Run>& runs,
                                  DeployRequest request, std::optional<int> keep) {
  absl::StatusOr<Profile> profile = LoadSiteProfile(root);
  if (!profile.ok()) return WithErrorKind(profile.status(), ErrorKind::kUsage);
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(*profile);
  if (!rules.ok()) return WithErrorKind(rules.status(), ErrorKind::kUsage);
  request.keep = keep.has_value() ? *keep : KeepReleases(*profile);
  absl::StatusOr<WebRootMode> web_root = WebRootModeOf(*profile);
  if (!web_root.ok()) return WithErrorKind(web_root.status(), ErrorKind::kUsage);
  request.web_root = *web_root;

  for (const Run& run : runs) {
    if (MadeRelease(run)) request.has_deployed_before = true;
  }
  request.deployed_at = DeployTimesOf(runs);
  if (request.release_id.empty()) {
    absl::StatusOr<std::string> id = NewReleaseId(root);
    if (!id.ok()) return id.status();
    request.release_id = *id;
  }
  absl::StatusOr<DeployPlan> planned = PlanDeploy(root, Classifier(*rules), request);
  if (!planned.ok()) return WithErrorKind(planned.status(), ErrorKind::kUsage);
  planned->before_switch.assign(profile->before_switch().begin(), profile->before_switch().end());
  planned->after_switch.assign(profile->after_switch().begin(), profile->after_switch().end());
  planned->hook_timeout = HookTimeout(*profile);
  return planned;
}

}  // namespace

absl::StatusOr<DeployPlan> PlanSiteDeploy(Site& site, DeployRequest request,
                                          std::optional<int> keep) {
  absl::StatusOr<std::vector<Run>> runs = site.store().ListRuns();
  if (!runs.ok()) return runs.status();
  return PlanOn(site.root(), *runs, std::move(request), keep);
}

absl::StatusOr<DeployPlan> PlanNewSiteDeploy(const Root& root, DeployRequest request,
                                             std::optional<int> keep) {
  return PlanOn(root, {}, std::move(request), keep);
}

}  // namespace persist
