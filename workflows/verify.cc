// Copyright persist authors.

#include "workflows/verify.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/root.h"
#include "journal/site.h"
#include "planner/audit.h"
#include "planner/classifier.h"
#include "planner/deploy_planner.h"
#include "planner/profile.h"
#include "workflows/deploy_flow.h"
#include "workflows/web_user.h"

namespace persist {
namespace {

// The journal, opened for reading (`site`): readable, and no run left half
// done. A data.mdb that is gone where the site shows there was one is
// reported as a problem like any other damage.
void CheckJournal(const absl::StatusOr<std::unique_ptr<Site>>& site, const std::string& root_dir,
                  Health* health) {
  absl::StatusOr<std::optional<Run>> interrupted =
      site.ok() ? (*site)->FindInterrupted() : absl::StatusOr<std::optional<Run>>(site.status());
  if (!interrupted.ok()) {
    health->problems.push_back(Problem{".persist/journal", std::string(interrupted.status().message()),
                                       "move the journal aside and inspect the site; runs in it "
                                       "can no longer be undone"});
  } else if (interrupted->has_value() && (*site)->LockIsHeld()) {
    health->problems.push_back(Problem{".persist/journal",
                                       absl::StrCat("run ", (*interrupted)->id(), " is under way right now"),
                                       "run persist verify when it ends"});
  } else if (interrupted->has_value()) {
    health->problems.push_back(Problem{
        ".persist/journal",
        absl::StrCat("run ", (*interrupted)->id(), " (", (*interrupted)->kind(),
                     ") was interrupted and left the site half changed"),
        "persist recover --root " + root_dir});
  } else {
    health->ok.push_back("journal readable, no interrupted run");
  }
}

// The profile's rules (the blueprint's when the profile is broken, which is
// a problem), the web user (the site owner's when it is unknown) and the
// web root's mode (link when it is unknown).
absl::StatusOr<std::vector<Rule>> CheckProfile(const Root& root, const std::string& root_dir,
                                               WebUser* web_user, WebRootMode* web_root,
                                               Health* health) {
  absl::StatusOr<Profile> profile = LoadSiteProfile(root);
  absl::StatusOr<std::vector<Rule>> rules =
      profile.ok() ? RulesOf(*profile) : absl::StatusOr<std::vector<Rule>>(profile.status());
  if (!rules.ok()) {
    health->problems.push_back(Problem{kProfilePath, std::string(rules.status().message()),
                                       "fix the profile; until then the blueprint's defaults apply"});
    rules = BlueprintRules();
  }
  absl::StatusOr<WebUser> user = ResolveWebUser(profile.ok() ? profile->web_user() : "", root_dir);
  if (!user.ok() && profile.ok() && !profile->web_user().empty()) {
    health->problems.push_back(Problem{kProfilePath, std::string(user.status().message()),
                                       "fix web_user; until then the site's owner is checked"});
    user = ResolveWebUser("", root_dir);
  }
  if (!user.ok()) return user.status();
  *web_user = *user;
  absl::StatusOr<WebRootMode> mode = profile.ok() ? WebRootModeOf(*profile) : WebRootMode();
  if (!mode.ok()) {
    health->problems.push_back(
        Problem{kProfilePath, std::string(mode.status().message()),
                "fix web_root; until then public_html is checked as a link"});
    mode = WebRootMode();
  }
  *web_root = *mode;
  return rules;
}

// The newest release (in deploy order) whose manifest the journal holds,
// that is, one a deploy or an adoption completed; "" when there is none.
absl::StatusOr<std::string> NewestRecordedRelease(const Root& root, const Site& site) {
  absl::StatusOr<DeployTimes> deployed_at = ReleaseDeployTimes(site);
  if (!deployed_at.ok()) return deployed_at.status();
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(root, *deployed_at);
  if (!releases.ok()) return releases.status();
  for (auto release = releases->rbegin(); release != releases->rend(); ++release) {
    if (site.store().ReadManifest(JoinPath("releases", *release)).ok()) return *release;
  }
  return std::string();
}

// The live release against its manifest: tampering and drift; a live
// release no deploy completed, when others were.
// `site` is the journal as CheckJournal had it, if there is one.
absl::Status CheckLiveRelease(const Root& root, const absl::StatusOr<std::unique_ptr<Site>>& site,
                              bool quick, Health* health) {
  absl::StatusOr<PathState> journal = root.Observe(".persist/journal/data.mdb", false);
  if (!journal.ok()) return journal.status();
  absl::StatusOr<std::string> live = CurrentRelease(root);
  if (!live.ok() || live->empty() || journal->type() == ABSENT) return absl::OkStatus();
  const std::string release = JoinPath("releases", *live);
  absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest =
      site.ok() ? (*site)->store().ReadManifest(release)
                : absl::StatusOr<std::unique_ptr<Store::ManifestView>>(site.status());
  absl::StatusOr<ReleaseCheck> check =
      manifest.ok() ? CheckRelease(root, release, (*manifest)->reader(), quick)
                    : absl::StatusOr<ReleaseCheck>(manifest.status());
  // Damage found in the record, when opening it or entry by entry.
  const absl::Status damage = !manifest.ok() ? manifest.status() : (*manifest)->reader().status();
  if (check.ok()) {
    health->ok.push_back(absl::StrCat(check->checked, " paths of release ", *live,
                                      " checked against its manifest",
                                      quick ? " (size and mtime)" : " (SHA-256)"));
    health->problems.insert(health->problems.end(), check->tampered.begin(), check->tampered.end());
    health->problems.insert(health->problems.end(), check->drifted.begin(), check->drifted.end());
  } else if (absl::IsNotFound(damage)) {
    absl::StatusOr<std::string> complete =
        site.ok() ? NewestRecordedRelease(root, **site) : absl::StatusOr<std::string>("");
    if (!complete.ok()) return complete.status();
    if (complete->empty()) {
      health->ok.push_back(absl::StrCat("release ", *live, " has no manifest to check against (",
                                        damage.message(), ")"));
    } else {
      // Others have one: this release was never completed by a deploy (a
      // copy made by hand, or one a tool left half made).
      Op relink;
      relink.mutable_symlink()->set_target(JoinPath("releases", *complete));
      relink.mutable_symlink()->set_path("current");
      health->problems.push_back(Problem{
          "current",
          absl::StrCat("points at release ", *live,
                       ", which no deploy completed (the journal holds no manifest of it: a "
                       "release copied by hand, or left half made); ",
                       *complete, " is the newest that one completed"),
          absl::StrCat("persist switch ", *complete),
          {relink}});
    }
  } else if (site.ok() && !damage.ok()) {
    // A journal that opens but whose manifest does not read: the release
    // cannot be checked, which must not pass for a clean check.
    health->problems.push_back(Problem{
        ".persist/journal", std::string(damage.message()),
        absl::StrCat("release ", *live, " cannot be checked against its manifest; move the "
                     "journal aside and compare the release with its upload by hand")});
  } else if (site.ok()) {
    return check.status();  // the walk of the release failed
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Health> VerifySite(const VerifyOptions& options) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), options.root_dir);
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot verify (give the site with --root)"),
                         ErrorKind::kUsage);
  }
  Health health;
  absl::StatusOr<bool> has_journal = Site::HasJournal(**root);
  if (!has_journal.ok()) return has_journal.status();
  // Opened once, for both the journal's check and the live release's.
  absl::StatusOr<std::unique_ptr<Site>> site = absl::NotFoundError("no journal yet");
  if (*has_journal) {
    site = Site::OpenForReading(Env::Default(), options.root_dir);
    CheckJournal(site, options.root_dir, &health);
  }
  WebUser web_user;
  WebRootMode web_root;
  absl::StatusOr<std::vector<Rule>> rules =
      CheckProfile(**root, options.root_dir, &web_user, &web_root, &health);
  if (!rules.ok()) return rules.status();
  absl::StatusOr<Health> tree = CheckSiteHealth(**root, Classifier(*rules), web_user, web_root);
  if (!tree.ok()) return tree.status();
  health.ok.insert(health.ok.end(), tree->ok.begin(), tree->ok.end());
  health.problems.insert(health.problems.end(), tree->problems.begin(), tree->problems.end());
  health.notes = tree->notes;
  absl::Status live = CheckLiveRelease(**root, site, options.quick, &health);
  if (!live.ok()) return live;
  return health;
}

}  // namespace persist
