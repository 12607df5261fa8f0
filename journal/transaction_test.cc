// Copyright persist authors.

#include "journal/transaction.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "fsops/env.h"
#include "fsops/testing/fault_env.h"
#include "fsops/ops.h"
#include "fsops/trash.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "base/error_kind.h"
#include "base/next_step.h"
#include "journal/recovery.h"
#include "journal/site.h"
#include "journal/store.h"
#include "proto/journal.pb.h"
#include "tests/testing/as_ordinary_user.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::BuildSampleSite;
using ::persist::testing::ChildResult;
using ::persist::testing::DiffSnapshots;
using ::persist::testing::RunWithoutPermissionOverride;
using ::persist::testing::MakeDir;
using ::persist::testing::PathExists;
using ::persist::testing::ReadFile;
using ::persist::testing::SamplePlanText;
using ::persist::testing::Snapshot;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::ContentOrMissing;
using ::persist::testing::WriteFile;


Plan ParsePlanText(const std::string& text) {
  Plan plan;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &plan)) << text;
  return plan;
}

bool Contains(absl::string_view text, absl::string_view part) { return absl::StrContains(text, part); }

// Every non-directory beneath `dir`.
Snapshot FilesBeneath(const std::string& dir) {
  Snapshot files;
  if (!PathExists(dir)) return files;
  for (const auto& [path, desc] : TakeSnapshot(dir, {})) {
    if (desc.rfind("dir ", 0) != 0) files[path] = desc;
  }
  return files;
}


class TransactionTest : public ::testing::Test {
 protected:
  // The journal's Run, not ::testing::Test::Run.
  using Run = ::persist::Run;

  void SetUp() override {
    BuildSampleSite(dir_.path());
    before_ = Take();
  }

  Snapshot Take() const { return TakeSnapshot(dir_.path()); }

  // The site with a purge guard that lets every stash go: these tests are
  // about the journal alone (workflows/purge_guard.h rescues data first).
  std::unique_ptr<Site> OpenSite(Env* env = Env::Default()) {
    absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(env, dir_.path(), "test");
    EXPECT_TRUE(site.ok()) << site.status();
    if (!site.ok()) return nullptr;
    (*site)->set_purge_guard([](Site&, Run&) { return absl::OkStatus(); });
    return std::move(*site);
  }

  std::vector<Run> Runs(Site& site) {
    absl::StatusOr<std::vector<Run>> runs = site.store().ListRuns();
    EXPECT_TRUE(runs.ok()) << runs.status();
    return runs.ok() ? *runs : std::vector<Run>();
  }

  TempDir dir_;
  Snapshot before_;
};

TEST_F(TransactionTest, TheSamplePlanCommitsAndUndoLatestRestoresTheTreeExactly) {
  std::unique_ptr<Site> site = OpenSite();
  const Plan plan = ParsePlanText(SamplePlanText());
  absl::StatusOr<Run> run = ExecutePlan(*site, plan, RunOptions());
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), RUN_COMMITTED);
  EXPECT_EQ(run->op_count(), static_cast<uint32_t>(plan.op_size()));
  EXPECT_EQ(run->kind(), "exec");
  EXPECT_EQ(run->pid(), getpid());
  EXPECT_GT(run->end_ns(), run->start_ns());
  // The tree changed as planned.
  EXPECT_EQ(ContentOrMissing(dir_.Sub("shared/.env")), "APP_KEY=base64:new\n");
  EXPECT_EQ(ContentOrMissing(dir_.Sub("releases/r1/index.php")), "<?php echo 'v2';\n");
  EXPECT_FALSE(PathExists(dir_.Sub("incoming/v2")));
  // The journal holds the committed run and every op, applied.
  absl::StatusOr<Run> stored = site->store().GetRun(run->id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state(), RUN_COMMITTED);
  absl::StatusOr<std::vector<OpRecord>> ops = site->store().GetOps(run->id());
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(ops->size(), static_cast<size_t>(plan.op_size()));
  for (const OpRecord& op : *ops) {
    EXPECT_EQ(op.status(), OP_APPLIED) << op.index();
    EXPECT_EQ(op.before_size(), static_cast<int>(OpPaths(op.op()).size())) << op.index();
    EXPECT_EQ(op.after_size(), static_cast<int>(OpPaths(op.op()).size())) << op.index();
  }

  absl::StatusOr<Run> undone = UndoLatest(*site, "");
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(undone->id(), run->id());
  EXPECT_EQ(undone->state(), RUN_UNDONE);
  EXPECT_TRUE(undone->rescued().empty());
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  EXPECT_EQ(FilesBeneath(dir_.Sub(".persist/stash")), Snapshot());
  EXPECT_EQ(FilesBeneath(dir_.Sub(".persist/rescued")), Snapshot());
  ops = site->store().GetOps(run->id());
  ASSERT_TRUE(ops.ok());
  for (const OpRecord& op : *ops) EXPECT_EQ(op.status(), OP_UNDONE) << op.index();
}

