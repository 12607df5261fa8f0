// Copyright persist authors.
//
// persist deploy, stopped dead at every mutating call: a first deploy, and a
// vendor update over a live site with user uploads, a real public_html
// directory and a release to prune, from a directory, from the vendor's zip
// (made by Info-ZIP), and from the vendor's update package (a zip of the
// changed files and a deleted-files.txt, laid over the live release). After `recover` on a fresh
// journal handle the site must be byte for byte as before the deploy.

#include <cstdlib>
#include <optional>

#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "journal/recovery.h"
#include "journal/transaction.h"
#include "spdlog/spdlog.h"
#include "tests/campaign.h"
#include "tests/testing/sample_release.h"
#include "tests/testing/tree_snapshot.h"
#include "workflows/deploy_flow.h"

namespace persist {
namespace testing {
namespace {

// The sample Laravel release, with what the campaign's vendor update is
// about besides: public/templates/ (APP, although public/*temp*/ would take
// it) that changes with `version`, public/flags/ and storage/app/public/.
void WriteRelease(const std::string& dir, const std::string& version) {
  SampleRelease::Laravel(version)
      .File("public/flags/us.svg", "<svg/>\n")
      .File("public/templates/invoice.html", "<html>" + version + "</html>\n")
      .Dir("storage/app/public")
      .Write(dir);
}

// How a release arrives: SRC as a full release, SRC as an update package
// over the live release, or no SRC: the live release captured as it is.
enum class Arrival { kRelease, kUpdate, kCapture };

absl::StatusOr<persist::Run> Deploy(Env* env, const std::string& site, const std::string& source,
                                    const std::string& id, Arrival arrival = Arrival::kRelease) {
  absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(env, site, "deploy");
  if (!opened.ok()) return opened.status();
  DeployRequest request;
  request.source = source;
  request.release_id = id;
  request.update = arrival == Arrival::kUpdate;
  request.capture = arrival == Arrival::kCapture;
  if (arrival != Arrival::kRelease) request.dedupe = DEDUPE_HARDLINK;
  absl::StatusOr<DeployPlan> planned = PlanSiteDeploy(**opened, request, /*keep=*/2);
  if (!planned.ok()) return planned.status();
  return ExecutePlan(**opened, planned->plan, DeployRunOptions(**opened, *planned));
}

absl::StatusOr<std::optional<persist::Run>> RecoverSite(const std::string& site) {
  absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(Env::Default(), site, "recover");
  if (!opened.ok()) return opened.status();
  return Recover(**opened);
}

// A temporary directory holding the site and the uploaded releases.
class Workspace {
 public:
  Workspace() {
    spdlog::set_level(spdlog::level::warn);
    MakeDir(site());
    WriteRelease(dir_.Sub("upload-v1"), "v1");
    WriteRelease(dir_.Sub("upload-v2"), "v2");
    WriteRelease(dir_.Sub("upload-v3"), "v3");
    // The vendor's zip of v3: the app in a folder of its own, beside its
    // documentation.
    MakeDir(dir_.Sub("zip/docs"));
    WriteFile(dir_.Sub("zip/docs/index.html"), "<h1>Installation</h1>\n");
    EXPECT_EQ(std::system(("cp -a " + dir_.Sub("upload-v3") + " " + dir_.Sub("zip/shop") +
                           " && cd " + dir_.Sub("zip") + " && zip -qry ../shop-v3.zip shop docs")
                              .c_str()),
              0);
    // The update package from v2 to v3: what changed, a new file, and a
    // file v3 no longer has.
    WriteFile(dir_.Sub("update/update-v3/public/css/app.css"), "body{color:v3}\n");
    WriteFile(dir_.Sub("update/update-v3/app/Http/Controllers/HomeController.php"),
              "<?php // v3\n");
    WriteFile(dir_.Sub("update/update-v3/app/Http/Controllers/NewController.php"), "<?php\n");
    WriteFile(dir_.Sub("update/update-v3/deleted-files.txt"),
              "# removed in v3\npublic/templates/invoice.html\n");
    EXPECT_EQ(std::system(
                  ("cd " + dir_.Sub("update") + " && zip -qry ../update-v3.zip update-v3").c_str()),
              0);
  }
  std::string site() const { return dir_.Sub("site"); }
  std::string upload(const std::string& v) const { return dir_.Sub("upload-" + v); }
  // v3, from its directory, the vendor's zip, or the update package over
  // v2; or v2 as the app left it, edited in place, captured.
  enum Source { kDirectory, kZip, kUpdate, kCapture };
  std::string v3(Source source) const {
    switch (source) {
      case kZip:
        return dir_.Sub("shop-v3.zip");
      case kUpdate:
        return dir_.Sub("update-v3.zip");
      default:
        return upload("v3");
    }
  }

