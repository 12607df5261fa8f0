// Copyright persist authors.
//
// deploy_flow: everything a deploy decides before it runs, from the site's
// journal and profile: first or subsequent, how many releases to keep, the
// release id, and the plan.

#ifndef PERSIST_WORKFLOWS_DEPLOY_FLOW_H_
#define PERSIST_WORKFLOWS_DEPLOY_FLOW_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "planner/deploy_planner.h"

namespace persist {

// Plans the deploy of `request.source` on `site`. Fills in what `request`
// leaves open: has_deployed_before (from the journal), keep (the profile's,
// unless `keep` is given) and release_id. Exit code 2 for bad
// input, with nothing touched.
absl::StatusOr<DeployPlan> PlanSiteDeploy(Site& site, DeployRequest request,
                                          std::optional<int> keep);

// The same for a site that has no journal yet, from `root` opened only to
// read: the plan of a first deploy there, made before the site's .persist/
// is created, so that a deploy refused leaves nothing behind.
absl::StatusOr<DeployPlan> PlanNewSiteDeploy(const Root& root, DeployRequest request,
                                             std::optional<int> keep);

// The options of a deploy's run: its kind and release, and, just before it
// commits, the check that every path the plan placed is what it placed
// (DeployPlan::outcomes): a path swapped while the run was under way fails
// the run, which is then undone. `site` and `planned` must outlive the run.
RunOptions DeployRunOptions(const Site& site, const DeployPlan& planned);

// OK when `expected` is unset or names the release current points at ("" for
// no current): the caller's view of the site (--expect-current), checked
// under the site lock so that no other run can move current between this
// check and the run. Else kUsage naming the site, where current points and
// the command (`command`: deploy, switch, rollback) to run again.
absl::Status ExpectCurrent(const Root& root, const std::optional<std::string>& expected,
                           const std::string& command);

// When each release was deployed, by the journal's committed deploy runs.
absl::StatusOr<DeployTimes> ReleaseDeployTimes(const Site& site);

// The same from `runs`, a journal's runs the caller has read already.
DeployTimes DeployTimesOf(const std::vector<Run>& runs);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_DEPLOY_FLOW_H_
