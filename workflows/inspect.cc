// Copyright persist authors.

#include "workflows/inspect.h"

#include <sys/stat.h>

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/root.h"
#include "journal/format.h"
#include "journal/site.h"
#include "planner/deploy_planner.h"
#include "planner/profile.h"
#include "planner/shared_links.h"

namespace persist {

absl::StatusOr<RunList> ListRuns(const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), root_dir);
  if (!site.ok()) return site.status();
  absl::StatusOr<std::vector<Run>> runs = (*site)->store().ListRuns();
  if (!runs.ok()) return runs.status();
  absl::StatusOr<std::string> current = CurrentRelease((*site)->root());
  if (!current.ok()) return current.status();
  return RunList{*std::move(runs), (*site)->LockIsHeld(), *std::move(current)};
}

absl::StatusOr<RunDetail> ShowRun(const std::string& root_dir, const std::string& run_id) {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), root_dir);
  if (!site.ok()) return site.status();
  absl::StatusOr<Run> run = (*site)->store().GetRun(run_id);
  if (!run.ok()) return WithErrorKind(run.status(), ErrorKind::kUsage);
  absl::StatusOr<std::vector<OpRecord>> ops = (*site)->store().GetOps(run->id());
  if (!ops.ok()) return ops.status();
  return RunDetail{*std::move(run), *std::move(ops)};
}

absl::StatusOr<std::vector<Change>> DiffReleases(const std::string& root_dir, const std::string& from,
                                                 const std::string& to) {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), root_dir);
  if (!site.ok()) return site.status();
  std::unique_ptr<Store::ManifestView> manifests[2];
  const std::string releases[2] = {from, to};
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest =
        (*site)->store().ReadManifest(JoinPath("releases", releases[i]));
    if (!manifest.ok()) return WithErrorKind(manifest.status(), ErrorKind::kUsage);
    manifests[i] = *std::move(manifest);
  }
  return DiffManifests(manifests[0]->reader(), manifests[1]->reader());
}

namespace {

// The app at `app_dir`, and the classifier of the site at `root_dir`.
struct AppToClassify {
  std::unique_ptr<Root> tree;
  std::optional<Classifier> classifier;
};

absl::StatusOr<AppToClassify> OpenAppToClassify(const std::string& app_dir,
                                                const std::string& root_dir) {
  AppToClassify app;
  // An archive is the likeliest file given here: say what to do with it
  // rather than that a file is not a directory.
  struct stat info;
  if (stat(app_dir.c_str(), &info) == 0 && !S_ISDIR(info.st_mode)) {
    return WithErrorKind(
        absl::InvalidArgumentError(absl::StrCat(
            "cannot classify ", app_dir,
            ": it is a file, and classify reads an unpacked app; unpack a copy (unzip -q ",
            app_dir, " -d DIR) and classify DIR, or run persist deploy ", app_dir,
            " --root SITE --dry-run, which classifies what the archive holds")),
        ErrorKind::kUsage);
  }
  absl::StatusOr<std::unique_ptr<Root>> tree = Root::Open(Env::Default(), app_dir);
  if (!tree.ok()) {
    return WithErrorKind(
        Annotate(tree.status(), absl::StrCat("cannot classify ", app_dir,
                                             " (give the directory of an unpacked app)")),
        ErrorKind::kUsage);
  }
  app.tree = *std::move(tree);
  Profile profile;
  if (!root_dir.empty()) {
    absl::StatusOr<std::unique_ptr<Root>> site = Root::Open(Env::Default(), root_dir);
    if (!site.ok()) return WithErrorKind(site.status(), ErrorKind::kUsage);
    absl::StatusOr<Profile> loaded = LoadSiteProfile(**site);
    if (!loaded.ok()) return WithErrorKind(loaded.status(), ErrorKind::kUsage);
    profile = *loaded;
  }
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(profile);
  if (!rules.ok()) return WithErrorKind(rules.status(), ErrorKind::kUsage);
  app.classifier.emplace(*std::move(rules));
  return app;
}

}  // namespace

absl::StatusOr<std::vector<Classification>> ClassifyApp(const std::string& app_dir,
                                                        const std::string& root_dir) {
  absl::StatusOr<AppToClassify> app = OpenAppToClassify(app_dir, root_dir);
  if (!app.ok()) return app.status();
  return app->classifier->ClassifyTree(*app->tree, "");
}

absl::StatusOr<std::vector<Classification>> PersistentPathsOf(const std::string& app_dir,
                                                              const std::string& root_dir) {
  absl::StatusOr<AppToClassify> app = OpenAppToClassify(app_dir, root_dir);
  if (!app.ok()) return app.status();
  absl::StatusOr<std::vector<Classification>> rows = app->classifier->ClassifyTree(*app->tree, "");
  if (!rows.ok()) return rows.status();
  return PersistentRoots(*rows, *app->classifier);
}

int JournalFormatVersion() { return kJournalFormatVersion; }

}  // namespace persist