  // Two deploys, user data, and a shared-hosting public_html directory.
  void MakeLive() {
    ASSERT_TRUE(Deploy(Env::Default(), site(), upload("v1"), "v1").ok());
    WriteFile(site() + "/shared/public/uploads/user-42.jpg", "a user's photo");
    WriteFile(site() + "/shared/.env", "APP_KEY=base64:secret\n", 0600);
    ASSERT_TRUE(Deploy(Env::Default(), site(), upload("v2"), "v2").ok());
    WriteFile(site() + "/shared/public/qrcodes/order-7.png", "qr");
    WriteFile(site() + "/public_html/index.html", "hosting panel placeholder");
  }

  // What an app's self-update writes into the live release: a file
  // changed, one added.
  void DriftInPlace() {
    WriteFile(site() + "/releases/v2/app/Http/Controllers/HomeController.php",
              "<?php // v2, patched from the admin panel\n");
    WriteFile(site() + "/releases/v2/app/Modules/Shop.php", "<?php // module\n");
  }

 private:
  TempDir dir_;
};

using Source = Workspace::Source;

absl::StatusOr<persist::Run> DeployV3(Env* env, const Workspace& ws, Source source) {
  const Arrival arrival = source == Workspace::kUpdate    ? Arrival::kUpdate
                          : source == Workspace::kCapture ? Arrival::kCapture
                                                          : Arrival::kRelease;
  return Deploy(env, ws.site(), ws.v3(source), "v3", arrival);
}

void Prepare(Workspace& ws, bool live, Source source) {
  if (live) ws.MakeLive();
  if (source == Workspace::kCapture) ws.DriftInPlace();
}

int CountMutations(bool live, Source source) {
  Workspace ws;
  Prepare(ws, live, source);
  FaultEnv counting(Env::Default());
  absl::StatusOr<persist::Run> run = DeployV3(&counting, ws, source);
  EXPECT_TRUE(run.ok()) << run.status();
  return counting.mutations();
}

void CrashEveryCall(bool live, Source source = Workspace::kDirectory) {
  const int mutations = CountMutations(live, source);
  ASSERT_GT(mutations, 30);
  for (int n = 1; n <= mutations; n += CampaignStride()) {
    Workspace ws;
    Prepare(ws, live, source);
    const Snapshot before = TakeSnapshot(ws.site());
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(n);
    EXPECT_FALSE(DeployV3(&crashing, ws, source).ok());
    absl::StatusOr<std::optional<persist::Run>> recovered = RecoverSite(ws.site());
    ASSERT_TRUE(recovered.ok()) << "crash at call " << n << ": " << recovered.status();
    ASSERT_EQ(DiffSnapshots(before, TakeSnapshot(ws.site())), "") << "deploy crashed at call " << n;
    ASSERT_EQ(TakeSnapshot(ws.site() + "/.persist/rescued", {}), Snapshot()) << "call " << n;
  }
}

TEST(DeployCampaignTest, AFirstDeployCrashedAnywhereRecoversToTheEmptySite) {
  CrashEveryCall(/*live=*/false);
}

TEST(DeployCampaignTest, AVendorUpdateCrashedAnywhereRecoversTheLiveSiteExactly) {
  CrashEveryCall(/*live=*/true);
}

TEST(DeployCampaignTest, AFirstDeployFromAZipCrashedAnywhereRecoversToTheEmptySite) {
  CrashEveryCall(/*live=*/false, Workspace::kZip);
}

TEST(DeployCampaignTest, AVendorZipCrashedAnywhereRecoversTheLiveSiteExactly) {
  CrashEveryCall(/*live=*/true, Workspace::kZip);
}

TEST(DeployCampaignTest, AnUpdatePackageCrashedAnywhereRecoversTheLiveSiteExactly) {
  CrashEveryCall(/*live=*/true, Workspace::kUpdate);
}

TEST(DeployCampaignTest, ACaptureCrashedAnywhereRecoversTheDriftedSiteExactly) {
  CrashEveryCall(/*live=*/true, Workspace::kCapture);
}

TEST(DeployCampaignTest, ACaptureKeepsTheDriftAndUndoRestoresTheSiteExactly) {
  Workspace ws;
  Prepare(ws, /*live=*/true, Workspace::kCapture);
  const Snapshot before = TakeSnapshot(ws.site());
  ASSERT_TRUE(DeployV3(Env::Default(), ws, Workspace::kCapture).ok());
  EXPECT_EQ(ReadFile(ws.site() + "/current/app/Http/Controllers/HomeController.php"),
            "<?php // v2, patched from the admin panel\n");
  EXPECT_EQ(ReadFile(ws.site() + "/current/app/Modules/Shop.php"), "<?php // module\n");
  EXPECT_EQ(ReadFile(ws.site() + "/current/public/uploads/user-42.jpg"), "a user's photo");
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), ws.site(), "undo");
  ASSERT_TRUE(site.ok());
  absl::StatusOr<persist::Run> undone = UndoLatest(**site, "");
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(ws.site())), "");
  EXPECT_EQ(TakeSnapshot(ws.site() + "/.persist/rescued", {}), Snapshot());
}

