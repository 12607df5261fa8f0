// Copyright persist authors.

#include "fsops/ops.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path_state.h"
#include "fsops/root.h"
#include "fsops/testing/fault_env.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/testing/as_ordinary_user.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::BuildSampleSite;
using ::persist::testing::ChildResult;
using ::persist::testing::DiffSnapshots;
using ::persist::testing::WithoutMtimes;
using ::persist::testing::RunWithoutPermissionOverride;
using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::ReadFile;
using ::persist::testing::RemoveAll;
using ::persist::testing::SetMtime;
using ::persist::testing::Snapshot;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::ContentOrMissing;
using ::persist::testing::WriteFile;


constexpr char kStash[] = ".persist/stash/testrun/0";

Op ParseOp(const std::string& text) {
  Op op;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &op)) << text;
  return op;
}

std::unique_ptr<Root> MustOpen(Env* env, const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(env, dir);
  EXPECT_TRUE(root.ok()) << root.status();
  return root.ok() ? std::move(*root) : nullptr;
}

// Every non-directory beneath `dir` (persist leaves empty directories in a
// stash it has emptied; it must leave nothing else), but for .persist/trash/
// when `dir` is .persist/: a staged object set aside there waits to be
// emptied after the command (TrashHoldsOnlyStagedObjects checks it).
Snapshot FilesBeneath(const std::string& dir) {
  Snapshot files;
  if (!PathExists(dir)) return files;
  for (const auto& [path, desc] : TakeSnapshot(dir, {"trash"})) {
    if (desc.rfind("dir ", 0) != 0) files[path] = desc;
  }
  return files;
}