TEST_F(TransactionTest, OneIntentPerOpCommitsAndUndoesTheSame) {
  std::unique_ptr<Site> site = OpenSite();
  RunOptions options;
  options.group_intents = false;
  absl::StatusOr<Run> run = ExecutePlan(*site, ParsePlanText(SamplePlanText()), options);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), RUN_COMMITTED);
  const Snapshot after = Take();
  EXPECT_NE(DiffSnapshots(before_, after), "");
  absl::StatusOr<Run> undone = UndoLatest(*site, run->id());
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
}

TEST_F(TransactionTest, GroupedAndPerOpIntentsLeaveTheSameTree) {
  std::unique_ptr<Site> site = OpenSite();
  ASSERT_TRUE(ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions()).ok());
  const Snapshot grouped = Take();
  site.reset();

  TempDir other;
  BuildSampleSite(other.path());
  absl::StatusOr<std::unique_ptr<Site>> other_site =
      Site::OpenForWriting(Env::Default(), other.path(), "test");
  ASSERT_TRUE(other_site.ok());
  RunOptions per_op;
  per_op.group_intents = false;
  ASSERT_TRUE(ExecutePlan(**other_site, ParsePlanText(SamplePlanText()), per_op).ok());
  const Snapshot separate = TakeSnapshot(other.path());
  // New objects carry their own mtimes; compare everything else.
  ASSERT_EQ(grouped.size(), separate.size());
  for (const auto& [path, desc] : grouped) {
    auto it = separate.find(path);
    ASSERT_NE(it, separate.end()) << path;
    EXPECT_EQ(desc.substr(0, desc.find(" mtime=")), it->second.substr(0, it->second.find(" mtime=")))
        << path;
  }
}

TEST_F(TransactionTest, APlanWithAnOpThatCannotRunTouchesNothing) {
  std::unique_ptr<Site> site = OpenSite();
  const Plan plan = ParsePlanText(R"(
    op { mkdir { path: "releases/r2" } }
    op { write { path: "shared/.env" content: "x" } }
    op { remove { path: "releases/r0" } }
    op { symlink { target: "releases/r2" path: "current" } }
  )");
  absl::StatusOr<Run> run = ExecutePlan(*site, plan, RunOptions());
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(ErrorKindOf(run.status()), ErrorKind::kUsage) << run.status();
  EXPECT_TRUE(Contains(run.status().message(), "op 3")) << run.status();
  EXPECT_TRUE(Contains(run.status().message(), "releases/r0")) << run.status();
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  EXPECT_TRUE(Runs(*site).empty()) << "a refused plan left a run in the journal";
  EXPECT_EQ(FilesBeneath(dir_.Sub(".persist/stash")), Snapshot());
}

// An op whose parent directory does not exist (and that no earlier op of the
// plan creates) cannot run: like a remove of a missing path, it is refused
// before anything is recorded or touched.
TEST_F(TransactionTest, AnOpUnderAMissingDirectoryIsRefusedWithNothingTouched) {
  std::unique_ptr<Site> site = OpenSite();
  for (const char* text : {
           R"(op { mkdir { path: "no/such/dir" } })",
           R"(op { write { path: "no/such/file" content: "x" } })",
           R"(op { symlink { target: "x" path: "no/such/link" } })",
           R"(op { copy { from: "incoming/v2" to: "no/such/copy" } })",
           R"(op { move { from: "shared/.env" to: "no/such/.env" } })",
       }) {
    absl::StatusOr<Run> run = ExecutePlan(*site, ParsePlanText(text), RunOptions());
    ASSERT_FALSE(run.ok()) << text;
    EXPECT_EQ(ErrorKindOf(run.status()), ErrorKind::kUsage) << text << ": " << run.status();
    EXPECT_TRUE(Contains(run.status().message(), "no/such")) << run.status();
  }
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  EXPECT_TRUE(Runs(*site).empty()) << "a plan that cannot run left runs in the journal";
}

TEST_F(TransactionTest, AnOpUnderAFileIsRefusedWithNothingTouched) {
  std::unique_ptr<Site> site = OpenSite();
  absl::StatusOr<Run> run = ExecutePlan(
      *site, ParsePlanText(R"(op { write { path: "shared/.env/x" content: "x" } })"), RunOptions());
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(ErrorKindOf(run.status()), ErrorKind::kUsage) << run.status();
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  EXPECT_TRUE(Runs(*site).empty());
}

