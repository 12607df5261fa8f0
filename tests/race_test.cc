// Copyright persist authors.
//
// Races: a deploy paused mid-run (RunOptions::before_op, and the fault Env's
// hook at the entry of a mutating call) while the test swaps a directory
// for a symlink leading out of the site, as another process writing to the
// upload or the site could. persist must never follow the link, never leave
// shared/ or a release leading out of the site, fail the run naming the
// path, and leave the site exactly as before (but for the swap itself).
// The links lead to a directory of the test's own temporary directory.

#include <stdio.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "workflows/deploy_flow.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "journal/recovery.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "spdlog/spdlog.h"
#include "tests/testing/sample_release.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {
namespace {

// The sample Laravel release; v2 ships a new persistent directory,
// public/invoices/.
void WriteRelease(const std::string& dir, const std::string& version) {
  SampleRelease release = SampleRelease::Laravel(version);
  if (version != "v1") release.File("public/invoices/.gitkeep", "");
  release.Write(dir);
}

// Swaps the directory `path` for a symlink to `target`, keeping the
// directory at `keep`: what a hostile process would do between two calls.
void SwapForSymlink(const std::string& path, const std::string& target, const std::string& keep) {
  ASSERT_EQ(rename(path.c_str(), keep.c_str()), 0) << path;
  MakeSymlink(target, path);
}

void SwapBack(const std::string& path, const std::string& keep) {
  ASSERT_EQ(unlink(path.c_str()), 0) << path;
  ASSERT_EQ(rename(keep.c_str(), path.c_str()), 0) << path;
}

class RaceTest : public ::testing::Test {
 protected:
  RaceTest() {
    spdlog::set_level(spdlog::level::off);
    MakeDir(site());
    WriteRelease(upload("v1"), "v1");
    WriteRelease(upload("v2"), "v2");
    WriteFile(outside() + "/secret.txt", "outside the site; persist must never write here\n");
    outside_before_ = TakeSnapshot(outside());
  }

  std::string site() const { return dir_.Sub("site"); }
  std::string upload(const std::string& v) const { return dir_.Sub("uploads/" + v); }
  std::string outside() const { return dir_.Sub("outside"); }
  std::string kept() const { return dir_.Sub("kept-aside"); }

  // Deploys `v` through a fault Env. `pause(index, env)` runs before op
  // `index` of the plan (before its check) and may arm env's hook; `pick`
  // names the op it waits for.
  absl::StatusOr<persist::Run> Deploy(const std::string& v,
                                      const std::function<bool(const Op&)>& pick,
                                      const std::function<void(FaultEnv*)>& pause) {
    absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(&env_, site(), "deploy");
    if (!opened.ok()) return opened.status();
    DeployRequest request;
    request.source = upload(v);
    request.release_id = v;
    absl::StatusOr<DeployPlan> planned = PlanSiteDeploy(**opened, request, /*keep=*/5);
    if (!planned.ok()) return planned.status();
    int target = -1;
    for (int i = 0; i < planned->plan.op_size(); ++i) {
      if (target < 0 && pick(planned->plan.op(i))) target = i;
    }
    EXPECT_GE(target, 0) << "the plan has no such op";
    RunOptions options = DeployRunOptions(**opened, *planned);
    std::function<absl::Status(int, persist::Run*)> check = options.before_op;
    options.before_op = [&](int index, persist::Run* run) -> absl::Status {
      if (index == target) pause(&env_);
      return check(index, run);
    };
    return ExecutePlan(**opened, planned->plan, options);
  }

  absl::StatusOr<persist::Run> DeployPlain(const std::string& v) {
    return Deploy(v, [](const Op&) { return true; }, [](FaultEnv*) {});
  }

  // After a hostile swap: the run failed naming `path`, nothing outside the
  // site changed, and nothing the run left behind leads out of the site.
  void ExpectRefused(const absl::StatusOr<persist::Run>& run, const std::string& path,
                     const std::string& why) {
    ASSERT_FALSE(run.ok()) << "the deploy committed over a swapped " << path;
    const std::string message(run.status().message());
    EXPECT_TRUE(absl::StrContains(message, path)) << message;
    EXPECT_TRUE(absl::StrContains(message, why)) << message << "\n(wanted: " << why << ")";
    EXPECT_TRUE(absl::StrContains(message, "was undone")) << message;
    EXPECT_EQ(DiffSnapshots(outside_before_, TakeSnapshot(outside())), "") << "written through the link";
  }