// A sample site (tests/testing) with one op about to run on it: the op's
// context built the way the journal builds it, with record_swap storing the
// staged identity in the context itself.
class Sandbox {
 public:
  Sandbox() {
    BuildSampleSite(dir_.path());
    root_ = MustOpen(Env::Default(), dir_.path());
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::string& path() const { return dir_.path(); }
  std::string Sub(const std::string& rel) const { return dir_.Sub(rel); }
  Root* root() const { return root_.get(); }
  OpContext& ctx() { return ctx_; }

  // Observes the op's paths now, as its recorded pre-states.
  void Prepare(const Op& op) {
    ctx_ = OpContext();
    ctx_.root = root_.get();
    ctx_.run_id = "testrun";
    ctx_.index = 0;
    for (const std::string& path : OpPaths(op)) {
      absl::StatusOr<PathState> state = root_->Observe(path, true);
      ASSERT_TRUE(state.ok()) << state.status();
      ctx_.before.push_back(*state);
    }
    ctx_.record_swap = [this](uint64_t dev, uint64_t inode) {
      ctx_.swap_recorded = true;
      ctx_.staged_dev = dev;
      ctx_.staged_inode = inode;
      ++swaps_recorded_;
      return absl::OkStatus();
    };
  }

  // Apply through `env` (a Root of its own on the same directory).
  absl::Status ApplyWith(Env* env, const Op& op) {
    std::unique_ptr<Root> root = MustOpen(env, dir_.path());
    OpContext ctx = ctx_;
    ctx.root = root.get();
    return ApplyOp(op, ctx);
  }

  absl::Status UndoWith(Env* env, const Op& op, std::vector<std::string>* rescued) {
    std::unique_ptr<Root> root = MustOpen(env, dir_.path());
    OpContext ctx = ctx_;
    ctx.root = root.get();
    return UndoOp(op, ctx, rescued);
  }

  absl::Status Apply(const Op& op) { return ApplyOp(op, ctx_); }
  absl::Status Undo(const Op& op, std::vector<std::string>* rescued) {
    return UndoOp(op, ctx_, rescued);
  }

  Snapshot Take() const { return TakeSnapshot(dir_.path()); }
  int swaps_recorded() const { return swaps_recorded_; }

 private:
  TempDir dir_;
  std::unique_ptr<Root> root_;
  OpContext ctx_;
  int swaps_recorded_ = 0;
};

// The mutating calls a crash test stops at, out of `calls`: the first two,
// the last ten (where the renames, swaps and stash moves are), and an even
// sample of the many alike calls a tree copy makes in between.
std::vector<int> CrashPoints(int calls) {
  std::vector<int> points;
  const int step = std::max(1, calls / 6);
  for (int n = 1; n <= calls; ++n) {
    if (n <= 2 || n > calls - 10 || n % step == 0) points.push_back(n);
  }
  return points;
}


// The trash holds nothing but what undo set aside: at most the op's one
// staged object, under its own name.
void TrashHoldsOnlyStagedObjects(const Sandbox& site, const std::string& context) {
  const std::string trash = site.Sub(".persist/trash");
  if (!PathExists(trash)) return;
  for (const auto& [path, desc] : TakeSnapshot(trash, {})) {
    const std::string top = path.substr(0, path.find('/'));
    EXPECT_EQ(top, "testrun.0.staged") << context;
  }
}

// ---- Every op kind, round trip ----

struct OpCase {
  const char* name;
  const char* text;
};

const OpCase kOpCases[] = {
    {"MkdirOfANewDirectory", R"(mkdir { path: "releases/r2" mode: 0750 })"},
    {"MkdirOfAnExistingDirectory", R"(mkdir { path: "releases/r1" })"},
    {"CopyOfATree", R"(copy { from: "incoming/v2" to: "releases/r2" })"},
    {"CopyOfAFile", R"(copy { from: "shared/.env" to: "shared/.env.bak" })"},
    {"CopyOfASymlink", R"(copy { from: "current" to: "previous" })"},
    {"CopyOverAnExistingDirectory", R"(copy { from: "incoming/v2" to: "releases/r1" })"},
    {"CopyOverAnExistingFile", R"(copy { from: "releases/r1/index.php" to: "shared/.env" })"},
    {"MoveOfADirectory", R"(move { from: "releases/r1/public/uploads" to: "shared/uploads" })"},
    {"MoveOfAFile", R"(move { from: "shared/.env" to: "releases/r1/.env" })"},
    {"MoveOverAnExistingFile", R"(move { from: "incoming/v2/index.php" to: "releases/r1/index.php" })"},
    {"MoveOverAnExistingDirectory", R"(move { from: "incoming/v2" to: "releases/r1" })"},
    {"SymlinkAtANewPath", R"(symlink { target: "../releases/r1" path: "shared/app" })"},
    {"SymlinkOverAnExistingSymlink", R"(symlink { target: "incoming/v2" path: "current" })"},
    {"SymlinkOverAFile", R"(symlink { target: "../../shared/.env" path: "releases/r1/index.php" })"},
    {"SymlinkOverADirectory",
     R"(symlink { target: "../../../shared/public/uploads" path: "releases/r1/public/uploads" })"},
    {"RemoveOfAFile", R"(remove { path: "shared/.env" })"},
    {"RemoveOfADirectory", R"(remove { path: "releases/r1/tmp" })"},
    {"RemoveOfASymlink", R"(remove { path: "current" })"},
    {"WriteOfANewFile", R"(write { path: "shared/new.txt" content: "fresh\n" })"},
    {"WriteOverAnExistingFile", R"(write { path: "shared/.env" content: "APP_KEY=new\n" mode: 0600 })"},
    {"WriteOverADirectory", R"(write { path: "releases/r1/tmp" content: "now a file" })"},
    {"WriteOfAnEmptyFile", R"(write { path: "shared/empty" content: "" })"},
    {"ExchangeOfTwoFiles", R"(exchange { a: "releases/r1/index.php" b: "incoming/v2/index.php" })"},
    {"ExchangeOfAFileAndADirectory", R"(exchange { a: "releases/r1/tmp" b: "shared/.env" })"},
    {"ExchangeOfTwoDirectories", R"(exchange { a: "releases/r1" b: "incoming/v2" })"},
    {"ChmodOfAFile", R"(chmod { path: "releases/r1/artisan" mode: 0700 })"},
    {"ChmodOfADirectory", R"(chmod { path: "incoming/v2/config" mode: 0750 })"},
};

class OpRoundTripTest : public ::testing::TestWithParam<OpCase> {
 protected:
  Op op() const { return ParseOp(GetParam().text); }
};

TEST_P(OpRoundTripTest, ApplyChangesTheTreeAndUndoRestoresItExactly) {
  Sandbox site;
  const Op op = this->op();
  ASSERT_TRUE(ValidateOp(op).ok());
  const Snapshot before = site.Take();
  site.Prepare(op);
  ASSERT_TRUE(CheckFeasible(op, site.ctx().before).ok());
  ASSERT_TRUE(CheckPreconditions(op, site.ctx()).ok());
  absl::Status applied = site.Apply(op);
  ASSERT_TRUE(applied.ok()) << applied;
  const Snapshot after = site.Take();
  if (GetParam().name != std::string("MkdirOfAnExistingDirectory")) {
    EXPECT_NE(DiffSnapshots(before, after), "") << "the op changed nothing";
  } else {
    EXPECT_EQ(DiffSnapshots(before, after), "");
  }
  // No temporary name is left beside the destination.
  for (const auto& [path, desc] : after) {
    EXPECT_EQ(path.find(".persist-testrun-0.tmp"), std::string::npos) << path;
  }
  std::vector<std::string> rescued;
  absl::Status undone = site.Undo(op, &rescued);
  ASSERT_TRUE(undone.ok()) << undone;
  EXPECT_TRUE(rescued.empty());
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
  EXPECT_EQ(FilesBeneath(site.Sub(".persist")), Snapshot()) << "left in .persist/";
}

TEST_P(OpRoundTripTest, UndoTwiceIsHarmless) {
  Sandbox site;
  const Op op = this->op();
  const Snapshot before = site.Take();
  site.Prepare(op);
  ASSERT_TRUE(site.Apply(op).ok());
  std::vector<std::string> rescued;
  ASSERT_TRUE(site.Undo(op, &rescued).ok());
  absl::Status again = site.Undo(op, &rescued);
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_TRUE(rescued.empty());
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

TEST_P(OpRoundTripTest, UndoWhenApplyNeverRanDoesNothing) {
  Sandbox site;
  const Op op = this->op();
  const Snapshot before = site.Take();
  site.Prepare(op);
  std::vector<std::string> rescued;
  absl::Status undone = site.Undo(op, &rescued);
  EXPECT_TRUE(undone.ok()) << undone;
  EXPECT_TRUE(rescued.empty());
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
  EXPECT_EQ(FilesBeneath(site.Sub(".persist")), Snapshot());
}

// On a filesystem without renameat2's flags, the documented fallbacks run
// (stash first, then a plain rename) and stay exactly undoable. Exchange
// has no fallback and is refused with nothing changed.
TEST_P(OpRoundTripTest, ApplyAndUndoStayExactWithoutRenameFlags) {
  Sandbox site;
  const Op op = this->op();
  const Snapshot before = site.Take();
  site.Prepare(op);
  FaultEnv fault(Env::Default());
  fault.RefuseRenameFlags(RENAME_NOREPLACE | RENAME_EXCHANGE);
  absl::Status applied = site.ApplyWith(&fault, op);
  if (op.has_exchange()) {
    ASSERT_FALSE(applied.ok());
    EXPECT_NE(applied.message().find("RENAME_EXCHANGE"), absl::string_view::npos) << applied;
    EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
  } else {
    ASSERT_TRUE(applied.ok()) << applied;
  }
  // The result is the same as with the flags, reached through the fallbacks
  // (each refused rename is followed by a plain one).
  if (applied.ok()) {
    Sandbox reference;
    reference.Prepare(op);
    FaultEnv counting(Env::Default());
    ASSERT_TRUE(reference.ApplyWith(&counting, op).ok());
    if (counting.count_of(FaultEnv::Kind::kRename) > 0) {
      EXPECT_GT(fault.count_of(FaultEnv::Kind::kRename), counting.count_of(FaultEnv::Kind::kRename));
    }
    // New objects carry the time they were made; compare everything else.
    EXPECT_EQ(DiffSnapshots(WithoutMtimes(reference.Take()), WithoutMtimes(site.Take())), "");
  }
  std::vector<std::string> rescued;
  absl::Status undone = site.UndoWith(&fault, op, &rescued);
  ASSERT_TRUE(undone.ok()) << undone;
  EXPECT_TRUE(rescued.empty());
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
  ASSERT_TRUE(site.UndoWith(&fault, op, &rescued).ok());
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

// A crash (the process stopped dead) at every mutating call of Apply leaves
// a tree that Undo, run afterwards by a new process, restores exactly.
TEST_P(OpRoundTripTest, UndoAfterACrashAtAnyPointOfApplyRestoresTheTree) {
  int calls = 0;
  {
    Sandbox site;
    const Op op = this->op();
    site.Prepare(op);
    FaultEnv counting(Env::Default());
    ASSERT_TRUE(site.ApplyWith(&counting, op).ok());
    calls = counting.mutations();
  }
  for (int n : CrashPoints(calls)) {
    Sandbox site;
    const Op op = this->op();
    const Snapshot before = site.Take();
    site.Prepare(op);
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(n);
    EXPECT_FALSE(site.ApplyWith(&crashing, op).ok()) << "crash at call " << n;
    std::vector<std::string> rescued;
    absl::Status undone = site.UndoWith(Env::Default(), op, &rescued);
    ASSERT_TRUE(undone.ok()) << "crash at call " << n << ": " << undone;
    EXPECT_TRUE(rescued.empty()) << "crash at call " << n;
    EXPECT_EQ(DiffSnapshots(before, site.Take()), "") << "crash at call " << n;
    EXPECT_EQ(FilesBeneath(site.Sub(".persist")), Snapshot()) << "crash at call " << n;
    TrashHoldsOnlyStagedObjects(site, "crash at call " + std::to_string(n));
  }
}

// A crash during Undo is repaired by running Undo again.
TEST_P(OpRoundTripTest, UndoInterruptedAtAnyPointFinishesWhenRunAgain) {
  int calls = 0;
  {
    Sandbox site;
    const Op op = this->op();
    site.Prepare(op);
    ASSERT_TRUE(site.Apply(op).ok());
    FaultEnv counting(Env::Default());
    std::vector<std::string> rescued;
    ASSERT_TRUE(site.UndoWith(&counting, op, &rescued).ok());
    calls = counting.mutations();
  }
  for (int n : CrashPoints(calls)) {
    Sandbox site;
    const Op op = this->op();
    const Snapshot before = site.Take();
    site.Prepare(op);
    ASSERT_TRUE(site.Apply(op).ok());
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(n);
    std::vector<std::string> rescued;
    EXPECT_FALSE(site.UndoWith(&crashing, op, &rescued).ok()) << "crash at call " << n;
    absl::Status undone = site.UndoWith(Env::Default(), op, &rescued);
    ASSERT_TRUE(undone.ok()) << "crash at call " << n << ": " << undone;
    EXPECT_TRUE(rescued.empty()) << "crash at call " << n;
    EXPECT_EQ(DiffSnapshots(before, site.Take()), "") << "crash at call " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryKind, OpRoundTripTest, ::testing::ValuesIn(kOpCases),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           return std::string(info.param.name);
                         });

// ---- The effect of each kind ----

class OpsTest : public ::testing::Test {
 protected:
  // Prepares and applies `text`, returning the op.
  Op MustApply(const std::string& text) {
    Op op = ParseOp(text);
    before_ = site_.Take();
    site_.Prepare(op);
    absl::Status applied = site_.Apply(op);
    EXPECT_TRUE(applied.ok()) << applied;
    return op;
  }

  // Undoes `op` and checks the tree is as before it.
  void UndoAndExpectRestored(const Op& op, const std::vector<std::string>& expected_rescued = {}) {
    std::vector<std::string> rescued;
    absl::Status undone = site_.Undo(op, &rescued);
    ASSERT_TRUE(undone.ok()) << undone;
    EXPECT_EQ(rescued, expected_rescued);
    EXPECT_EQ(DiffSnapshots(before_, site_.Take()), "");
  }

  std::string Stashed(const std::string& slot) const { return site_.Sub(std::string(kStash) + "/" + slot); }

  mode_t ModeOf(const std::string& rel) const {
    struct stat st;
    EXPECT_EQ(lstat(site_.Sub(rel).c_str(), &st), 0) << rel;
    return st.st_mode & 07777;
  }

  std::string LinkTarget(const std::string& abs) const {
    char buf[4096];
    ssize_t n = readlink(abs.c_str(), buf, sizeof(buf));
    EXPECT_GE(n, 0) << abs;
    return n < 0 ? "" : std::string(buf, n);
  }

  Sandbox site_;
  Snapshot before_;
};

TEST_F(OpsTest, MkdirCreatesTheDirectoryWithItsMode) {
  Op op = MustApply(R"(mkdir { path: "releases/r2" mode: 0750 })");
  EXPECT_EQ(ModeOf("releases/r2"), 0750u);
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, MkdirWithoutModeGives0755) {
  Op op = MustApply(R"(mkdir { path: "releases/r2" })");
  EXPECT_EQ(ModeOf("releases/r2"), 0755u);
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, CopyMakesAnExactCopyOfTheTree) {
  Op op = MustApply(R"(copy { from: "incoming/v2" to: "releases/r2" })");
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(site_.Sub("incoming/v2")), TakeSnapshot(site_.Sub("releases/r2"))), "");
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, CopyOverADirectoryPutsTheOldOneInTheStash) {
  Snapshot old_release = TakeSnapshot(site_.Sub("releases/r1"));
  Op op = MustApply(R"(copy { from: "incoming/v2" to: "releases/r1" })");
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(site_.Sub("incoming/v2")), TakeSnapshot(site_.Sub("releases/r1"))), "");
  EXPECT_EQ(DiffSnapshots(old_release, TakeSnapshot(Stashed("old"))), "");
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, UndoOfCopyRescuesFilesWrittenIntoTheCopy) {
  Op op = MustApply(R"(copy { from: "incoming/v2" to: "releases/r2" })");
  WriteFile(site_.Sub("releases/r2/public/uploads/user-upload.jpg"), "user data");
  UndoAndExpectRestored(op, {".persist/rescued/testrun/releases/r2/public/uploads/user-upload.jpg"});
  EXPECT_EQ(ContentOrMissing(site_.Sub(".persist/rescued/testrun/releases/r2/public/uploads/user-upload.jpg")),
            "user data");
}