TEST_F(TransactionTest, AnOpThatOnlyAnEarlierOpMakesPossibleIsAccepted) {
  std::unique_ptr<Site> site = OpenSite();
  const Plan plan = ParsePlanText(R"(
    op { write { path: "shared/new" content: "x" } }
    op { remove { path: "shared/new" } }
  )");
  absl::StatusOr<Run> run = ExecutePlan(*site, plan, RunOptions());
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
}

TEST_F(TransactionTest, AnInvalidPathIsAUsageErrorAndTouchesNothing) {
  std::unique_ptr<Site> site = OpenSite();
  for (const char* text : {R"(op { remove { path: "../outside" } })",
                           R"(op { write { path: ".persist/lock" content: "x" } })",
                           R"(op { copy { from: "a" to: "a/b" } })",
                           R"(op { })"}) {
    absl::StatusOr<Run> run = ExecutePlan(*site, ParsePlanText(text), RunOptions());
    ASSERT_FALSE(run.ok()) << text;
    EXPECT_EQ(ErrorKindOf(run.status()), ErrorKind::kUsage) << run.status();
    EXPECT_TRUE(Contains(run.status().message(), "op 1")) << run.status();
  }
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  EXPECT_TRUE(Runs(*site).empty());
}

// The mutating calls of one clean run of the sample plan, counted from
// after the site is opened.
int CountRunCalls(bool group_intents) {
  TempDir dir;
  BuildSampleSite(dir.path());
  FaultEnv counting(Env::Default());
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&counting, dir.path(), "test");
  EXPECT_TRUE(site.ok());
  const int opened = counting.mutations();
  RunOptions options;
  options.group_intents = group_intents;
  EXPECT_TRUE(ExecutePlan(**site, ParsePlanText(SamplePlanText()), options).ok());
  return counting.mutations() - opened;
}

TEST_F(TransactionTest, AnOpThatFailsMidRunIsUndoneBeforeExecutePlanReturns) {
  const int calls = CountRunCalls(true);
  ASSERT_GT(calls, 20);
  // The intent commit is call 1; fail every other call from there on at a
  // spread of points, including the last (the final commit).
  std::vector<int> points;
  for (int n = 2; n <= calls; n += std::max(1, calls / 16)) points.push_back(n);
  points.push_back(calls);
  for (int n : points) {
    TempDir dir;
    BuildSampleSite(dir.path());
    const Snapshot before = TakeSnapshot(dir.path());
    FaultEnv fault(Env::Default());
    absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&fault, dir.path(), "test");
    ASSERT_TRUE(site.ok());
    fault.FailAt(fault.mutations() + n, ENOSPC);
    absl::StatusOr<Run> run = ExecutePlan(**site, ParsePlanText(SamplePlanText()), RunOptions());
    ASSERT_TRUE(fault.injected()) << "call " << n;
    ASSERT_FALSE(run.ok()) << "ENOSPC at call " << n << " went unnoticed";
    EXPECT_EQ(ErrorKindOf(run.status()), ErrorKind::kFailed) << run.status();
    EXPECT_TRUE(Contains(run.status().message(), "undone")) << "call " << n << ": " << run.status();
    EXPECT_TRUE(Contains(run.status().message(), "No space left on device")) << run.status();
    EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(dir.path())), "") << "ENOSPC at call " << n;
    absl::StatusOr<std::vector<Run>> runs = (*site)->store().ListRuns();
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ((*runs)[0].state(), RUN_FAILED) << "call " << n;
    EXPECT_FALSE((*runs)[0].error().empty());
    EXPECT_TRUE((*runs)[0].rescued().empty());
    EXPECT_EQ(FilesBeneath(dir.Sub(".persist/stash")), Snapshot()) << "call " << n;
  }
}

TEST_F(TransactionTest, AFailedIntentCommitChangesNothing) {
  FaultEnv fault(Env::Default());
  std::unique_ptr<Site> site = OpenSite(&fault);
  fault.FailAt(1, ENOSPC, FaultEnv::Kind::kJournal);
  absl::StatusOr<Run> run = ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions());
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(ErrorKindOf(run.status()), ErrorKind::kFailed);
  EXPECT_TRUE(Contains(run.status().message(), "nothing was changed")) << run.status();
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  EXPECT_TRUE(Runs(*site).empty());
}

