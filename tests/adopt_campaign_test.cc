// Copyright persist authors.
//
// persist adopt, stopped dead at every mutating call, and failing with an
// error at every one: an app installed in place in a shared host's
// public_html, a VPS directory served from its public/, and an app beside
// a web root of its own (its index.php rewritten by the run), each with
// users' uploads, a .env and logs. After `recover` on a fresh journal
// handle (or the run's own undo, for an error) the in-place install must be
// byte for byte as before; an adoption across filesystems (EXDEV at every
// rename) still completes and undoes exactly.

#include <errno.h>

#include <optional>
#include <string>

#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "journal/recovery.h"
#include "journal/transaction.h"
#include "planner/adopt_planner.h"
#include "planner/classifier.h"
#include "planner/profile.h"
#include "spdlog/spdlog.h"
#include "tests/campaign.h"
#include "tests/testing/sample_release.h"
#include "tests/testing/tree_snapshot.h"
#include "workflows/deploy_flow.h"

namespace persist {
namespace testing {
namespace {

// The three layouts of an app installed in place.
enum class Layout { kPublicHtml, kVps, kBeside };

class InPlaceInstall {
 public:
  explicit InPlaceInstall(Layout layout) : layout_(layout) {
    spdlog::set_level(spdlog::level::warn);
    MakeDir(site());
    SampleRelease::Laravel("v1")
        .File(".htaccess", "RewriteEngine On\nRewriteRule ^(.*)$ public/$1 [L]\n")
        .File("public/uploads/avatars/user-42.jpg", "a user's photo")
        .File("public/invoices/INV-0007.pdf", "%PDF invoice")
        .File("storage/logs/laravel.log", "[2026-12-01] production.INFO: live\n")
        .Dir("storage/framework/views")
        .Write(app());
    WriteFile(app() + "/.env", "APP_KEY=base64:live\n", 0600);
    if (layout_ == Layout::kBeside) {
      // The web root of its own holds the public files and the users' data.
      MakeDir(site() + "/public_html");
      MakeDir(site() + "/public_html/css");
      MakeDir(site() + "/public_html/uploads");
      WriteFile(site() + "/public_html/index.php",
                "<?php require __DIR__.'/../example.com/vendor/autoload.php';\n");
      WriteFile(site() + "/public_html/css/app.css", "body {}\n");
      WriteFile(site() + "/public_html/uploads/user-7.jpg", "another photo");
      RemoveAll(app() + "/public/uploads");
      RemoveAll(app() + "/public/invoices");
    }
  }
  std::string site() const { return dir_.Sub("site"); }
  std::string app() const { return app_dir().empty() ? site() : site() + "/" + app_dir(); }
  std::string app_dir() const {
    switch (layout_) {
      case Layout::kPublicHtml:
        return "public_html";
      case Layout::kBeside:
        return "example.com";
      case Layout::kVps:
        break;
    }
    return "";
  }
  bool app_is_web_root() const { return layout_ == Layout::kPublicHtml; }
  std::string web_root_dir() const { return layout_ == Layout::kBeside ? "public_html" : ""; }
  // A user's upload, relative to shared/ once adopted, and its bytes.
  std::string upload() const {
    return layout_ == Layout::kBeside ? "public/uploads/user-7.jpg"
                                      : "public/uploads/avatars/user-42.jpg";
  }
  std::string upload_bytes() const {
    return layout_ == Layout::kBeside ? "another photo" : "a user's photo";
  }