  testing::TempDir dir_;
  FaultEnv env_{Env::Default()};
  Snapshot outside_before_;
  bool swapped_ = false;  // the hook swaps once
};

bool IsImport(const Op& op) { return op.has_import(); }
bool MovesUploadsToShared(const Op& op) {
  return op.has_move() && op.move().to() == "shared/public/uploads";
}
bool MovesInvoicesToShared(const Op& op) {
  return op.has_move() && op.move().to() == "shared/public/invoices";
}

// Planned from the upload, then the upload's public/uploads becomes a link
// before the import copies it: the import copies the link as a link, and
// the move that would carry it into shared/ finds a symlink where the plan
// recorded a directory (ops.h CheckPreconditions) and stops the run.
TEST_F(RaceTest, AnUploadDirectorySwappedAfterPlanningIsCaughtByTheCheckBeforeItsMove) {
  const Snapshot before = TakeSnapshot(site());
  absl::StatusOr<persist::Run> run = Deploy("v1", IsImport, [&](FaultEnv*) {
    SwapForSymlink(upload("v1") + "/public/uploads", outside(), kept());
  });
  ExpectRefused(run, "releases/v1/public/uploads", "changed while the run was under way");
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(site())), "");
}

// The move's own check passes; the swap happens at the op's first mutating
// call (its start mark), between the check and the rename, so the rename
// carries the link into shared/. The deploy's check of what it placed
// (DeployRunOptions, outcome.h) finds it before the run commits.
TEST_F(RaceTest, AReleaseDirectorySwappedBetweenItsCheckAndItsMoveIsCaughtBeforeTheRunCommits) {
  const Snapshot before = TakeSnapshot(site());
  absl::StatusOr<persist::Run> run = Deploy("v1", MovesUploadsToShared, [&](FaultEnv* env) {
    env->SetHook([&](int, FaultEnv::Kind) {
      if (swapped_) return;
      swapped_ = true;
      SwapForSymlink(site() + "/releases/v1/public/uploads", outside(), kept());
    });
  });
  ExpectRefused(run, "shared/public/uploads", "is a symlink");
  // The swapped-in link was not the run's: undo kept it in .persist/rescued/
  // rather than delete it; everything else is as before.
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(site())), "");
  EXPECT_FALSE(PathExists(site() + "/shared/public/uploads"));
}

// The same race in a plan of one's own (persist exec): no planner checks
// what the run placed, the run itself does, op by op (transaction.cc
// CheckOutcome).
TEST_F(RaceTest, ADirectorySwappedBetweenAnExecMovesCheckAndItsRenameIsCaught) {
  WriteFile(site() + "/data/report.txt", "a report\n");
  const Snapshot before = TakeSnapshot(site());
  absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(&env_, site(), "exec");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Plan plan;
  plan.add_op()->mutable_move()->set_from("data");
  plan.mutable_op(0)->mutable_move()->set_to("archive");
  RunOptions options;
  // Armed before the op's check: the swap comes at its first mutating call
  // (its start mark), after the check and before the rename.
  options.before_op = [&](int index, persist::Run*) {
    if (index != 0) return absl::OkStatus();
    env_.SetHook([&](int, FaultEnv::Kind) {
      if (swapped_) return;
      swapped_ = true;
      SwapForSymlink(site() + "/data", outside(), kept());
    });
    return absl::OkStatus();
  };
  absl::StatusOr<persist::Run> run = ExecutePlan(**opened, plan, options);
  env_.SetHook(nullptr);
  ASSERT_TRUE(swapped_);
  ExpectRefused(run, "archive", "is a symlink");
  EXPECT_FALSE(PathExists(site() + "/archive"));
  SwapBack(site() + "/data", kept());
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(site())), "");
}

// On a live site, shared/public becomes a link out of the site just before
// the op that seeds shared/public/invoices: resolution beneath the root never
// follows a symlink, so nothing is written through it. Once the directory
// is back, the site is exactly as before the deploy.
TEST_F(RaceTest, ASharedDirectorySwappedMidRunIsNeverFollowed) {
  ASSERT_TRUE(DeployPlain("v1").ok());
  WriteFile(site() + "/shared/public/uploads/user.jpg", "a user's photo");
  const Snapshot before = TakeSnapshot(site());
  absl::StatusOr<persist::Run> run = Deploy("v2", MovesInvoicesToShared, [&](FaultEnv*) {
    SwapForSymlink(site() + "/shared/public", outside(), kept());
  });
  ExpectRefused(run, "shared/public", "never follows symlinks");
  EXPECT_FALSE(PathExists(outside() + "/invoices"));
  SwapBack(site() + "/shared/public", kept());
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(site())), "");
}

}  // namespace
}  // namespace testing
}  // namespace persist