TEST_F(TransactionTest, AChangeMadeBySomeoneElseAfterPlanningStopsTheRun) {
  FaultEnv fault(Env::Default());
  std::unique_ptr<Site> site = OpenSite(&fault);
  // Right after the intents are committed (the first journal write), another
  // process creates the copy's destination.
  bool planted = false;
  fault.SetHook([&](int, FaultEnv::Kind kind) {
    if (kind == FaultEnv::Kind::kJournal && !planted) {
      planted = true;
      MakeDir(dir_.Sub("releases/r2"));
      WriteFile(dir_.Sub("releases/r2/theirs.txt"), "someone else's");
    }
  });
  absl::StatusOr<Run> run = ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions());
  ASSERT_TRUE(planted);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(ErrorKindOf(run.status()), ErrorKind::kFailed);
  EXPECT_TRUE(Contains(run.status().message(), "releases/r2")) << run.status();
  EXPECT_TRUE(Contains(run.status().message(), "undone")) << run.status();
  Snapshot expected = before_;
  expected["releases/r2"] = TakeSnapshot(dir_.path())["releases/r2"];
  expected["releases/r2/theirs.txt"] = TakeSnapshot(dir_.path())["releases/r2/theirs.txt"];
  EXPECT_EQ(DiffSnapshots(expected, Take()), "");
  EXPECT_EQ(ContentOrMissing(dir_.Sub("releases/r2/theirs.txt")), "someone else's");
}

TEST_F(TransactionTest, RunsAreUndoneNewestFirst) {
  std::unique_ptr<Site> site = OpenSite();
  absl::StatusOr<Run> first = ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions());
  ASSERT_TRUE(first.ok()) << first.status();
  const Snapshot after_first = Take();
  absl::StatusOr<Run> second = ExecutePlan(
      *site, ParsePlanText(R"(op { write { path: "shared/.env" content: "APP_KEY=third\n" mode: 0600 } })"),
      RunOptions());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(first->id(), second->id());
  EXPECT_LT(first->id(), second->id());

  absl::StatusOr<Run> refused = UndoLatest(*site, first->id());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorKindOf(refused.status()), ErrorKind::kUsage) << refused.status();
  EXPECT_TRUE(Contains(refused.status().message(), second->id())) << refused.status();
  EXPECT_EQ(ContentOrMissing(dir_.Sub("shared/.env")), "APP_KEY=third\n");

  absl::StatusOr<Run> unknown = UndoLatest(*site, "20000101T000000Z");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(ErrorKindOf(unknown.status()), ErrorKind::kUsage) << unknown.status();

  ASSERT_TRUE(UndoLatest(*site, second->id()).ok());
  EXPECT_EQ(DiffSnapshots(after_first, Take()), "");
  absl::StatusOr<Run> undone_first = UndoLatest(*site, "");
  ASSERT_TRUE(undone_first.ok()) << undone_first.status();
  EXPECT_EQ(undone_first->id(), first->id());
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");

  absl::StatusOr<Run> nothing = UndoLatest(*site, "");
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(ErrorKindOf(nothing.status()), ErrorKind::kUsage) << nothing.status();
  // An undone run cannot be undone again by name either.
  absl::StatusOr<Run> again = UndoLatest(*site, first->id());
  EXPECT_EQ(ErrorKindOf(again.status()), ErrorKind::kUsage) << again.status();
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
}

TEST_F(TransactionTest, UndoOfACommittedRunKeepsAFileAddedInsideACopiedDirectory) {
  std::unique_ptr<Site> site = OpenSite();
  absl::StatusOr<Run> run = ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions());
  ASSERT_TRUE(run.ok()) << run.status();
  // The live app writes into the new release.
  WriteFile(dir_.Sub("releases/r2/storage/framework/cache/session.dat"), "a user's session");
  absl::StatusOr<Run> undone = UndoLatest(*site, "");
  ASSERT_TRUE(undone.ok()) << undone.status();
  const std::string kept =
      ".persist/rescued/" + run->id() + "/releases/r2/storage/framework/cache/session.dat";
  EXPECT_EQ(std::vector<std::string>(undone->rescued().begin(), undone->rescued().end()),
            std::vector<std::string>{kept});
  EXPECT_EQ(ContentOrMissing(dir_.Sub(kept)), "a user's session");
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  absl::StatusOr<Run> stored = site->store().GetRun(run->id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->rescued_size(), 1);
}

