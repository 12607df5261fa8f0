// Copyright persist authors.

#include "planner/health.h"

#include <sys/stat.h>

#include "fsops/describe_op.h"
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

  Health Check(const WebUser& web_user = WebUser{"root", 0, {0}}) {
    absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir_.path());
    EXPECT_TRUE(root.ok());
    absl::StatusOr<Health> health = CheckSiteHealth(**root, Classifier(BlueprintRules()), web_user);
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

TEST_F(HealthTest, StorageTheWebUserCannotWriteIsAProblem) {
  // The files belong to root (the test's user); the web server runs as
  // another user, outside root's group: 0755 lets it read, not write.
  const WebUser www{"www", 4242, {4242}};
  Health health = Check(www);
  ASSERT_FALSE(health.problems.empty());
  EXPECT_EQ(health.problems[0].path, "shared/bootstrap/cache");
  EXPECT_NE(health.problems[0].what.find("cannot be written by the web server's user www"),
            std::string::npos)
      << health.problems[0].what;
  chmod(dir_.Sub("shared/storage/logs").c_str(), 0777);
  chmod(dir_.Sub("shared/storage").c_str(), 0777);
  chmod(dir_.Sub("shared/bootstrap/cache").c_str(), 0777);
  health = Check(www);
  EXPECT_TRUE(health.problems.empty()) << health.problems[0].path << ": " << health.problems[0].what;
}

TEST_F(HealthTest, ASharedDirectoryTheWebUserCannotEnterIsAProblem) {
  chmod(dir_.Sub("shared/public/uploads").c_str(), 0750);
  Health health = Check(WebUser{"www", 4242, {4242}});
  bool named = false;
  for (const Problem& p : health.problems) {
    if (p.path == "shared/public/uploads" && p.what.find("cannot be read") != std::string::npos) named = true;
  }
  EXPECT_TRUE(named);
  // Its owner's group may.
  health = Check(WebUser{"www", 4242, {0}});
  for (const Problem& p : health.problems) EXPECT_NE(p.path, "shared/public/uploads") << p.what;
}

TEST_F(HealthTest, PhpCodeInAnUploadFolderIsAProblem) {
  WriteFile(dir_.Sub("shared/public/uploads/2026/avatar.png"), "png");
  WriteFile(dir_.Sub("shared/public/uploads/2026/shell.PHP"), "<?php system($_GET['c']);\n");
  WriteFile(dir_.Sub("shared/storage/framework/views/compiled.php"), "<?php // Blade\n");
  const Problem problem = OnlyProblem("shared/public/uploads/2026/shell.PHP");
  EXPECT_NE(problem.what.find("PHP code"), std::string::npos) << problem.what;
}

TEST_F(HealthTest, ALaravelStorageWithoutItsFrameworkDirectoriesIsAProblem) {
  WriteFile(dir_.Sub("releases/r1/artisan"), "#!/usr/bin/env php\n");
  const Problem problem = OnlyProblem("shared/storage");
  EXPECT_NE(problem.what.find("shared/storage/framework/views"), std::string::npos) << problem.what;
  EXPECT_NE(problem.fix.find("mkdir -p"), std::string::npos) << problem.fix;
  MakeDir(dir_.Sub("shared/storage/framework/views"));
  Health health = Check();
  EXPECT_TRUE(health.problems.empty()) << health.problems[0].path << ": " << health.problems[0].what;
}

TEST_F(HealthTest, WhatWaitsInRescuedIsANoteNotAProblem) {
  WriteFile(dir_.Sub(".persist/rescued/20261204T101500Z/public_html/photo.jpg"), "jpg");
  Health health = Check();
  EXPECT_TRUE(health.problems.empty()) << health.problems[0].path << ": " << health.problems[0].what;
  ASSERT_EQ(health.notes.size(), 1u);
  EXPECT_NE(health.notes[0].find(".persist/rescued/20261204T101500Z/"), std::string::npos) << health.notes[0];
}

// The repairs each problem carries, in words (DescribeOp), one a line.
std::string Repairs(const Health& health) {
  std::string out;
  for (const Problem& problem : health.problems) {
    for (const Op& op : problem.repair) out += problem.path + ": " + DescribeOp(op) + "\n";
  }
  return out;
}