 private:
  Layout layout_;
  TempDir dir_;
};

absl::StatusOr<persist::Run> Adopt(Env* env, const InPlaceInstall& install) {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(env, install.site(), "adopt");
  if (!site.ok()) return site.status();
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(Profile());
  if (!rules.ok()) return rules.status();
  AdoptRequest request;
  request.app_dir = install.app_dir();
  request.app_source = install.app();
  request.release_id = "1";
  request.app_is_web_root = install.app_is_web_root();
  request.web_root_dir = install.web_root_dir();
  if (!request.web_root_dir.empty()) {
    request.web_root_source = install.site() + "/" + request.web_root_dir;
  }
  absl::StatusOr<DeployPlan> planned = PlanAdopt((*site)->root(), Classifier(*rules), request);
  if (!planned.ok()) return planned.status();
  RunOptions options = DeployRunOptions(**site, *planned);
  options.kind = "adopt";
  return ExecutePlan(**site, planned->plan, options);
}

absl::StatusOr<std::optional<persist::Run>> RecoverSite(const std::string& site) {
  absl::StatusOr<std::unique_ptr<Site>> opened =
      Site::OpenForWriting(Env::Default(), site, "recover");
  if (!opened.ok()) return opened.status();
  return Recover(**opened);
}

int CountMutations(Layout layout) {
  InPlaceInstall install(layout);
  FaultEnv counting(Env::Default());
  absl::StatusOr<persist::Run> run = Adopt(&counting, install);
  EXPECT_TRUE(run.ok()) << run.status();
  return counting.mutations();
}

void CrashEveryCall(Layout layout) {
  const int mutations = CountMutations(layout);
  ASSERT_GT(mutations, 20);
  for (int n = 1; n <= mutations; n += CampaignStride()) {
    InPlaceInstall install(layout);
    const Snapshot before = TakeSnapshot(install.site());
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(n);
    EXPECT_FALSE(Adopt(&crashing, install).ok());
    absl::StatusOr<std::optional<persist::Run>> recovered = RecoverSite(install.site());
    ASSERT_TRUE(recovered.ok()) << "crash at call " << n << ": " << recovered.status();
    ASSERT_EQ(DiffSnapshots(before, TakeSnapshot(install.site())), "") << "crash at call " << n;
  }
}

void FailEveryCall(Layout layout) {
  const int mutations = CountMutations(layout);
  for (int n = 1; n <= mutations; n += CampaignStride()) {
    InPlaceInstall install(layout);
    const Snapshot before = TakeSnapshot(install.site());
    FaultEnv failing(Env::Default());
    failing.FailAt(n, EIO);
    absl::StatusOr<persist::Run> run = Adopt(&failing, install);
    // Only a best-effort call (the blocks kept for a full disk, the lock's
    // holder line) absorbs an error; then the adoption is whole, and undone.
    if (run.ok()) {
      ASSERT_TRUE(BestEffortCall(failing)) << "EIO at call " << n << " was not reported";
      absl::StatusOr<std::unique_ptr<Site>> site =
          Site::OpenForWriting(Env::Default(), install.site(), "undo");
      ASSERT_TRUE(site.ok());
      ASSERT_TRUE(UndoLatest(**site, "").ok());
    }
    // The run undid itself; recover finds nothing left to do.
    absl::StatusOr<std::optional<persist::Run>> recovered = RecoverSite(install.site());
    ASSERT_TRUE(recovered.ok()) << "error at call " << n << ": " << recovered.status();
    ASSERT_EQ(DiffSnapshots(before, TakeSnapshot(install.site())), "") << "error at call " << n;
  }
}

TEST(AdoptCampaignTest, AnAdoptionOfPublicHtmlCrashedAnywhereRecoversTheInstallExactly) {
  CrashEveryCall(Layout::kPublicHtml);
}

TEST(AdoptCampaignTest, AnAdoptionOfAVpsDirectoryCrashedAnywhereRecoversTheInstallExactly) {
  CrashEveryCall(Layout::kVps);
}

TEST(AdoptCampaignTest, AnAdoptionBesideItsWebRootCrashedAnywhereRecoversTheInstallExactly) {
  CrashEveryCall(Layout::kBeside);
}

TEST(AdoptCampaignTest, AnAdoptionFailingAnywhereIsUndoneExactly) {
  FailEveryCall(Layout::kPublicHtml);
  FailEveryCall(Layout::kVps);
  FailEveryCall(Layout::kBeside);
}

// EXDEV at each rename in turn, as when the site's releases/ is on another
// filesystem than the app: a move absorbs it by copying (the adoption
// completes, and undo is exact); a rename with no fallback fails the run,
// which is undone exactly.
TEST(AdoptCampaignTest, AnAdoptionAcrossFilesystemsCompletesOrFailsAndIsUndoneExactly) {
  for (Layout layout : {Layout::kPublicHtml, Layout::kVps, Layout::kBeside}) {
    int renames = 0;
    {
      InPlaceInstall install(layout);
      FaultEnv counting(Env::Default());
      ASSERT_TRUE(Adopt(&counting, install).ok());
      renames = counting.count_of(FaultEnv::Kind::kRename);
    }
    int absorbed = 0;
    for (int n = 1; n <= renames; ++n) {
      InPlaceInstall install(layout);
      const Snapshot before = TakeSnapshot(install.site());
      FaultEnv cross(Env::Default());
      cross.FailAt(n, EXDEV, FaultEnv::Kind::kRename);
      absl::StatusOr<persist::Run> run = Adopt(&cross, install);
      if (run.ok()) {
        ++absorbed;
        EXPECT_EQ(ReadFile(install.site() + "/shared/" + install.upload()), install.upload_bytes())
            << "rename " << n;
        EXPECT_EQ(ReadFile(install.site() + "/current/.env"), "APP_KEY=base64:live\n");
        absl::StatusOr<std::unique_ptr<Site>> site =
            Site::OpenForWriting(Env::Default(), install.site(), "undo");
        ASSERT_TRUE(site.ok());
        absl::StatusOr<persist::Run> undone = UndoLatest(**site, "");
        ASSERT_TRUE(undone.ok()) << "rename " << n << ": " << undone.status();
      }
      ASSERT_EQ(DiffSnapshots(before, TakeSnapshot(install.site())), "") << "EXDEV at rename " << n;
    }
    EXPECT_GT(absorbed, 0) << "a move across filesystems becomes a copy";
  }
}

}  // namespace
}  // namespace testing
}  // namespace persist