TEST_F(OpsTest, UndoOfCopyRescuesAFileChangedInTheCopy) {
  Op op = MustApply(R"(copy { from: "incoming/v2" to: "releases/r2" })");
  WriteFile(site_.Sub("releases/r2/index.php"), "<?php echo 'hot fix';\n");
  UndoAndExpectRestored(op, {".persist/rescued/testrun/releases/r2/index.php"});
  EXPECT_EQ(ContentOrMissing(site_.Sub(".persist/rescued/testrun/releases/r2/index.php")),
            "<?php echo 'hot fix';\n");
}

TEST_F(OpsTest, MoveOfADirectoryMovesItWhole) {
  Snapshot uploads = TakeSnapshot(site_.Sub("releases/r1/public/uploads"));
  Op op = MustApply(R"(move { from: "releases/r1/public/uploads" to: "shared/uploads" })");
  EXPECT_FALSE(PathExists(site_.Sub("releases/r1/public/uploads")));
  EXPECT_EQ(DiffSnapshots(uploads, TakeSnapshot(site_.Sub("shared/uploads"))), "");
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, MoveOverAFilePutsTheOldOneInTheStash) {
  Op op = MustApply(R"(move { from: "incoming/v2/index.php" to: "releases/r1/index.php" })");
  EXPECT_FALSE(PathExists(site_.Sub("incoming/v2/index.php")));
  EXPECT_EQ(ContentOrMissing(site_.Sub("releases/r1/index.php")), "<?php echo 'v2';\n");
  EXPECT_EQ(ContentOrMissing(Stashed("old")), "<?php echo 'r1';\n");
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, UndoOfMoveCarriesBackFilesAddedToTheMovedDirectory) {
  Op op = MustApply(R"(move { from: "releases/r1/public/uploads" to: "shared/uploads" })");
  // The move is undone by moving the directory back, with whatever is in it:
  // nothing is deleted, so nothing needs rescuing.
  WriteFile(site_.Sub("shared/uploads/new.jpg"), "new upload");
  std::vector<std::string> rescued;
  ASSERT_TRUE(site_.Undo(op, &rescued).ok());
  EXPECT_TRUE(rescued.empty());
  EXPECT_EQ(ContentOrMissing(site_.Sub("releases/r1/public/uploads/new.jpg")), "new upload");
  EXPECT_FALSE(PathExists(site_.Sub("shared/uploads")));
}

