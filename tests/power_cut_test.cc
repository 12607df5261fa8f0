// Copyright persist authors.
//
// The power-cut model: the sample plan is stopped at every mutating call,
// then everything that was not yet durable is forgotten (PowerCutEnv: unsynced
// directory entries, file data, modes and times). Recovery must then leave
// the tree exactly as before the run, or exactly as after it when the run had
// committed, never in between, and the journal must open. This proves that
// every fsync a promise needs is there, in the right order.

#include "fsops/testing/fault_env.h"
#include "fsops/testing/power_cut_env.h"
#include "gtest/gtest.h"
#include "tests/campaign.h"

namespace persist {
namespace testing {
namespace {

const std::set<std::string> kNotTheSite = {".persist", PowerCutEnv::GraveyardName()};

TEST(PowerCutTest, APowerCutAfterACommittedRunLosesNothingOfIt) {
  SampleSite site;
  PowerCutEnv power(Env::Default(), site.root());
  ASSERT_TRUE(site.Execute(&power, SamplePlan()).ok());
  const Snapshot after = TakeSnapshot(site.root(), kNotTheSite);
  power.Cut();
  EXPECT_EQ(DiffSnapshots(after, TakeSnapshot(site.root(), kNotTheSite)), "");
  absl::StatusOr<std::optional<persist::Run>> recovered = site.RecoverWith(Env::Default());
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_FALSE(recovered->has_value()) << "the run committed; there is nothing to recover";
}

TEST(PowerCutTest, APowerCutAtEveryPointRecoversToBeforeOrAfterNeverBetween) {
  int mutations = 0;
  Snapshot before, after;
  {
    SampleSite site;
    before = TakeSnapshot(site.root(), kNotTheSite);
    FaultEnv counting(Env::Default());
    ASSERT_TRUE(site.Execute(&counting, SamplePlan()).ok());
    after = WithoutMtimes(TakeSnapshot(site.root(), kNotTheSite));
    mutations = counting.mutations();
  }
  int reverted_somewhere = 0, visited = 0;
  for (int n = 1; n <= mutations; n += CampaignStride()) {
    ++visited;
    SampleSite site;
    PowerCutEnv power(Env::Default(), site.root());
    FaultEnv crashing(&power);
    crashing.CrashAt(n);
    EXPECT_FALSE(site.Execute(&crashing, SamplePlan()).ok());
    power.Cut();
    if (power.reverted() > 0) ++reverted_somewhere;
    absl::StatusOr<std::optional<persist::Run>> recovered = site.RecoverWith(Env::Default());
    ASSERT_TRUE(recovered.ok()) << "power cut at call " << n << ": " << recovered.status();
    const Snapshot now = TakeSnapshot(site.root(), kNotTheSite);
    const bool as_before = DiffSnapshots(before, now).empty();
    const bool as_after = DiffSnapshots(after, WithoutMtimes(now)).empty();
    ASSERT_TRUE(as_before || as_after)
        << "power cut at call " << n << " left the tree in between:\n"
        << DiffSnapshots(before, now);
    ASSERT_TRUE(site.Runs().ok()) << "the journal must open after a power cut at call " << n;
  }
  EXPECT_GT(reverted_somewhere, visited / 2) << "the model should have forgotten something";
}

// The run stopped once its tree copy was staged (the moment a killed deploy
// leaves a whole release to undo), then recovery stopped at each of its calls
// and the power cut: recovering again must land on before. Recovery sets the
// staged tree aside in .persist/trash/ with one rename; were the op journaled
// as undone before that rename was durable, the cut would bring the tree back
// under its temporary name, where nothing would ever remove it.
TEST(PowerCutTest, RecoveryCutAtEveryPointAfterAStagedCopyLandsOnBefore) {
  Snapshot before;
  int run_crash = 0;
  {
    SampleSite site;
    before = TakeSnapshot(site.root(), kNotTheSite);
    FaultEnv counting(Env::Default());
    counting.SetHook([&](int n, FaultEnv::Kind kind) {
      if (kind == FaultEnv::Kind::kSyncfs && run_crash == 0) run_crash = n + 1;
    });
    ASSERT_TRUE(site.Execute(&counting, SamplePlan()).ok());
  }
  ASSERT_GT(run_crash, 0) << "the sample plan stages a tree and syncs it";
  int recovery_calls = 0;
  {
    SampleSite site;
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(run_crash);
    EXPECT_FALSE(site.Execute(&crashing, SamplePlan()).ok());
    ASSERT_TRUE(PathExists(site.root() + "/releases/.persist-" +
                           site.Runs()->back().id() + "-1.tmp"))
        << "the copy should be staged, under its temporary name";
    FaultEnv counting(Env::Default());
    absl::StatusOr<std::optional<persist::Run>> recovered = site.RecoverWith(&counting);
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    recovery_calls = counting.mutations();
    ASSERT_TRUE(PathExists(site.root() + "/.persist/trash/" + site.Runs()->back().id() +
                           ".1.staged"))
        << "recovery should set the staged copy aside in the trash";
  }
  int reverted_somewhere = 0;
  for (int m = 1; m <= recovery_calls; m += CampaignStride()) {
    SampleSite site;
    FaultEnv crash_run(Env::Default());
    crash_run.CrashAt(run_crash);
    EXPECT_FALSE(site.Execute(&crash_run, SamplePlan()).ok());
    {
      PowerCutEnv power(Env::Default(), site.root());
      FaultEnv crash_recovery(&power);
      crash_recovery.CrashAt(m);
      EXPECT_FALSE(site.RecoverWith(&crash_recovery).ok()) << "recovery cut at call " << m;
      power.Cut();
      if (power.reverted() > 0) ++reverted_somewhere;
    }
    absl::StatusOr<std::optional<persist::Run>> recovered = site.RecoverWith(Env::Default());
    ASSERT_TRUE(recovered.ok()) << "recovery cut at call " << m << ": " << recovered.status();
    ASSERT_EQ(DiffSnapshots(before, TakeSnapshot(site.root(), kNotTheSite)), "")
        << "recovery cut at call " << m << " of " << recovery_calls;
    ASSERT_TRUE(site.Runs().ok()) << "the journal must open after a cut at recovery call " << m;
  }
  EXPECT_GT(reverted_somewhere, 0) << "the model should have forgotten something";
}

}  // namespace
}  // namespace testing
}  // namespace persist
