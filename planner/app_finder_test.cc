// Copyright persist authors.

#include "planner/app_finder.h"

#include <string>

#include "absl/strings/match.h"
#include "fsops/env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using testing::MakeDir;
using testing::TempDir;
using testing::WriteFile;

class AppFinderTest : public ::testing::Test {
 protected:
  // An app's markers under `rel` of the delivery.
  void App(const std::string& rel) {
    WriteFile(Path(rel + "/artisan"), "<?php\n");
    WriteFile(Path(rel + "/composer.json"), "{}\n");
  }
  std::string Path(const std::string& rel) const { return dir_.Sub("delivery/" + rel); }
  absl::StatusOr<AppLocation> Find(const std::string& app_dir = "") {
    return FindApp(DirectoryTree(Env::Default(), dir_.Sub("delivery")), app_dir);
  }

  TempDir dir_;
};

TEST_F(AppFinderTest, ADeliveryThatIsTheAppIsTakenAsItIs) {
  App(".");
  absl::StatusOr<AppLocation> app = Find();
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->dir, "");
  EXPECT_TRUE(absl::StrContains(app->why, "artisan, composer.json")) << app->why;
}

TEST_F(AppFinderTest, TheAppBesideDocumentationIsFoundAndSaidWhy) {
  WriteFile(Path("documentation/index.html"), "<html>\n");
  App("Main Files/script");
  WriteFile(Path("Main Files/script/vendor/acme/lib/composer.json"), "{}\n");
  WriteFile(Path("__MACOSX/Main Files/script/artisan"), "resource fork\n");
  absl::StatusOr<AppLocation> app = Find();
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->dir, "Main Files/script");
  EXPECT_TRUE(absl::StrContains(app->why, "the one directory")) << app->why;
}

TEST_F(AppFinderTest, OnlyPublicIndexPhpMarksAnAppToo) {
  WriteFile(Path("upload/public/index.php"), "<?php\n");
  MakeDir(Path("docs"));
  absl::StatusOr<AppLocation> app = Find();
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->dir, "upload");
}

TEST_F(AppFinderTest, TwoAppsAreRefusedNamingBoth) {
  App("installer");
  App("update/app");
  absl::StatusOr<AppLocation> app = Find();
  ASSERT_FALSE(app.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(app.status())) << app.status();
  EXPECT_TRUE(absl::StrContains(app.status().message(), "2 apps (installer, update/app)"))
      << app.status();
}

TEST_F(AppFinderTest, NamingOneOfTwoTakesIt) {
  App("installer");
  App("update/app");
  absl::StatusOr<AppLocation> app = Find("update/app");
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->dir, "update/app");
}

TEST_F(AppFinderTest, ANamedDirectoryWithoutAnAppOrOutsideTheDeliveryIsRefused) {
  App("app");
  MakeDir(Path("docs"));
  for (const std::string name : {"docs", "missing", "../delivery/app", "/etc"}) {
    absl::StatusOr<AppLocation> app = Find(name);
    ASSERT_FALSE(app.ok()) << name;
    EXPECT_TRUE(absl::IsInvalidArgument(app.status())) << name << ": " << app.status();
  }
}

TEST_F(AppFinderTest, NothingBelowTheSearchDepthOrInsideVendorIsAnApp) {
  App("a/b/c/d");
  App("vendor/laravel");
  MakeDir(Path(".git/x"));
  absl::StatusOr<AppLocation> app = Find();
  ASSERT_FALSE(app.ok());
  EXPECT_TRUE(absl::IsNotFound(app.status())) << app.status();
}

}  // namespace
}  // namespace persist