// After a move, the live app may recreate the directory it lost (Laravel
// makes public/uploads again on the next upload). Undo must put the moved
// data back where it was and keep the new directory aside, not the reverse.
TEST_F(OpsTest, UndoOfMovePutsTheDataBackWhenTheSourceWasRecreated) {
  Op op = MustApply(R"(move { from: "releases/r1/public/uploads" to: "shared/uploads" })");
  WriteFile(site_.Sub("releases/r1/public/uploads/after-deploy.jpg"), "uploaded after the move");
  std::vector<std::string> rescued;
  ASSERT_TRUE(site_.Undo(op, &rescued).ok());
  EXPECT_EQ(rescued, std::vector<std::string>{".persist/rescued/testrun/releases/r1/public/uploads"});
  EXPECT_EQ(ContentOrMissing(site_.Sub("releases/r1/public/uploads/demo.jpg")), "demo-image-bytes");
  EXPECT_FALSE(PathExists(site_.Sub("releases/r1/public/uploads/after-deploy.jpg")));
  EXPECT_EQ(ContentOrMissing(site_.Sub(".persist/rescued/testrun/releases/r1/public/uploads/after-deploy.jpg")),
            "uploaded after the move");
  EXPECT_FALSE(PathExists(site_.Sub("shared/uploads")));
}

TEST_F(OpsTest, UndoOfMoveOverAFilePutsTheDataBackWhenTheSourceWasRecreated) {
  Op op = MustApply(R"(move { from: "incoming/v2/index.php" to: "releases/r1/index.php" })");
  WriteFile(site_.Sub("incoming/v2/index.php"), "<?php // recreated\n");
  std::vector<std::string> rescued;
  ASSERT_TRUE(site_.Undo(op, &rescued).ok());
  EXPECT_EQ(rescued, std::vector<std::string>{".persist/rescued/testrun/incoming/v2/index.php"});
  EXPECT_EQ(ContentOrMissing(site_.Sub("incoming/v2/index.php")), "<?php echo 'v2';\n");
  EXPECT_EQ(ContentOrMissing(site_.Sub("releases/r1/index.php")), "<?php echo 'r1';\n");
}

TEST_F(OpsTest, SymlinkReplacingASymlinkStashesTheOldOne) {
  Op op = MustApply(R"(symlink { target: "incoming/v2" path: "current" })");
  EXPECT_EQ(LinkTarget(site_.Sub("current")), "incoming/v2");
  EXPECT_EQ(LinkTarget(Stashed("old")), "releases/r1");
  UndoAndExpectRestored(op);
  EXPECT_EQ(LinkTarget(site_.Sub("current")), "releases/r1");
}

TEST_F(OpsTest, SymlinkReplacingADirectoryStashesTheDirectory) {
  Op op = MustApply(
      R"(symlink { target: "../../../shared/public/uploads" path: "releases/r1/public/uploads" })");
  EXPECT_EQ(LinkTarget(site_.Sub("releases/r1/public/uploads")), "../../../shared/public/uploads");
  EXPECT_EQ(ContentOrMissing(Stashed("old/demo.jpg")), "demo-image-bytes");
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, UndoOfSymlinkRescuesALinkSomeoneElseRetargeted) {
  Op op = MustApply(R"(symlink { target: "incoming/v2" path: "current" })");
  ASSERT_EQ(unlink(site_.Sub("current").c_str()), 0);
  MakeSymlink("releases/hotfix", site_.Sub("current"));
  std::vector<std::string> rescued;
  ASSERT_TRUE(site_.Undo(op, &rescued).ok());
  EXPECT_EQ(rescued, std::vector<std::string>{".persist/rescued/testrun/current"});
  EXPECT_EQ(LinkTarget(site_.Sub(".persist/rescued/testrun/current")), "releases/hotfix");
  EXPECT_EQ(DiffSnapshots(before_, site_.Take()), "");
}

TEST_F(OpsTest, RemovePutsThePathInTheStash) {
  Op op = MustApply(R"(remove { path: "releases/r1/tmp" })");
  EXPECT_FALSE(PathExists(site_.Sub("releases/r1/tmp")));
  EXPECT_EQ(ContentOrMissing(Stashed("old/cache.bin")), std::string(5000, 'c'));
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, UndoOfRemoveRescuesWhatWasCreatedAtThePathSince) {
  Op op = MustApply(R"(remove { path: "shared/.env" })");
  WriteFile(site_.Sub("shared/.env"), "APP_KEY=written-by-someone-else\n");
  UndoAndExpectRestored(op, {".persist/rescued/testrun/shared/.env"});
  EXPECT_EQ(ContentOrMissing(site_.Sub(".persist/rescued/testrun/shared/.env")),
            "APP_KEY=written-by-someone-else\n");
}

