// Copyright persist authors.

#include "workflows/site_session.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "journal/site.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using testing::ContentOrMissing;
using testing::MakeDir;
using testing::PathExists;
using testing::TempDir;
using testing::WriteFile;

Plan WritePlan(const std::string& path, const std::string& content) {
  Plan plan;
  Op* op = plan.add_op();
  op->mutable_write()->set_path(path);
  op->mutable_write()->set_content(content);
  return plan;
}

class SiteSessionTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeDir(dir_.Sub("shared")); }
  SiteRequest Request(const std::string& command = "test") { return SiteRequest{dir_.path(), command}; }

  TempDir dir_;
};

TEST_F(SiteSessionTest, ExecuteRunsThePlanAndAddsItsLineToTheHistory) {
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(Request());
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(PathExists(dir_.Sub(".persist/journal")));
  EXPECT_EQ((*session)->dir(), dir_.path());
  RunOptions options;
  absl::StatusOr<::persist::Run> run = (*session)->Execute(WritePlan("shared/a.txt", "a\n"), options, "write a");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(ContentOrMissing(dir_.Sub("shared/a.txt")), "a\n");
  const std::string history = ContentOrMissing(dir_.Sub("shared/.deployment-history"));
  EXPECT_TRUE(absl::StrContains(history, "write a: run " + run->id())) << history;
}

TEST_F(SiteSessionTest, ASecondSessionIsRefusedAsLockedWhileTheFirstLives) {
  absl::StatusOr<std::unique_ptr<SiteSession>> first = SiteSession::Open(Request("deploy"));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<SiteSession>> second = SiteSession::Open(Request("switch"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(ErrorKindOf(second.status()), ErrorKind::kLocked) << second.status();
  first->reset();
  EXPECT_TRUE(SiteSession::Open(Request("switch")).ok());
}

TEST_F(SiteSessionTest, AnInterruptedRunRefusesOpenButNotOpenToRepair) {
  {
    absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(Env::Default(), dir_.path(), "test");
    ASSERT_TRUE(site.ok()) << site.status();
    ::persist::Run half;
    half.set_id("r1");
    half.set_kind("deploy");
    half.set_state(RUN_APPLYING);
    ASSERT_TRUE((*site)->store().PutRun(half).ok());
  }
  absl::StatusOr<std::unique_ptr<SiteSession>> refused = SiteSession::Open(Request());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorKindOf(refused.status()), ErrorKind::kNeedsRecovery) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "r1")) << refused.status();
  EXPECT_TRUE(SiteSession::OpenToRepair(Request("recover")).ok());
}

// The session sets the purge guard: what a run displaced is rescued, not
// lost, when its stash leaves the undo window.
TEST_F(SiteSessionTest, AStashLeavingTheUndoWindowHasItsDataRescuedFirst) {
  WriteFile(dir_.Sub("shared/notes.txt"), "the operator's notes\n");
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(Request());
  ASSERT_TRUE(session.ok()) << session.status();
  RunOptions options;
  options.undo_window = 1;
  absl::StatusOr<::persist::Run> first = (*session)->Execute(WritePlan("shared/notes.txt", "new\n"), options, "");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<::persist::Run> second = (*session)->Execute(WritePlan("shared/b.txt", "b\n"), options, "");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(ContentOrMissing(dir_.Sub(".persist/rescued/" + first->id() + "/shared/notes.txt")),
            "the operator's notes\n");
}

TEST_F(SiteSessionTest, TreeOfNewSiteReadsASiteWithoutCreatingItsPersistDirectory) {
  absl::StatusOr<std::unique_ptr<Root>> tree = SiteSession::TreeOfNewSite(Request());
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_NE(*tree, nullptr);
  EXPECT_FALSE(PathExists(dir_.Sub(".persist")));
  ASSERT_TRUE(SiteSession::Open(Request()).ok());
  tree = SiteSession::TreeOfNewSite(Request());
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(*tree, nullptr) << "a site with its .persist/ is planned on under the lock";
}

TEST_F(SiteSessionTest, TreeOfNewSiteRefusesASiteOnANetworkFilesystem) {
  FaultEnv nfs(Env::Default());
  nfs.FakeFilesystemType(0x6969);
  absl::StatusOr<std::unique_ptr<Root>> tree = SiteSession::TreeOfNewSite(Request(), &nfs);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(ErrorKindOf(tree.status()), ErrorKind::kUsage) << tree.status();
  EXPECT_TRUE(absl::StrContains(tree.status().message(), "NFS")) << tree.status();
  EXPECT_TRUE(absl::StrContains(tree.status().message(), dir_.path())) << tree.status();
  EXPECT_FALSE(PathExists(dir_.Sub(".persist")));
}

}  // namespace
}  // namespace persist