class DeployCampaignSourceTest : public ::testing::TestWithParam<Source> {};

TEST_P(DeployCampaignSourceTest, AVendorUpdateKeepsUserDataAndUndoRestoresTheSiteExactly) {
  Workspace ws;
  ws.MakeLive();
  const Snapshot before = TakeSnapshot(ws.site());
  ASSERT_TRUE(DeployV3(Env::Default(), ws, GetParam()).ok());
  EXPECT_EQ(ReadFile(ws.site() + "/shared/public/uploads/user-42.jpg"), "a user's photo");
  EXPECT_EQ(ReadFile(ws.site() + "/shared/public/uploads/demo/avatar.txt"), "demo avatar v1\n")
      << "the vendor's demo content must not overwrite what the first deploy kept";
  EXPECT_EQ(ReadFile(ws.site() + "/shared/.env"), "APP_KEY=base64:secret\n");
  EXPECT_EQ(ReadFile(ws.site() + "/current/public/css/app.css"), "body{color:v3}\n");
  EXPECT_EQ(ReadFile(ws.site() + "/public_html/css/app.css"), "body{color:v3}\n")
      << "public_html must serve the live release";
  EXPECT_FALSE(PathExists(ws.site() + "/releases/v1")) << "keep=2 prunes the oldest release";
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(Env::Default(), ws.site(), "undo");
  ASSERT_TRUE(site.ok());
  absl::StatusOr<persist::Run> undone = UndoLatest(**site, "");
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(ws.site())), "");
  EXPECT_EQ(TakeSnapshot(ws.site() + "/.persist/rescued", {}), Snapshot())
      << "what the deploy made is recognised and removed, nothing rescued";
}

INSTANTIATE_TEST_SUITE_P(FromEachSource, DeployCampaignSourceTest,
                         ::testing::Values(Workspace::kDirectory, Workspace::kZip,
                                           Workspace::kUpdate));

}  // namespace
}  // namespace testing
}  // namespace persist