TEST_F(OpsTest, WriteGivesTheFileItsContentAndModeBeforeItAppears) {
  Op op = MustApply(R"(write { path: "shared/.env" content: "APP_KEY=new\n" mode: 0600 })");
  EXPECT_EQ(ContentOrMissing(site_.Sub("shared/.env")), "APP_KEY=new\n");
  EXPECT_EQ(ModeOf("shared/.env"), 0600u);
  EXPECT_EQ(ContentOrMissing(Stashed("old")), "APP_KEY=base64:abc\n");
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, WriteWithoutModeGives0644) {
  Op op = MustApply(R"(write { path: "shared/new.txt" content: "x" })");
  EXPECT_EQ(ModeOf("shared/new.txt"), 0644u);
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, UndoOfAWriteRescuesTheFileModifiedSinceAndRestoresTheOldOne) {
  Op op = MustApply(R"(write { path: "shared/.env" content: "APP_KEY=new\n" mode: 0600 })");
  WriteFile(site_.Sub("shared/.env"), "APP_KEY=new\nEDITED=1\n", 0600);
  UndoAndExpectRestored(op, {".persist/rescued/testrun/shared/.env"});
  EXPECT_EQ(ContentOrMissing(site_.Sub(".persist/rescued/testrun/shared/.env")), "APP_KEY=new\nEDITED=1\n");
  EXPECT_EQ(ContentOrMissing(site_.Sub("shared/.env")), "APP_KEY=base64:abc\n");
}

TEST_F(OpsTest, UndoOfANewFileRescuesItWhenItWasModifiedSince) {
  Op op = MustApply(R"(write { path: "shared/new.txt" content: "x" })");
  WriteFile(site_.Sub("shared/new.txt"), "y");
  UndoAndExpectRestored(op, {".persist/rescued/testrun/shared/new.txt"});
}

TEST_F(OpsTest, RescuingTwiceKeepsBothCopies) {
  // Two undos of the same op that each find foreign data keep both.
  MakeDir(site_.Sub(".persist/rescued/testrun/shared"), 0700);
  WriteFile(site_.Sub(".persist/rescued/testrun/shared/.env"), "earlier rescue");
  Op op = MustApply(R"(write { path: "shared/.env" content: "APP_KEY=new\n" mode: 0600 })");
  WriteFile(site_.Sub("shared/.env"), "changed", 0600);
  std::vector<std::string> rescued;
  ASSERT_TRUE(site_.Undo(op, &rescued).ok());
  EXPECT_EQ(rescued, std::vector<std::string>{".persist/rescued/testrun/shared/.env.1"});
  EXPECT_EQ(ContentOrMissing(site_.Sub(".persist/rescued/testrun/shared/.env")), "earlier rescue");
  EXPECT_EQ(ContentOrMissing(site_.Sub(".persist/rescued/testrun/shared/.env.1")), "changed");
}

TEST_F(OpsTest, UndoOfMkdirRescuesWhatWasPutInTheNewDirectory) {
  Op op = MustApply(R"(mkdir { path: "shared/public" })");
  WriteFile(site_.Sub("shared/public/avatar.png"), "avatar");
  UndoAndExpectRestored(op, {".persist/rescued/testrun/shared/public/avatar.png"});
}

TEST_F(OpsTest, ExchangeSwapsTwoPaths) {
  Op op = MustApply(R"(exchange { a: "releases/r1/index.php" b: "incoming/v2/index.php" })");
  EXPECT_EQ(ContentOrMissing(site_.Sub("releases/r1/index.php")), "<?php echo 'v2';\n");
  EXPECT_EQ(ContentOrMissing(site_.Sub("incoming/v2/index.php")), "<?php echo 'r1';\n");
  EXPECT_EQ(site_.swaps_recorded(), 1);
  UndoAndExpectRestored(op);
}

TEST_F(OpsTest, ChmodChangesTheModeAndUndoPutsItBack) {
  Op op = MustApply(R"(chmod { path: "releases/r1/artisan" mode: 0700 })");
  EXPECT_EQ(ModeOf("releases/r1/artisan"), 0700u);
  UndoAndExpectRestored(op);
  EXPECT_EQ(ModeOf("releases/r1/artisan"), 0755u);
}

// ---- Staged objects that never became visible go to the trash ----

// The mutating call right after the first one of `kind` that `run` makes:
// a crash there stops just after that call.
int CallAfterFirst(FaultEnv::Kind kind, const std::function<void(FaultEnv*)>& run) {
  FaultEnv counting(Env::Default());
  int first = 0;
  counting.SetHook([&](int n, FaultEnv::Kind k) {
    if (k == kind && first == 0) first = n;
  });
  run(&counting);
  EXPECT_GT(first, 0) << "no call of that kind";
  return first + 1;
}

constexpr char kStagedPath[] = "releases/.persist-testrun-0.tmp";
constexpr char kTrashed[] = ".persist/trash/testrun.0.staged";

// An import of incoming/v2 (from its absolute path, as a deploy imports a
// release) to the new path releases/r2.
Op ImportOp(const Sandbox& site) {
  return ParseOp("import { from: \"" + site.Sub("incoming/v2") + "\" to: \"releases/r2\" }");
}

// A sample site where that import was stopped dead right after its staged
// tree was synced: the whole release is staged, nothing is visible.
struct StagedImport {
  StagedImport() {
    op = ImportOp(site);
    release = TakeSnapshot(site.Sub("incoming/v2"), {});
    before = site.Take();
    site.Prepare(op);
    const int crash_at = CallAfterFirst(FaultEnv::Kind::kSyncfs, [](FaultEnv* env) {
      Sandbox reference;
      const Op op = ImportOp(reference);
      reference.Prepare(op);
      ASSERT_TRUE(reference.ApplyWith(env, op).ok());
    });
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(crash_at);
    EXPECT_FALSE(site.ApplyWith(&crashing, op).ok());
    EXPECT_TRUE(PathExists(site.Sub(kStagedPath))) << "the release should be staged";
    EXPECT_FALSE(PathExists(site.Sub("releases/r2"))) << "and not visible";
    EXPECT_FALSE(site.ctx().swap_recorded);
  }

  absl::Status Undo(Env* env) {
    std::vector<std::string> rescued;
    absl::Status status = site.UndoWith(env, op, &rescued);
    EXPECT_TRUE(rescued.empty());
    return status;
  }

  Sandbox site;
  Op op;
  Snapshot release;
  Snapshot before;
};

TEST(StagedTrashTest, UndoSetsAStagedReleaseAsideInTheTrashInsteadOfRemovingIt) {
  StagedImport run;
  FaultEnv counting(Env::Default());
  absl::Status undone = run.Undo(&counting);
  ASSERT_TRUE(undone.ok()) << undone;
  EXPECT_EQ(DiffSnapshots(run.before, run.site.Take()), "");
  EXPECT_FALSE(PathExists(run.site.Sub(kStagedPath)));
  // The same files, whole, in the trash; not one of them was unlinked.
  ASSERT_TRUE(PathExists(run.site.Sub(kTrashed)));
  EXPECT_EQ(DiffSnapshots(run.release, TakeSnapshot(run.site.Sub(kTrashed), {})), "");
  EXPECT_EQ(counting.count_of(FaultEnv::Kind::kUnlink), 0);
  EXPECT_EQ(counting.count_of(FaultEnv::Kind::kRename), 1);
}