TEST_F(TransactionTest, AnInterruptedRunBlocksEveryChangeUntilRecovered) {
  const int calls = CountRunCalls(true);
  {
    FaultEnv crashing(Env::Default());
    std::unique_ptr<Site> site = OpenSite(&crashing);
    crashing.CrashAt(crashing.mutations() + calls / 2);
    absl::StatusOr<Run> run = ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions());
    ASSERT_TRUE(crashing.crashed());
    ASSERT_FALSE(run.ok());
  }  // The process is gone: its lock with it.
  ASSERT_NE(DiffSnapshots(before_, Take()), "") << "the crash should leave a half-done run";

  std::unique_ptr<Site> site = OpenSite();
  std::vector<Run> runs = Runs(*site);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state(), RUN_APPLYING);

  absl::StatusOr<Run> blocked = ExecutePlan(
      *site, ParsePlanText(R"(op { write { path: "shared/x" content: "x" } })"), RunOptions());
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(ErrorKindOf(blocked.status()), ErrorKind::kNeedsRecovery) << blocked.status();
  EXPECT_TRUE(Contains(blocked.status().message(), runs[0].id())) << blocked.status();
  EXPECT_EQ(NextStepOf(blocked.status()).step, NextStep::kRecover) << blocked.status();
  EXPECT_FALSE(PathExists(dir_.Sub("shared/x")));
  absl::StatusOr<Run> undo = UndoLatest(*site, "");
  EXPECT_EQ(ErrorKindOf(undo.status()), ErrorKind::kNeedsRecovery) << undo.status();

  absl::StatusOr<std::optional<Run>> recovered = Recover(*site);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_TRUE(recovered->has_value());
  EXPECT_EQ((*recovered)->id(), runs[0].id());
  EXPECT_EQ((*recovered)->state(), RUN_UNDONE);
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  EXPECT_EQ(FilesBeneath(dir_.Sub(".persist/stash")), Snapshot());

  absl::StatusOr<std::optional<Run>> nothing = Recover(*site);
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());
  absl::StatusOr<Run> after = ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions());
  EXPECT_TRUE(after.ok()) << after.status();
}

TEST_F(TransactionTest, ARecoveryThatIsItselfInterruptedFinishesWhenRunAgain) {
  const int calls = CountRunCalls(true);
  {
    FaultEnv crashing(Env::Default());
    std::unique_ptr<Site> site = OpenSite(&crashing);
    crashing.CrashAt(crashing.mutations() + calls - 3);
    ASSERT_FALSE(ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions()).ok());
  }
  {
    FaultEnv crashing(Env::Default());
    std::unique_ptr<Site> site = OpenSite(&crashing);
    crashing.CrashAt(crashing.mutations() + 25);
    EXPECT_FALSE(Recover(*site).ok());
    ASSERT_TRUE(crashing.crashed());
  }
  std::unique_ptr<Site> site = OpenSite();
  std::vector<Run> runs = Runs(*site);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state(), RUN_UNDOING);
  absl::StatusOr<std::optional<Run>> recovered = Recover(*site);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_TRUE(recovered->has_value());
  EXPECT_EQ((*recovered)->state(), RUN_UNDONE);
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
}

// A run stopped in its second op leaves ten that never began: recovery
// journals them undone along with the ops it reverses, not one commit each,
// and every op ends up UNDONE.
TEST_F(TransactionTest, RecoveryJournalsTheOpsThatNeverBeganWithoutACommitEach) {
  // Where the sample plan syncs the tree its copy (op 2) staged, counted on
  // a site of its own from the same start.
  int syncfs_at = 0;
  {
    TempDir reference;
    BuildSampleSite(reference.path());
    FaultEnv counting(Env::Default());
    counting.SetHook([&](int n, FaultEnv::Kind kind) {
      if (kind == FaultEnv::Kind::kSyncfs && syncfs_at == 0) syncfs_at = n;
    });
    absl::StatusOr<std::unique_ptr<Site>> site =
        Site::OpenForWriting(&counting, reference.path(), "test");
    ASSERT_TRUE(site.ok()) << site.status();
    ASSERT_TRUE(ExecutePlan(**site, ParsePlanText(SamplePlanText()), RunOptions()).ok());
  }
  ASSERT_GT(syncfs_at, 0);
  {
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(syncfs_at + 1);
    std::unique_ptr<Site> site = OpenSite(&crashing);
    ASSERT_FALSE(ExecutePlan(*site, ParsePlanText(SamplePlanText()), RunOptions()).ok());
    ASSERT_TRUE(crashing.crashed());
  }
  FaultEnv counting(Env::Default());
  std::unique_ptr<Site> site = OpenSite(&counting);
  const int journal_writes_before = counting.count_of(FaultEnv::Kind::kJournal);
  absl::StatusOr<std::optional<Run>> recovered = Recover(*site);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_TRUE(recovered->has_value());
  // UNDOING; the copy undone, with the ten after it; the mkdir undone; the end.
  EXPECT_EQ(counting.count_of(FaultEnv::Kind::kJournal) - journal_writes_before, 4);
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
  absl::StatusOr<std::vector<OpRecord>> ops = site->store().GetOps((*recovered)->id());
  ASSERT_TRUE(ops.ok()) << ops.status();
  ASSERT_EQ(ops->size(), 12u);
  for (const OpRecord& op : *ops) EXPECT_EQ(op.status(), OP_UNDONE) << "op " << op.index();
}

