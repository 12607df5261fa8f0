// Copyright persist authors.

#include "planner/plan_access.h"

#include <sys/stat.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fsops/env.h"
#include "gtest/gtest.h"
#include "planner/shared_links.h"
#include "tests/testing/as_ordinary_user.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::ChildResult;
using ::persist::testing::MakeDir;
using ::persist::testing::RunWithoutPermissionOverride;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

// An app installed in place at app/, as an adoption plans it: the app
// moved into releases/1, its storage/ into shared/, the release recorded.
class PlanAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeDir(dir_.Sub("app"));
    MakeDir(dir_.Sub("app/storage"));
    MakeDir(dir_.Sub("app/vendor"));
    WriteFile(dir_.Sub("app/storage/log.txt"), "log\n");
    WriteFile(dir_.Sub("app/vendor/lib.php"), "<?php\n");
    WriteFile(dir_.Sub("app/artisan"), "<?php\n");
    *plan_.add_op() = MkdirOf("releases");
    *plan_.add_op() = MkdirOf("shared");
    *plan_.add_op() = MoveOf("app", "releases/1");
    *plan_.add_op() = SymlinkOf("releases/1", "app");
    *plan_.add_op() = MoveOf("releases/1/storage", "shared/storage");
    *plan_.add_op() = SymlinkOf("../../shared/storage", "releases/1/storage");
    plan_.add_op()->mutable_record()->set_release("releases/1");
  }

  // The problems as "path: why" lines, found in a child that cannot
  // override permission bits (as the site's owner on a shared host runs).
  // Skips the test where that cannot be had.
  std::string ProblemsWithoutOverride() {
    ChildResult child = RunWithoutPermissionOverride([&]() -> absl::Status {
      absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir_.path());
      if (!root.ok()) return root.status();
      absl::StatusOr<std::vector<AccessProblem>> problems = FindAccessProblems(**root, plan_);
      if (!problems.ok()) return problems.status();
      std::string lines;
      for (const AccessProblem& problem : *problems) {
        absl::StrAppend(&lines, problem.path, ": ", problem.why, "\n");
      }
      return absl::UnknownError(lines);
    });
    EXPECT_FALSE(child.ok) << "the child reports its findings as an error";
    skipped_ = child.skipped;
    return child.message;
  }

  TempDir dir_;
  Plan plan_;
  bool skipped_ = false;
};

TEST_F(PlanAccessTest, AllowedPlanHasNoProblems) {
  std::string problems = ProblemsWithoutOverride();
  if (skipped_) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_EQ(problems, "");
}

TEST_F(PlanAccessTest, DirectoryMovedOutOfAMovedAppIsNamedWhereItIsNow) {
  ASSERT_EQ(chmod(dir_.Sub("app/storage").c_str(), 0555), 0);
  std::string problems = ProblemsWithoutOverride();
  chmod(dir_.Sub("app/storage").c_str(), 0755);
  if (skipped_) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_TRUE(absl::StartsWith(problems, "app/storage: a directory of ")) << problems;
  EXPECT_TRUE(absl::StrContains(problems, "mode 0555")) << problems;
  EXPECT_TRUE(absl::StrContains(problems, "moves into another only when its mover may"))
      << problems;
  EXPECT_EQ(std::count(problems.begin(), problems.end(), '\n'), 1) << problems;
}

TEST_F(PlanAccessTest, DirectoryWhoseEntriesChangeMustBeWritable) {
  ASSERT_EQ(chmod(dir_.Sub("app").c_str(), 0555), 0);
  std::string problems = ProblemsWithoutOverride();
  chmod(dir_.Sub("app").c_str(), 0755);
  if (skipped_) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  // app/ moves into releases/ (its ".." changes) and storage/ moves out of
  // it: one problem, named once.
  EXPECT_TRUE(absl::StartsWith(problems, "app: a directory of ")) << problems;
  EXPECT_EQ(std::count(problems.begin(), problems.end(), '\n'), 1) << problems;
}

TEST_F(PlanAccessTest, RecordedReleaseMustBeReadableButNotWhatMovedOutOfIt) {
  ASSERT_EQ(chmod(dir_.Sub("app/vendor/lib.php").c_str(), 0), 0);
  ASSERT_EQ(chmod(dir_.Sub("app/storage/log.txt").c_str(), 0), 0);
  std::string problems = ProblemsWithoutOverride();
  if (skipped_) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_EQ(problems.find("app/vendor/lib.php: a file of "), 0u) << problems;
  EXPECT_TRUE(absl::StrContains(problems, "mode 0000")) << problems;
  EXPECT_TRUE(absl::StrContains(problems, "manifest hashes it")) << problems;
  EXPECT_FALSE(absl::StrContains(problems, "log.txt"))
      << "storage/ is moved into shared/ before the release is recorded: " << problems;
}

TEST_F(PlanAccessTest, PathsThePlanCreatesAreNotAskedAbout) {
  Plan created;
  *created.add_op() = MkdirOf("made");
  *created.add_op() = MkdirOf("made/deeper");
  *created.add_op() = SymlinkOf("x", "made/deeper/link");
  plan_ = created;
  // A directory named like the made one exists in no form: nothing to ask.
  std::string problems = ProblemsWithoutOverride();
  if (skipped_) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_EQ(problems, "");
  ASSERT_EQ(chmod(dir_.path().c_str(), 0555), 0);
  problems = ProblemsWithoutOverride();
  chmod(dir_.path().c_str(), 0755);
  EXPECT_TRUE(absl::StartsWith(problems, ": a directory of ")) << "the site itself: " << problems;
  EXPECT_EQ(std::count(problems.begin(), problems.end(), '\n'), 1) << problems;
}

TEST(AccessRefusalTest, NamesEachPathTheUserAndBothWaysOut) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir.path());
  ASSERT_TRUE(root.ok()) << root.status();
  std::vector<AccessProblem> problems;
  for (int i = 0; i < 12; ++i) {
    problems.push_back({absl::StrCat("app/storage/f", i), 33, absl::StrCat("why ", i)});
  }
  problems.insert(problems.begin(), {"app/storage", 33, "a directory"});
  absl::Status refusal = AccessRefusal(**root, problems, "persist adopt /srv/app");
  ASSERT_TRUE(absl::IsInvalidArgument(refusal)) << refusal;
  const std::string message(refusal.message());
  EXPECT_TRUE(absl::StrContains(message, dir.Sub("app/storage") + ": a directory")) << message;
  EXPECT_TRUE(absl::StrContains(message, "why 8")) << message;
  EXPECT_FALSE(absl::StrContains(message, "why 9")) << "ten are named: " << message;
  EXPECT_TRUE(absl::StrContains(message, "and 3 more")) << message;
  EXPECT_TRUE(absl::StrContains(message, "sudo persist adopt /srv/app --allow-root")) << message;
  // chown -R of storage/ takes the files in it: they are not named again.
  EXPECT_TRUE(absl::StrContains(message, absl::StrCat("chown -R ")) &&
              absl::EndsWith(message, dir.Sub("app/storage")))
      << message;
}

}  // namespace
}  // namespace persist
