// Copyright persist authors.
//
// The power-cut model: the sample plan is stopped at every mutating call,
// then everything that was not yet durable is forgotten (PowerCutEnv: unsynced
// directory entries, file data, modes and times). Recovery must then leave
// the tree exactly as before the run, or exactly as after it when the run had
// committed, never in between, and the journal must open. This proves that
// every fsync a promise needs is there, in the right order.

#include "fsops/fault_env.h"
#include "fsops/power_cut_env.h"
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

}  // namespace
}  // namespace testing
}  // namespace persist