TEST_F(TransactionTest, RunsBeyondTheUndoWindowLoseTheirStashAndCannotBeUndone) {
  std::unique_ptr<Site> site = OpenSite();
  std::vector<Run> committed;
  std::vector<Snapshot> trees{Take()};
  for (int i = 1; i <= 6; ++i) {
    absl::StatusOr<Run> run = ExecutePlan(
        *site,
        ParsePlanText("op { write { path: \"shared/.deployment-history\" content: \"run " +
                      std::to_string(i) + "\\n\" } }"),
        RunOptions());
    ASSERT_TRUE(run.ok()) << run.status();
    committed.push_back(*run);
    trees.push_back(Take());
  }
  // Five runs keep their stash; the oldest lost it.
  absl::StatusOr<Run> oldest = site->store().GetRun(committed[0].id());
  ASSERT_TRUE(oldest.ok());
  EXPECT_TRUE(oldest->stash_purged());
  EXPECT_FALSE(PathExists(dir_.Sub(".persist/stash/" + committed[0].id())));
  for (int i = 1; i < 6; ++i) {
    absl::StatusOr<Run> kept = site->store().GetRun(committed[i].id());
    ASSERT_TRUE(kept.ok());
    EXPECT_FALSE(kept->stash_purged()) << i;
    EXPECT_TRUE(PathExists(dir_.Sub(".persist/stash/" + committed[i].id() + "/0/old"))) << i;
  }
  // The five newest undo one by one...
  for (int i = 5; i >= 1; --i) {
    absl::StatusOr<Run> undone = UndoLatest(*site, "");
    ASSERT_TRUE(undone.ok()) << undone.status();
    EXPECT_EQ(undone->id(), committed[i].id());
    EXPECT_EQ(DiffSnapshots(trees[i], Take()), "") << "after undoing run " << i + 1;
  }
  // ...and the oldest is refused, with the tree left as it is.
  absl::StatusOr<Run> refused = UndoLatest(*site, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorKindOf(refused.status()), ErrorKind::kUsage) << refused.status();
  EXPECT_TRUE(Contains(refused.status().message(), committed[0].id())) << refused.status();
  EXPECT_TRUE(Contains(refused.status().message(), "undo window")) << refused.status();
  EXPECT_EQ(DiffSnapshots(trees[1], Take()), "");
}

TEST_F(TransactionTest, WithoutAPurgeGuardNoStashIsPurgedAndEveryRunCanBeUndone) {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(Env::Default(), dir_.path(), "test");
  ASSERT_TRUE(site.ok()) << site.status();
  std::vector<Snapshot> trees{Take()};
  RunOptions options;
  options.undo_window = 1;
  for (int i = 1; i <= 3; ++i) {
    absl::StatusOr<Run> run = ExecutePlan(
        **site, ParsePlanText("op { write { path: \"shared/h\" content: \"" + std::to_string(i) + "\" } }"),
        options);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_TRUE(PathExists(dir_.Sub(".persist/stash/" + run->id()))) << i;
    trees.push_back(Take());
  }
  for (const Run& run : Runs(**site)) EXPECT_FALSE(run.stash_purged()) << run.id();
  for (int i = 2; i >= 0; --i) {
    absl::StatusOr<Run> undone = UndoLatest(**site, "");
    ASSERT_TRUE(undone.ok()) << undone.status();
    EXPECT_EQ(DiffSnapshots(trees[i], Take()), "") << "after undoing run " << i + 1;
  }
}

// A purged stash is not removed file by file inside the run that purges it:
// it goes whole into the trash, is emptied from there, and the run stays
// beyond undo.
TEST_F(TransactionTest, APurgedStashGoesWholeIntoTheTrash) {
  std::unique_ptr<Site> site = OpenSite();
  RunOptions options;
  options.undo_window = 1;
  const std::string original = ReadFile(dir_.Sub("shared/.deployment-history"));
  absl::StatusOr<Run> first = ExecutePlan(
      *site, ParsePlanText("op { write { path: \"shared/.deployment-history\" content: \"1\" } }"),
      options);
  ASSERT_TRUE(first.ok()) << first.status();
  const Snapshot stash = TakeSnapshot(dir_.Sub(".persist/stash/" + first->id()), {});
  ASSERT_FALSE(stash.empty());
  // The second run, which purges the first one's stash, counted.
  site.reset();
  FaultEnv counting(Env::Default());
  std::unique_ptr<Site> counted = OpenSite(&counting);
  absl::StatusOr<Run> second = ExecutePlan(
      *counted, ParsePlanText("op { write { path: \"shared/.deployment-history\" content: \"2\" } }"),
      options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(counting.count_of(FaultEnv::Kind::kUnlink), 0) << "the purge removed files inline";
  absl::StatusOr<Run> purged = counted->store().GetRun(first->id());
  ASSERT_TRUE(purged.ok());
  EXPECT_TRUE(purged->stash_purged());
  EXPECT_FALSE(PathExists(dir_.Sub(".persist/stash/" + first->id())));
  const std::string trashed = dir_.Sub(".persist/trash/" + first->id() + ".stash");
  ASSERT_TRUE(PathExists(trashed));
  EXPECT_EQ(TakeSnapshot(trashed, {}), stash);
  EXPECT_EQ(ReadFile(trashed + "/0/old"), original);

  absl::StatusOr<TrashReport> emptied = EmptyTrash(counted->root(), /*wait=*/true);
  ASSERT_TRUE(emptied.ok()) << emptied.status();
  EXPECT_EQ(emptied->entries, 1);
  EXPECT_FALSE(PathExists(trashed));
  // Undo of the second run works; of the first, beyond the window, is refused.
  ASSERT_TRUE(UndoLatest(*counted, "").ok());
  absl::StatusOr<Run> refused = UndoLatest(*counted, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Contains(refused.status().message(), "undo window")) << refused.status();
  EXPECT_EQ(ReadFile(dir_.Sub("shared/.deployment-history")), "1");
}

TEST_F(TransactionTest, ASmallerUndoWindowPurgesSooner) {
  std::unique_ptr<Site> site = OpenSite();
  RunOptions options;
  options.undo_window = 1;
  std::vector<Run> committed;
  for (int i = 1; i <= 2; ++i) {
    absl::StatusOr<Run> run = ExecutePlan(
        *site, ParsePlanText("op { write { path: \"shared/h\" content: \"" + std::to_string(i) + "\" } }"),
        options);
    ASSERT_TRUE(run.ok()) << run.status();
    committed.push_back(*run);
  }
  absl::StatusOr<Run> first = site->store().GetRun(committed[0].id());
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->stash_purged());
  absl::StatusOr<Run> second = site->store().GetRun(committed[1].id());
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->stash_purged());
}

