// Copyright persist authors.

#include "planner/health.h"

#include "fsops/env.h"
#include "fsops/trash.h"
#include "gtest/gtest.h"
#include "planner/profile.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using testing::MakeDir;
using testing::MakeSymlink;
using testing::WriteFile;

// A healthy deployed site, as a first deploy leaves it.
class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string r = dir_.Sub("releases/r1");
    WriteFile(r + "/public/index.php", "<?php\n");
    MakeDir(dir_.Sub("shared/public/uploads"));
    MakeDir(dir_.Sub("shared/storage/logs"));
    MakeDir(dir_.Sub("shared/bootstrap/cache"));
    WriteFile(dir_.Sub("shared/.env"), "APP_KEY=x\n", 0600);
    WriteFile(dir_.Sub("shared/.deployment-history"), "r1\n");
    MakeSymlink("../../../shared/public/uploads", r + "/public/uploads");
    MakeSymlink("../../shared/storage", r + "/storage");
    MakeDir(r + "/bootstrap");
    MakeSymlink("../../../shared/bootstrap/cache", r + "/bootstrap/cache");
    MakeSymlink("../../shared/.env", r + "/.env");
    MakeSymlink("releases/r1", dir_.Sub("current"));
  }

  Health Check() {
    absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir_.path());
    EXPECT_TRUE(root.ok());
    absl::StatusOr<Health> health = CheckSiteHealth(**root, Classifier(BlueprintRules()), WebUser{"root", 0, {0}});
    EXPECT_TRUE(health.ok()) << health.status();
    return *health;
  }

  // The one problem found, which must name `path`.
  Problem OnlyProblem(const std::string& path) {
    Health health = Check();
    EXPECT_EQ(health.problems.size(), 1u);
    if (health.problems.empty()) return Problem{};
    EXPECT_EQ(health.problems[0].path, path) << health.problems[0].what;
    EXPECT_FALSE(health.problems[0].fix.empty());
    return health.problems[0];
  }

  testing::TempDir dir_;
};

TEST_F(HealthTest, AFreshlyDeployedSiteIsHealthy) {
  Health health = Check();
  EXPECT_TRUE(health.problems.empty()) << health.problems[0].path << ": " << health.problems[0].what;
  EXPECT_FALSE(health.ok.empty());
}

TEST_F(HealthTest, ATrashThatCouldNotBeEmptiedIsAProblem) {
  WriteFile(dir_.Sub(kTrashFailureFile),
            "2026-11-28 10:00:00 UTC: cannot empty site/.persist/trash: Permission denied\n");
  const Problem problem = OnlyProblem(kTrashDir);
  EXPECT_NE(problem.what.find("Permission denied"), std::string::npos) << problem.what;
  EXPECT_NE(problem.fix.find("persist empty-trash"), std::string::npos) << problem.fix;
}

TEST_F(HealthTest, AMissingCurrentIsFixedBySwitchingToTheNewestRelease) {
  unlink(dir_.Sub("current").c_str());
  Health health = Check();
  ASSERT_FALSE(health.problems.empty());
  EXPECT_EQ(health.problems[0].path, "current");
  EXPECT_EQ(health.problems[0].fix, "persist switch r1");
}

TEST_F(HealthTest, ASharedLinkLeadingOutOfTheSiteIsNamed) {
  unlink(dir_.Sub("releases/r1/public/uploads").c_str());
  MakeSymlink("/etc", dir_.Sub("releases/r1/public/uploads"));
  Problem problem = OnlyProblem("releases/r1/public/uploads");
  EXPECT_NE(problem.what.find("/etc"), std::string::npos);
  EXPECT_NE(problem.fix.find("../../../shared/public/uploads"), std::string::npos);
}

TEST_F(HealthTest, AReleaseDirectoryWhereALinkBelongsIsNamed) {
  unlink(dir_.Sub("releases/r1/storage").c_str());
  MakeDir(dir_.Sub("releases/r1/storage"));
  Problem problem = OnlyProblem("releases/r1/storage");
  EXPECT_NE(problem.what.find("lost on the next deploy"), std::string::npos);
}

TEST_F(HealthTest, AWorldReadableEnvIsAProblem) {
  chmod(dir_.Sub("shared/.env").c_str(), 0644);
  EXPECT_NE(OnlyProblem("shared/.env").fix.find("chmod"), std::string::npos);
}

TEST_F(HealthTest, PublicHtmlMustServeCurrentPublic) {
  MakeSymlink("releases/r1/public", dir_.Sub("public_html"));
  OnlyProblem("public_html");
  unlink(dir_.Sub("public_html").c_str());
  MakeSymlink("current/public", dir_.Sub("public_html"));
  EXPECT_TRUE(Check().problems.empty());
}

TEST_F(HealthTest, ANonWritableStorageIsAProblem) {
  chmod(dir_.Sub("shared/storage").c_str(), 0555);
  OnlyProblem("shared/storage");
  chmod(dir_.Sub("shared/storage").c_str(), 0755);
}

}  // namespace
}  // namespace persist
