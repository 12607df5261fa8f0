// Copyright persist authors.

#include "workflows/repair.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/stash_layout.h"
#include "journal/store.h"
#include "planner/deploy_planner.h"
#include "planner/shared_links.h"
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

// How health.h says a directory of shared/ that is gone will be repaired.
constexpr char kMadeAgainEmpty[] =
    "(repair makes it again, empty, or copies it back from the newest stash of a run that set it "
    "aside)";

// Whether `problem` is a directory of shared/ gone, which its repair makes
// again empty (health.h): its ops are mkdirs, the last of its own path.
bool IsMissingSharedDir(const Problem& problem) {
  if (!IsWithin(problem.path, "shared") || problem.repair.empty()) return false;
  for (const Op& op : problem.repair) {
    if (!op.has_mkdir()) return false;
  }
  return problem.repair.back().mkdir().path() == problem.path;
}

// Gives each directory of shared/ that is gone, where a run still holds it
// in its stash (that run displaced it, or a directory above it: a restore
// swaps shared/ whole), a copy from the newest such stash in place of the
// empty directory. The stash stays as it is, for that run's undo.
absl::Status FindStashedData(SiteSession& session, std::vector<Problem>* problems) {
  std::vector<Problem*> wanted;
  for (Problem& problem : *problems) {
    if (IsMissingSharedDir(problem)) wanted.push_back(&problem);
  }
  if (wanted.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<Run>> runs = session.site().store().ListRuns();
  if (!runs.ok()) return runs.status();
  for (auto run = runs->rbegin(); run != runs->rend() && !wanted.empty(); ++run) {
    if (run->stash_purged() || run->state() == RUN_UNDONE) continue;
    absl::StatusOr<std::vector<OpRecord>> records = session.site().store().GetOps(run->id());
    if (!records.ok()) return records.status();
    for (auto record = records->rbegin(); record != records->rend() && !wanted.empty(); ++record) {
      const std::vector<std::string> paths = OpPaths(record->op());
      if (paths.empty()) continue;
      const std::string& displaced = paths.back();
      for (auto want = wanted.begin(); want != wanted.end();) {
        Problem& problem = **want;
        if (!IsWithin(problem.path, displaced)) {
          ++want;
          continue;
        }
        const std::string slot = StashSlot(run->id(), record->index(), kOldSlot);
        const std::string held = problem.path == displaced
                                     ? slot
                                     : JoinPath(slot, problem.path.substr(displaced.size() + 1));
        absl::StatusOr<PathState> state = session.root().Observe(held, false);
        if (!state.ok() || state->type() != DIRECTORY) {
          ++want;
          continue;
        }
        problem.repair.back() = CopyOf(held, problem.path);
        problem.what = absl::StrReplaceAll(
            problem.what, {{kMadeAgainEmpty, absl::StrCat("(repair copies it back from the stash "
                                                          "of run ",
                                                          run->id(), ", which set it aside)")}});
        want = wanted.erase(want);
      }
    }
  }
  return absl::OkStatus();
}

// What a repair would leave for the operator, as far as a dry run can tell:
// its unrepairable problems, but those at a path one of its ops makes again
// (a link of the live release gone is also a file missing since deploy, by
// the manifest; making the link repairs both).
std::vector<Problem> LeftAfter(const RepairPlan& planned) {
  std::set<std::string> made;
  for (const Op& op : planned.plan.op()) {
    const std::vector<std::string> paths = OpPaths(op);
    if (!paths.empty()) made.insert(paths.back());
  }
  std::vector<Problem> left;
  for (const Problem& problem : planned.unrepairable) {
    if (made.count(problem.path) == 0) left.push_back(problem);
  }
  return left;
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
  if (found.ok()) found = FindStashedData(**session, &before->problems);
  if (!found.ok()) return found;
  RepairResult result;
  result.planned = PlanRepair(before->problems);
  if (options.dry_run || result.planned.plan.op_size() == 0) {
    result.remaining = LeftAfter(result.planned);
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