// persist is run by the site's owner on shared hosting, not by root. The
// sample release ships a 0555 directory (incoming/v2/config); the whole plan
// must still apply and undo for a process that permission bits apply to.
TEST_F(TransactionTest, TheSamplePlanIsUndoneExactlyByAnOrdinaryUser) {
  ChildResult result = RunWithoutPermissionOverride([&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<Site>> site =
        Site::OpenForWriting(Env::Default(), dir_.path(), "test");
    if (!site.ok()) return site.status();
    absl::StatusOr<Run> run = ExecutePlan(**site, ParsePlanText(SamplePlanText()), RunOptions());
    if (!run.ok()) return run.status();
    absl::StatusOr<Run> undone = UndoLatest(**site, "");
    return undone.status();
  });
  if (result.skipped) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(DiffSnapshots(before_, Take()), "");
}

// Run ids get a -2, -3, ... suffix when several runs start in one second.
// "Newest first" must hold for the tenth run of a second too.
TEST_F(TransactionTest, UndoLatestPicksTheNewestOfTenRunsStartedInOneSecond) {
  std::unique_ptr<Site> site = OpenSite();
  std::vector<std::string> ids;
  for (int n = 1; n <= 10; ++n) {
    Run run;
    run.set_id(n == 1 ? "20261128T101500Z" : "20261128T101500Z-" + std::to_string(n));
    run.set_kind("exec");
    run.set_state(RUN_COMMITTED);
    run.set_start_ns(1764324900000000000 + n);
    ASSERT_TRUE(site->store().PutRun(run).ok());
    ids.push_back(run.id());
  }
  absl::StatusOr<Run> undone = UndoLatest(*site, "");
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_EQ(undone->id(), ids.back());
}

// Plans whose ops build on each other: each must commit and undo exactly,
// with grouped and with per-op intents.
struct PlanCase {
  const char* name;
  const char* text;
};

