// Copyright persist authors.

#include "workflows/repair.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/path.h"
#include "journal/store.h"
#include "planner/deploy_planner.h"
#include "workflows/deploy_flow.h"
#include "workflows/live_check.h"
#include "workflows/site_session.h"
#include "workflows/verify.h"

namespace persist {
namespace {

// Gives each file of the live release changed or missing since deploy
// (Problem::deployed_digest) the op that restores it from another release
// that holds it, at the same path, with that digest (by its manifest, then
// by reading the file itself: it may have been changed too). Newer
// releases are asked first. A file no release holds so is left unrepaired.
absl::Status FindDeployedCopies(SiteSession& session, std::vector<Problem>* problems) {
  absl::StatusOr<std::string> live = CurrentRelease(session.root());
  if (!live.ok()) return live.status();
  if (live->empty()) return absl::OkStatus();
  const std::string live_dir = JoinPath("releases", *live);
  // Relative to the release: the problems still without a copy.
  std::map<std::string, Problem*> wanted;
  for (Problem& problem : *problems) {
    if (problem.deployed_digest.empty() || !problem.repair.empty()) continue;
    if (!IsWithin(problem.path, live_dir) || problem.path == live_dir) continue;
    wanted[problem.path.substr(live_dir.size() + 1)] = &problem;
  }
  if (wanted.empty()) return absl::OkStatus();
  absl::StatusOr<DeployTimes> deployed_at = ReleaseDeployTimes(session.site());
  if (!deployed_at.ok()) return deployed_at.status();
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(session.root(), *deployed_at);
  if (!releases.ok()) return releases.status();
  for (auto release = releases->rbegin(); release != releases->rend() && !wanted.empty();
       ++release) {
    if (*release == *live) continue;
    const std::string dir = JoinPath("releases", *release);
    absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest =
        session.site().store().ReadManifest(dir);
    if (!manifest.ok()) continue;  // none recorded: nothing to trust there
    ManifestEntry entry;
    while ((*manifest)->reader().Next(&entry)) {
      auto found = wanted.find(entry.path());
      if (found == wanted.end() || entry.type() != REGULAR ||
          entry.digest() != found->second->deployed_digest) {
        continue;
      }
      const std::string from = JoinPath(dir, entry.path());
      absl::StatusOr<PathState> copy = session.root().Observe(from, /*with_digest=*/true);
      if (!copy.ok()) return copy.status();
      if (copy->type() != REGULAR || copy->digest() != entry.digest()) continue;
      Op restore;
      restore.mutable_copy()->set_from(from);
      restore.mutable_copy()->set_to(found->second->path);
      found->second->repair.push_back(restore);
      wanted.erase(found);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RepairResult> Repair(const RepairOptions& options, Reporter& reporter) {
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  VerifyOptions verify;
  verify.root_dir = (*session)->dir();
  absl::StatusOr<Health> before = VerifySite(verify);
  if (!before.ok()) return before.status();
  absl::Status found = FindDeployedCopies(**session, &before->problems);
  if (!found.ok()) return found;
  RepairResult result;
  result.planned = PlanRepair(before->problems);
  if (options.dry_run || result.planned.plan.op_size() == 0) {
    result.remaining = result.planned.unrepairable;
    return result;
  }
  RunOptions run_options;
  run_options.kind = "repair";
  absl::StatusOr<Run> run = (*session)->Execute(
      result.planned.plan, run_options,
      absl::StrCat("repair: ", result.planned.repaired.size(), " problem(s) fixed, ",
                   result.planned.unrepairable.size(), " left"));
  if (!run.ok()) return run.status();
  const auto& ops = result.planned.plan.op();
  if (std::any_of(ops.begin(), ops.end(), [](const Op& op) { return MovesCurrent(op); })) {
    absl::Status checked = CheckLiveRelease(**session, &*run, HealthOptions(), reporter);
    if (!checked.ok()) return checked;
  }
  result.run = *std::move(run);
  absl::StatusOr<Health> after = VerifySite(verify);
  if (!after.ok()) return after.status();
  result.remaining = after->problems;
  return result;
}

}  // namespace persist
