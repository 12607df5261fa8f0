// Copyright persist authors.

#include "workflows/switch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "planner/deploy_planner.h"
#include "planner/web_root.h"
#include "workflows/deploy_flow.h"
#include "workflows/site_session.h"

namespace persist {
namespace {

constexpr char kShowReleases[] = "persist log and ls releases/ show the releases";

// OK when `release` is a release id and releases/`release` a directory.
absl::Status ExpectRelease(const Root& root, const std::string& release) {
  absl::Status valid = ValidateId(release, "release id");
  if (!valid.ok()) {
    return UsageError(absl::StrCat("there is no release \"", PrintablePath(release), "\" (",
                                   valid.message(), "); ", kShowReleases));
  }
  const std::string path = JoinPath("releases", release);
  absl::StatusOr<PathState> target = root.Observe(path, false);
  if (!target.ok()) return target.status();
  if (target->type() == DIRECTORY) return absl::OkStatus();
  return WithPath(
      UsageError(absl::StrCat("there is no release ", PrintablePath(release), " under ",
                              PrintablePath(root.dir()), "/releases/; ", kShowReleases)),
      path);
}

// On a site persist has not opened yet, ExpectRelease and ExpectCurrent
// before anything is created: a refused switch leaves no .persist/.
absl::Status ExpectOnNewSite(const SiteRequest& site, const std::string& release,
                             const std::optional<std::string>& expect_current) {
  absl::StatusOr<std::unique_ptr<Root>> tree = SiteSession::TreeOfNewSite(site);
  if (!tree.ok()) return tree.status();
  if (*tree == nullptr) return absl::OkStatus();
  absl::Status exists = release.empty() ? absl::OkStatus() : ExpectRelease(**tree, release);
  return exists.ok() ? ExpectCurrent(**tree, expect_current, site.command) : exists;
}

// With the profile's web_root "stub", adds to `plan` what makes public_html
// forward to `release` once current points at it, `live` being the release
// it points at now.
absl::Status PlanWebRootSwitch(const Root& root, const std::string& release,
                               const std::string& live, Plan* plan,
                               std::vector<std::string>* notes) {
  absl::StatusOr<Profile> profile = LoadSiteProfile(root);
  if (!profile.ok()) return WithErrorKind(profile.status(), ErrorKind::kUsage);
  absl::StatusOr<WebRootMode> mode = WebRootModeOf(*profile);
  if (!mode.ok()) return WithErrorKind(mode.status(), ErrorKind::kUsage);
  if (!mode->stub) return absl::OkStatus();
  StubChange change;
  change.release_dir = JoinPath("releases", release);
  absl::StatusOr<std::vector<PublicEntry>> entries = PublicEntriesOnDisk(root, change.release_dir);
  if (!entries.ok()) return entries.status();
  change.entries = *std::move(entries);
  change.replaced_dir = live.empty() ? "" : JoinPath("releases", live);
  change.copy_assets = mode->copy_assets;
  Outcomes outcomes;
  return PlanStubWebRoot(root, change, plan, &outcomes, notes);
}

// Points current at `release` as one run of `kind`, then checks that the
// site serves it.
absl::StatusOr<SwitchResult> PointCurrentAt(SiteSession& session, const std::string& release,
                                            const std::string& kind, const SwitchOptions& switching,
                                            Reporter& reporter) {
  absl::Status exists = ExpectRelease(session.root(), release);
  if (!exists.ok()) return exists;
  // Under the site lock: no other run can move current between this check
  // and the switch.
  absl::Status expected = ExpectCurrent(session.root(), switching.expect_current, kind);
  if (!expected.ok()) return expected;
  absl::Status checkable = ValidateLiveChecks(session.root(), switching.health);
  if (!checkable.ok()) return checkable;
  absl::StatusOr<std::string> live = CurrentRelease(session.root());
  if (!live.ok()) return live.status();
  SwitchResult result;
  result.release = release;
  if (*live == release) return result;
  Plan plan;
  Op* link = plan.add_op();
  link->mutable_symlink()->set_target(JoinPath("releases", release));
  link->mutable_symlink()->set_path("current");
  absl::Status web_root = PlanWebRootSwitch(session.root(), release, *live, &plan, &result.notes);
  if (!web_root.ok()) return web_root;
  RunOptions options;
  options.kind = kind;
  options.release = release;
  absl::StatusOr<Run> run = session.Execute(
      plan, options,
      absl::StrCat(kind, " to ", release, " from ", live->empty() ? "nothing" : *live));
  if (!run.ok()) return run.status();
  absl::Status checked = CheckLiveRelease(session, &*run, switching.health, reporter);
  if (!checked.ok()) return checked;
  result.run = *std::move(run);
  return result;
}

// The release deployed before the live one, by the journal's records.
absl::StatusOr<std::string> ReleaseBeforeLive(SiteSession& session) {
  absl::StatusOr<DeployTimes> deployed_at = ReleaseDeployTimes(session.site());
  if (!deployed_at.ok()) return deployed_at.status();
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(session.root(), *deployed_at);
  if (!releases.ok()) return releases.status();
  absl::StatusOr<std::string> live = CurrentRelease(session.root());
  if (!live.ok()) return live.status();
  auto at = std::find(releases->begin(), releases->end(), *live);
  if (at != releases->end() && at != releases->begin()) return *(at - 1);
  return WithErrorKind(absl::FailedPreconditionError(absl::StrCat(
                           "there is no release older than the live one (",
                           live->empty() ? "none" : *live, ") to roll back to; name one with --to")),
                       ErrorKind::kUsage);
}

}  // namespace

absl::StatusOr<SwitchResult> Switch(const SwitchOptions& options, Reporter& reporter) {
  absl::Status status = ExpectOnNewSite(options.site, options.release, options.expect_current);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  return PointCurrentAt(**session, options.release, "switch", options, reporter);
}

absl::StatusOr<SwitchResult> Rollback(const SwitchOptions& options, Reporter& reporter) {
  absl::Status status = ExpectOnNewSite(options.site, options.release, options.expect_current);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  std::string target = options.release;
  if (target.empty()) {
    absl::StatusOr<std::string> before = ReleaseBeforeLive(**session);
    if (!before.ok()) return before.status();
    target = *before;
  }
  return PointCurrentAt(**session, target, "rollback", options, reporter);
}

}  // namespace persist
