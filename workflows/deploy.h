// Copyright persist authors.
//
// deploy: a release directory made live on a site, as one journaled run.
//
// On a site persist has not opened yet, the deploy is first planned on its
// tree read only, so that a refusal or a dry run leaves no .persist/; then
// (or at once on a known site) it is planned again under the site lock from
// the journal's records (first or subsequent, release order), the profile's
// before-switch hooks run in the new release just before current moves
// (one that fails undoes the run), the run commits only if every path it
// placed is still as placed, and the after-switch hooks run on the live
// release (one that fails leaves the deploy in place, for persist undo).

#ifndef PERSIST_WORKFLOWS_DEPLOY_H_
#define PERSIST_WORKFLOWS_DEPLOY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/copy_tree.h"
#include "planner/deploy_planner.h"
#include "proto/journal.pb.h"
#include "workflows/live_check.h"
#include "workflows/reporter.h"
#include "workflows/site_request.h"

namespace persist {

struct DeployOptions {
  SiteRequest site;
  // What to deploy and how. `release.source` may be relative; the journal's
  // facts (has_deployed_before, deployed_at) and `keep` are filled in here.
  DeployRequest release;
  bool release_id_given = false;  // release.release_id was given: check it
  std::optional<int> keep;        // else the profile's
  bool record_manifest = true;
  bool dry_run = false;           // plan and report; change nothing
  HealthOptions health;           // after the switch (live_check.h)
  // When set, the release current must point at when the site is locked
  // ("" for no current), as for switch: a fleet's controller stages only on
  // a host that is where it saw it, so that its staging never lands on top
  // of another controller's switch, which could then not be undone.
  std::optional<std::string> expect_current;
};

struct DeployResult {
  DeployPlan planned;      // planned.source: the app's directory, absolute
  std::optional<Run> run;  // the committed run; none on a dry run
  CopyStats copied;        // how the release's files were made
  // A failing after-switch hook: the release is live all the same.
  absl::Status after_switch;
};

// A site directory that does not exist is created when its parent exists
// (site_dir.h), and the result's notes say so; a deploy refused before it
// wrote anything removes it again. Not for a capture, which needs a site.
// Errors: kUsage for bad input or a refused plan, or current not at
// `expect_current`, with nothing touched;
// kFailed when the run failed and was undone (a failing before-switch hook,
// a failing reload or health check after the switch among the causes); see
// SiteSession::Open for the rest. After-switch hooks run only once the
// health check passed.
absl::StatusOr<DeployResult> Deploy(DeployOptions options, Reporter& reporter);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_DEPLOY_H_