const PlanCase kPlanCases[] = {
    {"TheSameFileWrittenTwice", R"(
      op { write { path: "shared/.env" content: "one" mode: 0600 } }
      op { write { path: "shared/.env" content: "two" mode: 0640 } })"},
    {"TwoPathsExchangedTwice", R"(
      op { exchange { a: "releases/r1" b: "incoming/v2" } }
      op { exchange { a: "releases/r1" b: "incoming/v2" } }
      op { write { path: "releases/r1/index.php" content: "after" } })"},
    {"ACopyOfAMovedSourceCopiedBack", R"(
      op { copy { from: "incoming/v2" to: "releases/r2" } }
      op { move { from: "incoming/v2" to: "incoming/v2-old" } }
      op { copy { from: "releases/r2" to: "incoming/v2" } }
      op { remove { path: "incoming/v2-old" } })"},
    {"CurrentSwitchedTwice", R"(
      op { symlink { target: "incoming/v2" path: "current" } }
      op { symlink { target: "releases/r1" path: "current" } })"},
    {"ADirectoryRemovedThenRemadeAndFilled", R"(
      op { remove { path: "releases/r1/tmp" } }
      op { mkdir { path: "releases/r1/tmp" mode: 0700 } }
      op { write { path: "releases/r1/tmp/new.bin" content: "new" } }
      op { chmod { path: "releases/r1/tmp" mode: 0750 } })"},
    {"AMoveThereAndBack", R"(
      op { move { from: "shared" to: "shared-moved" } }
      op { move { from: "shared-moved" to: "shared" } })"},
    {"AModeChangedTwice", R"(
      op { chmod { path: "releases/r1/artisan" mode: 0700 } }
      op { chmod { path: "releases/r1/artisan" mode: 0500 } })"},
    {"ACopyIntoANewDirectoryThenChanged", R"(
      op { mkdir { path: "releases/r2" } }
      op { copy { from: "incoming/v2/public" to: "releases/r2/public" } }
      op { chmod { path: "releases/r2/public" mode: 0700 } }
      op { move { from: "releases/r2/public/uploads" to: "shared/uploads" } }
      op { symlink { target: "../../../shared/uploads" path: "releases/r2/public/uploads" } })"},
    {"AFileReplacedByADirectoryAndBack", R"(
      op { remove { path: "shared/.env" } }
      op { mkdir { path: "shared/.env" } }
      op { remove { path: "shared/.env" } }
      op { write { path: "shared/.env" content: "APP_KEY=x\n" mode: 0600 } })"},
};

class PlanRoundTripTest : public ::testing::TestWithParam<std::tuple<PlanCase, bool>> {};

TEST_P(PlanRoundTripTest, CommitsAndUndoesExactly) {
  const auto& [plan_case, group_intents] = GetParam();
  TempDir dir;
  BuildSampleSite(dir.path());
  const Snapshot before = TakeSnapshot(dir.path());
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(Env::Default(), dir.path(), "t");
  ASSERT_TRUE(site.ok());
  RunOptions options;
  options.group_intents = group_intents;
  absl::StatusOr<::persist::Run> run = ExecutePlan(**site, ParsePlanText(plan_case.text), options);
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<::persist::Run> undone = UndoLatest(**site, run->id());
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_TRUE(undone->rescued().empty());
  EXPECT_EQ(DiffSnapshots(before, TakeSnapshot(dir.path())), "");
  EXPECT_EQ(FilesBeneath(dir.Sub(".persist/stash")), Snapshot());
}

INSTANTIATE_TEST_SUITE_P(
    Plans, PlanRoundTripTest,
    ::testing::Combine(::testing::ValuesIn(kPlanCases), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<PlanCase, bool>>& info) {
      return std::string(std::get<0>(info.param).name) +
             (std::get<1>(info.param) ? "WithGroupedIntents" : "WithPerOpIntents");
    });

TEST(NewRunIdTest, IsUtcSecondsWithASuffixOnAClash) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(Env::Default(), dir.path(), "t");
  ASSERT_TRUE(site.ok());
  Store& store = (*site)->store();
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<std::string> first = NewRunId(**site);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->size(), 16u) << *first;
    EXPECT_EQ((*first)[8], 'T');
    EXPECT_EQ(first->back(), 'Z');
    ::persist::Run run;
    run.set_id(*first);
    run.set_state(RUN_COMMITTED);
    ASSERT_TRUE(store.PutRun(run).ok());
    absl::StatusOr<std::string> second = NewRunId(**site);
    ASSERT_TRUE(second.ok());
    if (second->substr(0, 16) != *first) continue;  // the second changed meanwhile
    EXPECT_EQ(*second, *first + "-2");
    run.set_id(*second);
    ASSERT_TRUE(store.PutRun(run).ok());
    absl::StatusOr<std::string> third = NewRunId(**site);
    ASSERT_TRUE(third.ok());
    if (third->substr(0, 16) != *first) continue;
    EXPECT_EQ(*third, *first + "-3");
    return;
  }
  FAIL() << "the clock kept crossing second boundaries";
}

// A journal moved aside forgets its runs, not the stash and rescue
// directories named after them: a new run in the same second must not take
// one of those names, or its ops would find another run's stash.
TEST(NewRunIdTest, SkipsIdsWhoseStashOrRescueDirectoryIsLeft) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(Env::Default(), dir.path(), "t");
  ASSERT_TRUE(site.ok());
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<std::string> first = NewRunId(**site);
    ASSERT_TRUE(first.ok());
    MakeDir(dir.path() + "/.persist/stash/" + *first + "/0/old");
    MakeDir(dir.path() + "/.persist/rescued/" + *first + "-2");
    absl::StatusOr<std::string> next = NewRunId(**site);
    ASSERT_TRUE(next.ok());
    if (next->substr(0, 16) != *first) continue;  // the second changed meanwhile
    EXPECT_EQ(*next, *first + "-3");
    return;
  }
  FAIL() << "the clock kept crossing second boundaries";
}

}  // namespace
}  // namespace persist