// Killed right after the rename into the trash, before the directories were
// synced and the op journaled as undone: the second undo finds no staged
// name and does nothing more, and nothing is left under the temporary name.
TEST(StagedTrashTest, UndoKilledRightAfterTheRenameIntoTheTrashFinishesWhenRunAgain) {
  const int crash_at = CallAfterFirst(FaultEnv::Kind::kRename, [](FaultEnv* env) {
    StagedImport reference;
    ASSERT_TRUE(reference.Undo(env).ok());
  });
  StagedImport run;
  FaultEnv crashing(Env::Default());
  crashing.CrashAt(crash_at);
  ASSERT_FALSE(run.Undo(&crashing).ok());
  ASSERT_FALSE(PathExists(run.site.Sub(kStagedPath))) << "the rename should have happened";
  FaultEnv again(Env::Default());
  absl::Status undone = run.Undo(&again);
  ASSERT_TRUE(undone.ok()) << undone;
  EXPECT_EQ(again.count_of(FaultEnv::Kind::kRename), 0) << "nothing more to set aside";
  EXPECT_EQ(again.count_of(FaultEnv::Kind::kUnlink), 0);
  EXPECT_EQ(DiffSnapshots(run.before, run.site.Take()), "");
  EXPECT_FALSE(PathExists(run.site.Sub(kStagedPath)));
  ASSERT_TRUE(PathExists(run.site.Sub(kTrashed)));
  EXPECT_EQ(DiffSnapshots(run.release, TakeSnapshot(run.site.Sub(kTrashed), {})), "");
  EXPECT_FALSE(PathExists(run.site.Sub(std::string(kTrashed) + ".2")));
}

TEST(StagedTrashTest, UndoInterruptedAtAnyPointLeavesTheReleaseInTheTrashOnce) {
  int calls = 0;
  {
    StagedImport reference;
    FaultEnv counting(Env::Default());
    ASSERT_TRUE(reference.Undo(&counting).ok());
    calls = counting.mutations();
  }
  ASSERT_GE(calls, 4);
  for (int n = 1; n <= calls; ++n) {
    StagedImport run;
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(n);
    EXPECT_FALSE(run.Undo(&crashing).ok()) << "crash at " << n;
    absl::Status undone = run.Undo(Env::Default());
    ASSERT_TRUE(undone.ok()) << "crash at " << n << ": " << undone;
    EXPECT_EQ(DiffSnapshots(run.before, run.site.Take()), "") << "crash at " << n;
    ASSERT_TRUE(PathExists(run.site.Sub(kTrashed))) << "crash at " << n;
    EXPECT_EQ(DiffSnapshots(run.release, TakeSnapshot(run.site.Sub(kTrashed), {})), "")
        << "crash at " << n;
    TrashHoldsOnlyStagedObjects(run.site, "crash at " + std::to_string(n));
  }
}

// Where the trash is on another filesystem, the staged release is removed in
// place, as before there was a trash.
TEST(StagedTrashTest, UndoRemovesTheStagedReleaseInPlaceWhenTheTrashCannotTakeIt) {
  StagedImport run;
  FaultEnv exdev(Env::Default());
  exdev.FailAt(1, EXDEV, FaultEnv::Kind::kRename);
  absl::Status undone = run.Undo(&exdev);
  ASSERT_TRUE(undone.ok()) << undone;
  EXPECT_TRUE(exdev.injected());
  EXPECT_EQ(DiffSnapshots(run.before, run.site.Take()), "");
  EXPECT_FALSE(PathExists(run.site.Sub(kTrashed)));
  EXPECT_GT(exdev.count_of(FaultEnv::Kind::kUnlink), 5);
}

// ---- Cross-filesystem moves (EXDEV) ----