TEST_F(HealthTest, ABrokenLayoutCarriesTheOpsThatRepairIt) {
  unlink(dir_.Sub("current").c_str());
  MakeSymlink("releases/gone", dir_.Sub("current"));
  unlink(dir_.Sub("releases/r1/storage").c_str());
  unlink(dir_.Sub("releases/r1/.env").c_str());
  MakeSymlink("../../elsewhere/.env", dir_.Sub("releases/r1/.env"));
  MakeSymlink("releases/r1/public", dir_.Sub("public_html"));
  chmod(dir_.Sub("shared/.env").c_str(), 0644);
  chmod(dir_.Sub("shared/bootstrap/cache").c_str(), 0555);
  Health health = Check();
  EXPECT_EQ(Repairs(health),
            "current: symlink current -> releases/r1\n"
            "releases/r1/.env: symlink releases/r1/.env -> ../../shared/.env\n"
            "releases/r1/storage: symlink releases/r1/storage -> ../../shared/storage\n"
            "public_html: symlink public_html -> current/public\n"
            "shared/.env: chmod 0640 shared/.env\n"
            "shared/bootstrap/cache: chmod 0755 shared/bootstrap/cache\n");
  chmod(dir_.Sub("shared/bootstrap/cache").c_str(), 0755);
}

TEST_F(HealthTest, WhatMayHoldDataIsNeverRepairedOver) {
  // The live release's storage/ a real directory, written to: only the
  // operator may merge it into shared/storage.
  unlink(dir_.Sub("releases/r1/storage").c_str());
  WriteFile(dir_.Sub("releases/r1/storage/logs/today.log"), "a log line\n");
  const Problem problem = OnlyProblem("releases/r1/storage");
  EXPECT_TRUE(problem.repair.empty());
  EXPECT_NE(problem.fix.find("move what it holds into shared/storage"), std::string::npos)
      << problem.fix;
}

TEST_F(HealthTest, MissingStorageDirectoriesAreMade) {
  WriteFile(dir_.Sub("releases/r1/artisan"), "<?php\n");
  Health health = Check();
  EXPECT_EQ(Repairs(health),
            "shared/storage: mkdir shared/storage/framework\n"
            "shared/storage: mkdir shared/storage/framework/views\n");
}

TEST_F(HealthTest, TheWebUserGetsTheBitsOfItsClassNeverEveryonesWrite) {
  chmod(dir_.Sub("shared/storage/logs").c_str(), 0750);
  // www-data in the directory's group: group bits are enough.
  Health in_group = Check(WebUser{"www-data", 33, {0}});
  EXPECT_NE(Repairs(in_group).find("shared/storage/logs: chmod 0770 shared/storage/logs"),
            std::string::npos)
      << Repairs(in_group);
  // www-data in no group of it: reading is given to all, writing to none.
  Health other = Check(WebUser{"www-data", 33, {33}});
  EXPECT_NE(Repairs(other).find("shared/storage/logs: chmod 0755 shared/storage/logs"),
            std::string::npos)
      << Repairs(other);
  chmod(dir_.Sub("shared/storage/logs").c_str(), 0755);
  chmod(dir_.Sub("shared/storage").c_str(), 0755);
  Health unwritable = Check(WebUser{"www-data", 33, {33}});
  for (const Problem& problem : unwritable.problems) {
    EXPECT_TRUE(problem.repair.empty()) << problem.path << ": " << problem.what;
  }
}

TEST_F(HealthTest, ALinkIntoAMissingSharedDirectoryIsMadeAgainEmpty) {
  testing::RemoveAll(dir_.Sub("shared/public"));
  Health health = Check();
  EXPECT_EQ(Repairs(health),
            "shared/public/uploads: mkdir shared/public\n"
            "shared/public/uploads: mkdir shared/public/uploads\n");
  ASSERT_FALSE(health.problems.empty());
  EXPECT_NE(health.problems[0].what.find("the live release's releases/r1/public/uploads leads "
                                         "to it"),
            std::string::npos)
      << health.problems[0].what;
}

}  // namespace
}  // namespace persist
