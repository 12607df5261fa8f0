// Copyright persist authors.
//
// The crash campaign (DESIGN.md promises 1-7): the sample plan is stopped
// dead at its Nth mutating call, for every N, through FaultEnv; recovery then
// runs on a fresh journal handle and the whole tree must be byte for byte as
// before the run, or as after it when the run had committed. Then recovery
// itself is stopped at every point, and run again.

#include <stdio.h>
#include <stdlib.h>

#include <optional>
#include <set>
#include <string>

#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "tests/campaign.h"

namespace persist {
namespace testing {
namespace {

struct Reference {
  Snapshot before;
  Snapshot after;
  int mutations = 0;
};

// An uninterrupted run: the before and after trees and how many mutating
// calls the run makes.
Reference Measure(bool group_intents, unsigned refused_rename_flags = 0) {
  SampleSite site;
  Reference ref;
  ref.before = site.Take();
  FaultEnv counting(Env::Default());
  counting.RefuseRenameFlags(refused_rename_flags);
  absl::StatusOr<persist::Run> run = site.Execute(&counting, SamplePlan(), group_intents);
  EXPECT_TRUE(run.ok()) << run.status();
  ref.after = site.Take();
  ref.mutations = counting.mutations();
  return ref;
}

// Crashes a run at call `n`, recovers, and checks the tree. Returns whether
// the crash left a run to recover.
bool CrashThenRecover(const Reference& ref, int n, bool group_intents, SampleSite& site,
                      unsigned refused_rename_flags) {
  FaultEnv crashing(Env::Default());
  crashing.CrashAt(n);
  crashing.RefuseRenameFlags(refused_rename_flags);
  absl::StatusOr<persist::Run> run = site.Execute(&crashing, SamplePlan(), group_intents);
  EXPECT_TRUE(crashing.crashed());
  EXPECT_FALSE(run.ok());
  absl::StatusOr<std::optional<persist::Run>> recovered = site.RecoverWith(Env::Default());
  EXPECT_TRUE(recovered.ok()) << recovered.status();
  if (!recovered.ok()) return false;
  const bool had_run = recovered->has_value();
  absl::StatusOr<std::vector<persist::Run>> runs = site.Runs();
  EXPECT_TRUE(runs.ok()) << runs.status();
  const bool committed = runs.ok() && !runs->empty() && runs->back().state() == RUN_COMMITTED;
  if (committed) {
    // Objects the run created carry this run's times; compare the rest.
    EXPECT_EQ(DiffSnapshots(WithoutMtimes(ref.after), WithoutMtimes(site.Take())), "")
        << "crash at mutating call " << n << " after the run committed";
  } else {
    // Recovered, or stopped before its intent was recorded: as before.
    EXPECT_EQ(DiffSnapshots(ref.before, site.Take()), "") << "crash at mutating call " << n;
  }
  return had_run;
}

// The undo must leave no stash behind, and rescue nothing: nobody else
// wrote to the site. The trash holds only staged objects that undo set
// aside (<run>.<index>.staged), never anything that was visible.
void ExpectNothingLeftOver(const SampleSite& site, int n) {
  EXPECT_EQ(TakeSnapshot(site.root() + "/.persist/stash", {}), Snapshot()) << "crash at " << n;
  EXPECT_EQ(TakeSnapshot(site.root() + "/.persist/rescued", {}), Snapshot()) << "crash at " << n;
  if (!PathExists(site.root() + "/.persist/trash")) return;
  for (const auto& [path, desc] : TakeSnapshot(site.root() + "/.persist/trash", {})) {
    const std::string top = path.substr(0, path.find('/'));
    EXPECT_TRUE(top.size() > 7 && top.compare(top.size() - 7, 7, ".staged") == 0)
        << "crash at " << n << ": " << path << " in the trash";
  }
}

void RunCrashCampaign(bool group_intents, unsigned refused_rename_flags = 0) {
  const Reference ref = Measure(group_intents, refused_rename_flags);
  ASSERT_GT(ref.mutations, 40) << "the sample plan should exercise many calls";
  ASSERT_NE(DiffSnapshots(ref.before, ref.after), "");
  int recovered = 0, visited = 0;
  for (int n = 1; n <= ref.mutations; n += CampaignStride()) {
    ++visited;
    SampleSite site;
    ASSERT_EQ(DiffSnapshots(ref.before, site.Take()), "");
    if (CrashThenRecover(ref, n, group_intents, site, refused_rename_flags)) {
      ++recovered;
      ExpectNothingLeftOver(site, n);
    }
    if (::testing::Test::HasFailure()) {
      FAIL() << "stopped at the first failing crash point, N = " << n << " of " << ref.mutations;
    }
  }
  EXPECT_GT(recovered, visited / 2);
}

TEST(CrashCampaignTest, RecoverAfterACrashAtEveryMutatingCallRestoresTheTreeExactly) {
  RunCrashCampaign(/*group_intents=*/true);
}

TEST(CrashCampaignTest, RecoverIsExactWithIntentsJournaledOpByOp) {
  RunCrashCampaign(/*group_intents=*/false);
}

// Filesystems without renameat2's flags take the fallback sequences, which
// must be just as recoverable. (The exchange op needs the flag, so this plan
// keeps RENAME_EXCHANGE and refuses RENAME_NOREPLACE; the next test drops
// exchange.)
TEST(CrashCampaignTest, RecoverIsExactWhereRenameNoReplaceIsMissing) {
  RunCrashCampaign(/*group_intents=*/true, RENAME_NOREPLACE);
}

// Sets an environment variable for the life of the scope.
class ScopedEnvVar {
 public:
  ScopedEnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnvVar() {
    if (old_.has_value()) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(CrashCampaignTest, RecoveryCrashedAtEveryPointIsRepairedByRecoveringAgain) {
  // Each run crash point is paired with every call its recovery makes, so a
  // crash at N must leave the same tree each time: the tree copies run on
  // one thread here (with workers, which of their calls come before N
  // varies). The other campaigns run the workers.
  ScopedEnvVar one_thread("PERSIST_COPY_WORKERS", "1");
  const Reference ref = Measure(true);
  // Every fourth crash point of the run, and its last ones, where the swaps
  // of existing paths happen; recovery is then crashed at each of its calls.
  std::set<int> run_points;
  for (int n = 2; n < ref.mutations; n += 4 * CampaignStride()) run_points.insert(n);
  for (int n = ref.mutations - 12; n < ref.mutations; ++n) run_points.insert(n);
  for (int n : run_points) {
    // How many mutating calls recovery makes from this crash point.
    int recovery_calls = 0;
    {
      SampleSite site;
      FaultEnv crashing(Env::Default());
      crashing.CrashAt(n);
      (void)site.Execute(&crashing, SamplePlan());
      FaultEnv counting(Env::Default());
      absl::StatusOr<std::optional<persist::Run>> recovered = site.RecoverWith(&counting);
      ASSERT_TRUE(recovered.ok()) << recovered.status();
      // Crashes before the intent commit leave nothing to recover.
      recovery_calls = recovered->has_value() ? counting.mutations() : 0;
      ASSERT_EQ(DiffSnapshots(ref.before, site.Take()), "");
    }
    if (recovery_calls == 0) continue;  // crashed before anything needed undoing
    for (int m = 1; m <= recovery_calls; m += CampaignStride()) {
      SampleSite site;
      FaultEnv crash_run(Env::Default());
      crash_run.CrashAt(n);
      (void)site.Execute(&crash_run, SamplePlan());
      FaultEnv crash_recovery(Env::Default());
      crash_recovery.CrashAt(m);
      absl::StatusOr<std::optional<persist::Run>> first = site.RecoverWith(&crash_recovery);
      EXPECT_FALSE(first.ok());
      absl::StatusOr<std::optional<persist::Run>> second = site.RecoverWith(Env::Default());
      ASSERT_TRUE(second.ok()) << second.status() << " (run crash " << n << ", recovery crash " << m << ")";
      EXPECT_TRUE(second->has_value());
      ASSERT_EQ(DiffSnapshots(ref.before, site.Take()), "")
          << "run crashed at " << n << ", recovery crashed at " << m;
      ASSERT_EQ(TakeSnapshot(site.root() + "/.persist/stash", {}), Snapshot())
          << "undo left data in the stash; run crashed at " << n << ", recovery crashed at " << m;
    }
  }
}

TEST(CrashCampaignTest, UndoCrashedAtEveryPointIsFinishedByRecover) {
  const Reference ref = Measure(true);
  int undo_calls = 0;
  {
    SampleSite site;
    ASSERT_TRUE(site.Execute(Env::Default(), SamplePlan()).ok());
    FaultEnv counting(Env::Default());
    ASSERT_TRUE(site.UndoWith(&counting).ok());
    undo_calls = counting.mutations();
    ASSERT_EQ(DiffSnapshots(ref.before, site.Take()), "");
  }
  for (int m = 1; m <= undo_calls; m += CampaignStride()) {
    SampleSite site;
    ASSERT_TRUE(site.Execute(Env::Default(), SamplePlan()).ok());
    const Snapshot after = site.Take();
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(m);
    EXPECT_FALSE(site.UndoWith(&crashing).ok());
    absl::StatusOr<std::optional<persist::Run>> recovered = site.RecoverWith(Env::Default());
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    // A crash before the undo was journaled leaves the run committed.
    const Snapshot& expected = recovered->has_value() ? ref.before : after;
    ASSERT_EQ(DiffSnapshots(expected, site.Take()), "") << "undo crashed at " << m;
  }
}

}  // namespace
}  // namespace testing
}  // namespace persist