TEST(OpsExdevTest, MoveAcrossFilesystemsBecomesACopyAndAStashedSourceAndUndoesExactly) {
  Sandbox site;
  const Op op = ParseOp(R"(move { from: "releases/r1/public/uploads" to: "shared/uploads" })");
  const Snapshot before = site.Take();
  const Snapshot uploads = TakeSnapshot(site.Sub("releases/r1/public/uploads"));
  site.Prepare(op);
  FaultEnv fault(Env::Default());
  fault.FailAt(1, EXDEV, FaultEnv::Kind::kRename);
  absl::Status applied = site.ApplyWith(&fault, op);
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_TRUE(fault.injected());
  EXPECT_FALSE(PathExists(site.Sub("releases/r1/public/uploads")));
  EXPECT_EQ(DiffSnapshots(uploads, TakeSnapshot(site.Sub("shared/uploads"))), "");
  EXPECT_EQ(DiffSnapshots(uploads, TakeSnapshot(site.Sub(std::string(kStash) + "/src"))), "");
  std::vector<std::string> rescued;
  absl::Status undone = site.UndoWith(&fault, op, &rescued);
  ASSERT_TRUE(undone.ok()) << undone;
  EXPECT_TRUE(rescued.empty());
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
  ASSERT_TRUE(site.UndoWith(Env::Default(), op, &rescued).ok());
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

TEST(OpsExdevTest, MoveAcrossFilesystemsOverAnExistingPathUndoesExactly) {
  Sandbox site;
  const Op op = ParseOp(R"(move { from: "incoming/v2" to: "releases/r1" })");
  const Snapshot before = site.Take();
  const Snapshot incoming = TakeSnapshot(site.Sub("incoming/v2"));
  site.Prepare(op);
  FaultEnv fault(Env::Default());
  fault.FailAt(1, EXDEV, FaultEnv::Kind::kRename);
  absl::Status applied = site.ApplyWith(&fault, op);
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_FALSE(PathExists(site.Sub("incoming/v2")));
  EXPECT_EQ(DiffSnapshots(incoming, TakeSnapshot(site.Sub("releases/r1"))), "");
  std::vector<std::string> rescued;
  absl::Status undone = site.UndoWith(Env::Default(), op, &rescued);
  ASSERT_TRUE(undone.ok()) << undone;
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

TEST(OpsExdevTest, UndoOfACrossFilesystemMoveRescuesFilesWrittenIntoTheCopy) {
  Sandbox site;
  const Op op = ParseOp(R"(move { from: "releases/r1/public/uploads" to: "shared/uploads" })");
  const Snapshot before = site.Take();
  site.Prepare(op);
  FaultEnv fault(Env::Default());
  fault.FailAt(1, EXDEV, FaultEnv::Kind::kRename);
  ASSERT_TRUE(site.ApplyWith(&fault, op).ok());
  WriteFile(site.Sub("shared/uploads/new.jpg"), "new upload");
  std::vector<std::string> rescued;
  ASSERT_TRUE(site.UndoWith(Env::Default(), op, &rescued).ok());
  EXPECT_EQ(rescued, std::vector<std::string>{".persist/rescued/testrun/shared/uploads/new.jpg"});
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

TEST(OpsExdevTest, ACrashAtAnyPointOfACrossFilesystemMoveIsUndoneExactly) {
  const char* kMove = R"(move { from: "releases/r1/public/uploads" to: "shared/uploads" })";
  int calls = 0;
  {
    Sandbox site;
    site.Prepare(ParseOp(kMove));
    FaultEnv counting(Env::Default());
    counting.FailAt(1, EXDEV, FaultEnv::Kind::kRename);
    ASSERT_TRUE(site.ApplyWith(&counting, ParseOp(kMove)).ok());
    calls = counting.mutations();
  }
  ASSERT_GT(calls, 5);
  for (int n : CrashPoints(calls)) {
    Sandbox site;
    const Op op = ParseOp(kMove);
    const Snapshot before = site.Take();
    site.Prepare(op);
    FaultEnv crashing(Env::Default());
    crashing.FailAt(1, EXDEV, FaultEnv::Kind::kRename);
    crashing.CrashAt(n);
    EXPECT_FALSE(site.ApplyWith(&crashing, op).ok());
    std::vector<std::string> rescued;
    absl::Status undone = site.UndoWith(Env::Default(), op, &rescued);
    ASSERT_TRUE(undone.ok()) << "crash at call " << n << ": " << undone;
    EXPECT_TRUE(rescued.empty()) << "crash at call " << n;
    EXPECT_EQ(DiffSnapshots(before, site.Take()), "") << "crash at call " << n;
  }
}

// ---- Without permission override (an ordinary user) ----

// The sample site's incoming/v2/config is a 0555 directory, as vendors ship
// them. Its copy must be undoable by the site's owner, not only by root.
TEST(OpsWithoutPermissionOverrideTest, UndoOfACopyHoldingAReadOnlyDirectoryRestoresTheTree) {
  Sandbox site;
  const Op op = ParseOp(R"(copy { from: "incoming/v2" to: "releases/r2" })");
  const Snapshot before = site.Take();
  site.Prepare(op);
  ChildResult result = RunWithoutPermissionOverride([&]() -> absl::Status {
    absl::Status applied = site.Apply(op);
    if (!applied.ok()) return applied;
    std::vector<std::string> rescued;
    return site.Undo(op, &rescued);
  });
  if (result.skipped) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

TEST(OpsWithoutPermissionOverrideTest, DISABLED_RemoveOfAReadOnlyDirectoryWorksAndIsUndoable) {
  Sandbox site;
  const Op op = ParseOp(R"(remove { path: "incoming/v2/config" })");
  const Snapshot before = site.Take();
  site.Prepare(op);
  ChildResult result = RunWithoutPermissionOverride([&]() -> absl::Status {
    absl::Status applied = site.Apply(op);
    if (!applied.ok()) return applied;
    if (PathExists(site.Sub("incoming/v2/config"))) return absl::InternalError("not removed");
    std::vector<std::string> rescued;
    return site.Undo(op, &rescued);
  });
  if (result.skipped) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(DiffSnapshots(before, site.Take()), "");
}

// ---- Validation and feasibility ----

TEST(ValidateOpTest, AcceptsEveryKindWithGoodPaths) {
  for (const OpCase& c : kOpCases) {
    EXPECT_TRUE(ValidateOp(ParseOp(c.text)).ok()) << c.name;
  }
}

TEST(ValidateOpTest, RejectsAnOpWithoutKind) {
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateOp(Op())));
}

TEST(ValidateOpTest, RejectsPathsInsidePersistsOwnDirectory) {
  for (const char* text : {
           R"(mkdir { path: ".persist" })",
           R"(remove { path: ".persist/journal" })",
           R"(write { path: ".persist/lock" content: "x" })",
           R"(copy { from: "shared" to: ".persist/stash/x" })",
           R"(move { from: ".persist/stash/r/0/old" to: "shared/x" })",
           R"(exchange { a: "shared/.env" b: ".persist/journal/data.mdb" })",
           R"(symlink { target: "x" path: ".persist/rescued" })",
           R"(chmod { path: ".persist" mode: 0777 })",
       }) {
    absl::Status status = ValidateOp(ParseOp(text));
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << text;
    EXPECT_NE(status.message().find(".persist"), absl::string_view::npos) << status;
  }
  // A name that merely starts the same way is an ordinary path.
  EXPECT_TRUE(ValidateOp(ParseOp(R"(mkdir { path: ".persistent" })")).ok());
}

TEST(ValidateOpTest, ACopyMayOnlyReadFromARunsStash) {
  EXPECT_TRUE(
      ValidateOp(
          ParseOp(R"(copy { from: ".persist/stash/r/0/old/public/qrcodes" to: "shared/q" })"))
          .ok());
  for (const char* text : {
           R"(copy { from: ".persist/stash" to: "shared/all-stashes" })",
           R"(copy { from: ".persist/journal" to: "shared/j" })",
           R"(copy { from: ".persist/rescued/r/shared" to: "shared/x" })",
           R"(move { from: ".persist/stash/r/0/old" to: "shared/x" })",
       }) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateOp(ParseOp(text)))) << text;
  }
}

TEST(ValidateOpTest, RejectsNestedFromAndTo) {
  for (const char* text : {
           R"(copy { from: "releases/r1" to: "releases/r1/backup" })",
           R"(move { from: "releases/r1/public" to: "releases/r1" })",
           R"(move { from: "shared" to: "shared" })",
           R"(exchange { a: "releases" b: "releases/r1" })",
       }) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateOp(ParseOp(text)))) << text;
  }
  EXPECT_TRUE(ValidateOp(ParseOp(R"(copy { from: "releases/r1" to: "releases/r1-copy" })")).ok());
}

