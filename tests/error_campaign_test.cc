// Copyright persist authors.
//
// The error campaign: ENOSPC, EIO, EXDEV and EACCES injected at every
// mutating call of the sample plan, and EIO at every fsync. The run must
// either absorb the error through a documented fallback and commit, or fail
// with a message naming the cause, having undone itself: the tree exactly as
// before, nothing left in the stash, nothing rescued.

#include <errno.h>
#include <string.h>

#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "base/error_kind.h"
#include "tests/campaign.h"

namespace persist {
namespace testing {
namespace {

struct Totals {
  int failed = 0;
  int absorbed = 0;
};

void InjectAt(int n, int err, FaultEnv::Kind kind, const Snapshot& after, Totals* totals) {
  SampleSite site;
  const Snapshot before = site.Take();
  FaultEnv faulty(Env::Default());
  faulty.FailAt(n, err, kind);
  absl::StatusOr<persist::Run> run = site.Execute(&faulty, SamplePlan());
  ASSERT_TRUE(faulty.injected()) << "call " << n << " was never made";
  if (run.ok()) {
    // A fallback took the error (EXDEV on a rename, say): the run committed.
    if (!BestEffortCall(faulty)) ++totals->absorbed;
    EXPECT_EQ(DiffSnapshots(WithoutMtimes(after), WithoutMtimes(site.Take())), "")
        << strerrorname_np(err) << " at call " << n << " was absorbed";
    // The fallback is undone as exactly as the ordinary path.
    absl::StatusOr<persist::Run> undone = site.UndoWith(Env::Default());
    ASSERT_TRUE(undone.ok()) << undone.status();
    EXPECT_EQ(DiffSnapshots(before, site.Take()), "") << "undo after absorbed call " << n;
  } else {
    ++totals->failed;
    // Before the journal exists the site is being prepared: a permission
    // error there is a usage error (exit 2), anything later a failed run.
    const bool preparing = !PathExists(site.root() + "/.persist/journal/data.mdb");
    const bool permission = err == EACCES;
    EXPECT_EQ(ErrorKindOf(run.status()), preparing && permission ? ErrorKind::kUsage : ErrorKind::kFailed)
        << run.status();
    const std::string message(run.status().message());
    EXPECT_NE(message.find(strerror(err)), std::string::npos)
        << "call " << n << ": the cause is missing from: " << message;
    EXPECT_EQ(DiffSnapshots(before, site.Take()), "")
        << strerrorname_np(err) << " at call " << n << ": " << message;
    if (!PathExists(site.root() + "/.persist/journal/data.mdb")) return;  // failed setting up
    absl::StatusOr<std::vector<persist::Run>> runs = site.Runs();
    ASSERT_TRUE(runs.ok()) << runs.status();
    if (!runs->empty()) {
      EXPECT_EQ(runs->back().state(), RUN_FAILED) << message;
      EXPECT_NE(message.find("was undone"), std::string::npos) << message;
    }
  }
  EXPECT_EQ(TakeSnapshot(site.root() + "/.persist/stash", {}), Snapshot()) << "call " << n;
  EXPECT_EQ(TakeSnapshot(site.root() + "/.persist/rescued", {}), Snapshot()) << "call " << n;
}

class ErrorCampaignTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    SampleSite site;
    FaultEnv counting(Env::Default());
    ASSERT_TRUE(site.Execute(&counting, SamplePlan()).ok());
    after_ = new Snapshot(site.Take());
    mutations_ = counting.mutations();
    fsyncs_ = counting.count_of(FaultEnv::Kind::kFsync);
  }
  static void TearDownTestSuite() { delete after_; }

  static Snapshot* after_;
  static int mutations_;
  static int fsyncs_;
};

Snapshot* ErrorCampaignTest::after_ = nullptr;
int ErrorCampaignTest::mutations_ = 0;
int ErrorCampaignTest::fsyncs_ = 0;

TEST_P(ErrorCampaignTest, AnErrorAtEveryCallIsUndoneOrAbsorbed) {
  const int err = GetParam();
  Totals totals;
  for (int n = 1; n <= mutations_ && !HasFailure(); n += CampaignStride()) {
    InjectAt(n, err, FaultEnv::Kind::kAny, *after_, &totals);
  }
  EXPECT_GT(totals.failed, 0);
  if (err != EXDEV) {
    EXPECT_EQ(totals.absorbed, 0) << "only EXDEV has a fallback";
  }
}

INSTANTIATE_TEST_SUITE_P(Errnos, ErrorCampaignTest, ::testing::Values(ENOSPC, EIO, EXDEV, EACCES),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(strerrorname_np(info.param));
                         });

TEST(FsyncErrorTest, AFailedFsyncAnywhereFailsTheRunWithoutRetryingAndUndoesIt) {
  SampleSite reference;
  FaultEnv counting(Env::Default());
  ASSERT_TRUE(reference.Execute(&counting, SamplePlan()).ok());
  const Snapshot after = reference.Take();
  const int fsyncs = counting.count_of(FaultEnv::Kind::kFsync);
  ASSERT_GT(fsyncs, 10);
  Totals totals;
  int visited = 0;
  for (int n = 1; n <= fsyncs && !::testing::Test::HasFailure(); n += CampaignStride()) {
    ++visited;
    InjectAt(n, EIO, FaultEnv::Kind::kFsync, after, &totals);
  }
  EXPECT_EQ(totals.absorbed, 0);
  EXPECT_EQ(totals.failed, visited);
}

TEST(FsyncErrorTest, AFailedSyncfsOfAStagedTreeFailsTheRun) {
  SampleSite site;
  const Snapshot before = site.Take();
  FaultEnv faulty(Env::Default());
  faulty.FailAt(1, EIO, FaultEnv::Kind::kSyncfs);
  absl::StatusOr<persist::Run> run = site.Execute(&faulty, SamplePlan());
  ASSERT_TRUE(faulty.injected());
  ASSERT_FALSE(run.ok());
  EXPECT_NE(std::string(run.status().message()).find("syncfs"), std::string::npos);
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

}  // namespace
}  // namespace testing
}  // namespace persist