TEST(ValidateOpTest, RejectsBadPathsNamingTheOp) {
  for (const char* text : {
           R"(remove { path: "../outside" })",
           R"(write { path: "/etc/passwd" content: "x" })",
           R"(mkdir { path: "" })",
           R"(copy { from: "a//b" to: "c" })",
           R"(move { from: "a" to: "b/./c" })",
       }) {
    absl::Status status = ValidateOp(ParseOp(text));
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << text;
  }
  absl::Status status = ValidateOp(ParseOp(R"(remove { path: "../outside" })"));
  EXPECT_NE(status.message().find("remove"), absl::string_view::npos) << status;
}

TEST(ValidateOpTest, RejectsASymlinkWithoutTarget) {
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateOp(ParseOp(R"(symlink { path: "current" })"))));
  Op op = ParseOp(R"(symlink { path: "current" })");
  op.mutable_symlink()->set_target(std::string("a\0b", 3));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateOp(op)));
}

PathState StateOf(FileType type) {
  PathState state;
  state.set_type(type);
  return state;
}

TEST(CheckFeasibleTest, RejectsRemoveOfAMissingPath) {
  absl::Status status =
      CheckFeasible(ParseOp(R"(remove { path: "releases/r0" })"), {StateOf(ABSENT)});
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_NE(status.message().find("releases/r0"), absl::string_view::npos) << status;
}

TEST(CheckFeasibleTest, RejectsChmodOfASymlink) {
  absl::Status status =
      CheckFeasible(ParseOp(R"(chmod { path: "current" mode: 0755 })"), {StateOf(SYMLINK)});
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_TRUE(absl::IsFailedPrecondition(
      CheckFeasible(ParseOp(R"(chmod { path: "x" mode: 0755 })"), {StateOf(ABSENT)})));
}

TEST(CheckFeasibleTest, RejectsMkdirOverAFile) {
  EXPECT_TRUE(absl::IsFailedPrecondition(
      CheckFeasible(ParseOp(R"(mkdir { path: "shared/.env" })"), {StateOf(REGULAR)})));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      CheckFeasible(ParseOp(R"(mkdir { path: "current" })"), {StateOf(SYMLINK)})));
  EXPECT_TRUE(CheckFeasible(ParseOp(R"(mkdir { path: "d" })"), {StateOf(DIRECTORY)}).ok());
  EXPECT_TRUE(CheckFeasible(ParseOp(R"(mkdir { path: "d" })"), {StateOf(ABSENT)}).ok());
}

TEST(CheckFeasibleTest, RejectsCopyOrMoveOfAMissingOrSpecialSource) {
  for (const char* text : {R"(copy { from: "a" to: "b" })", R"(move { from: "a" to: "b" })"}) {
    EXPECT_TRUE(absl::IsFailedPrecondition(
        CheckFeasible(ParseOp(text), {StateOf(ABSENT), StateOf(ABSENT)})))
        << text;
    EXPECT_TRUE(absl::IsFailedPrecondition(
        CheckFeasible(ParseOp(text), {StateOf(OTHER), StateOf(ABSENT)})))
        << text;
    EXPECT_TRUE(CheckFeasible(ParseOp(text), {StateOf(DIRECTORY), StateOf(REGULAR)}).ok()) << text;
  }
}

TEST(CheckFeasibleTest, RejectsExchangeWithAMissingSide) {
  const Op op = ParseOp(R"(exchange { a: "a" b: "b" })");
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckFeasible(op, {StateOf(REGULAR), StateOf(ABSENT)})));
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckFeasible(op, {StateOf(ABSENT), StateOf(REGULAR)})));
  EXPECT_TRUE(CheckFeasible(op, {StateOf(REGULAR), StateOf(DIRECTORY)}).ok());
}

TEST(CheckFeasibleTest, AcceptsWritesAndSymlinksOverAnything) {
  for (FileType type : {ABSENT, REGULAR, DIRECTORY, SYMLINK}) {
    EXPECT_TRUE(CheckFeasible(ParseOp(R"(write { path: "p" content: "x" })"), {StateOf(type)}).ok());
    EXPECT_TRUE(CheckFeasible(ParseOp(R"(symlink { path: "p" target: "x" })"), {StateOf(type)}).ok());
  }
}

TEST(CheckPreconditionsTest, PassesWhenTheTreeIsAsRecorded) {
  Sandbox site;
  const Op op = ParseOp(R"(copy { from: "incoming/v2" to: "releases/r2" })");
  site.Prepare(op);
  EXPECT_TRUE(CheckPreconditions(op, site.ctx()).ok());
}

TEST(CheckPreconditionsTest, StopsWhenAPathChangedTypeSinceItWasRecorded) {
  Sandbox site;
  const Op op = ParseOp(R"(copy { from: "incoming/v2" to: "releases/r2" })");
  site.Prepare(op);
  MakeDir(site.Sub("releases/r2"));
  absl::Status status = CheckPreconditions(op, site.ctx());
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_NE(status.message().find("releases/r2"), absl::string_view::npos) << status;
}

TEST(CheckPreconditionsTest, StopsWhenAPathIsAnotherObjectSinceItWasRecorded) {
  Sandbox site;
  const Op op = ParseOp(R"(write { path: "shared/.env" content: "x" })");
  site.Prepare(op);
  ASSERT_EQ(rename(site.Sub("shared/.env").c_str(), site.Sub("shared/.env.old").c_str()), 0);
  WriteFile(site.Sub("shared/.env"), "APP_KEY=base64:abc\n", 0600);
  absl::Status status = CheckPreconditions(op, site.ctx());
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
}

TEST(OpPathsTest, ListsThePathsInTheirFixedOrder) {
  EXPECT_EQ(OpPaths(ParseOp(R"(copy { from: "a" to: "b" })")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(OpPaths(ParseOp(R"(move { from: "a" to: "b" })")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(OpPaths(ParseOp(R"(exchange { a: "x" b: "y" })")), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(OpPaths(ParseOp(R"(symlink { target: "t" path: "p" })")), std::vector<std::string>{"p"});
  EXPECT_TRUE(OpPaths(Op()).empty());
}

TEST(DescribeOpTest, GivesOneReadableLine) {
  EXPECT_EQ(DescribeOp(ParseOp(R"(copy { from: "incoming/v2" to: "releases/r2" })")),
            "copy incoming/v2 -> releases/r2");
  EXPECT_EQ(DescribeOp(ParseOp(R"(chmod { path: "a" mode: 0700 })")), "chmod 0700 a");
  std::string line = DescribeOp(ParseOp(R"(remove { path: "evil\nname" })"));
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
}

}  // namespace
}  // namespace persist
