// Copyright persist authors.

#include "fsops/trash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/root.h"
#include "fsops/testing/fault_env.h"
#include "fsops/testing/power_cut_env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::ReadFile;
using ::persist::testing::Snapshot;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

constexpr char kStaged[] = ".persist-run1-3.tmp";

std::unique_ptr<Root> MustOpen(Env* env, const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(env, dir);
  EXPECT_TRUE(root.ok()) << root.status();
  return root.ok() ? std::move(*root) : nullptr;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// A site whose releases/ holds a staged tree, as a killed deploy leaves it:
// nested directories, a read-only one, files of several modes, a symlink.
class TrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeDir(site_.Sub("releases/1"));
    MakeStaged(kStaged);
  }

  // A staged tree named `name` in releases/: files of 5, 9 and 5 bytes, a
  // symlink and an empty read-only directory.
  void MakeStaged(const std::string& name) {
    const std::string dir = site_.Sub("releases/" + name);
    WriteFile(dir + "/index.php", "<?php", 0644);
    WriteFile(dir + "/app/run.sh", "#!/bin/sh", 0755);
    WriteFile(dir + "/app/deep/er/.env", "KEY=1", 0600);
    MakeSymlink("../../shared/storage", dir + "/storage");
    MakeDir(dir + "/config");
    ASSERT_EQ(chmod((dir + "/config").c_str(), 0555), 0);
  }

  // SetAside of releases/`name` through `env`.
  absl::StatusOr<SetAsideResult> SetAsideWith(Env* env, const std::string& name,
                                              const std::string& hint) {
    std::unique_ptr<Root> root = MustOpen(env, site_.path());
    if (root == nullptr) return absl::InternalError("no root");
    absl::StatusOr<Fd> releases = root->OpenDir("releases");
    if (!releases.ok()) return releases.status();
    return SetAside(*root, Entry{releases->get(), name, "releases/" + name}, hint);
  }

  absl::StatusOr<TrashReport> EmptyWith(Env* env, bool wait) {
    std::unique_ptr<Root> root = MustOpen(env, site_.path());
    if (root == nullptr) return absl::InternalError("no root");
    return EmptyTrash(*root, wait);
  }

  std::vector<std::string> Trash() {
    std::unique_ptr<Root> root = MustOpen(Env::Default(), site_.path());
    absl::StatusOr<std::vector<std::string>> names = ListTrash(*root);
    EXPECT_TRUE(names.ok()) << names.status();
    if (!names.ok()) return {};
    std::sort(names->begin(), names->end());
    return *names;
  }

  std::string Trashed(const std::string& name) const {
    return site_.Sub(std::string(kTrashDir) + "/" + name);
  }
  std::string Staged() const { return site_.Sub(std::string("releases/") + kStaged); }

  TempDir site_;
};

// ---- SetAside ----

TEST_F(TrashTest, SetAsideMovesTheWholeTreeIntoTheTrashUnderTheGivenName) {
  const Snapshot tree = TakeSnapshot(Staged(), {});
  absl::StatusOr<SetAsideResult> result = SetAsideWith(Env::Default(), kStaged, "run1.3.staged");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, SetAsideResult::kTrashed);
  EXPECT_FALSE(PathExists(Staged()));
  EXPECT_EQ(TakeSnapshot(Trashed("run1.3.staged"), {}), tree);
  EXPECT_EQ(ModeOf(site_.Sub(kTrashDir)), 0700u);
  EXPECT_EQ(Trash(), std::vector<std::string>{"run1.3.staged"});
  EXPECT_TRUE(PathExists(site_.Sub("releases/1"))) << "only the entry moves";
}

TEST_F(TrashTest, SetAsideAddsASuffixWhenTheNameIsTaken) {
  MakeStaged("b.tmp");
  MakeStaged("c.tmp");
  for (const char* name : {kStaged, "b.tmp", "c.tmp"}) {
    absl::StatusOr<SetAsideResult> result = SetAsideWith(Env::Default(), name, "run1.stash");
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, SetAsideResult::kTrashed);
  }
  EXPECT_EQ(Trash(), (std::vector<std::string>{"run1.stash", "run1.stash.2", "run1.stash.3"}));
}

TEST_F(TrashTest, SetAsideWorksWhereRenameNoReplaceIsMissing) {
  MakeStaged("b.tmp");
  FaultEnv no_flags(Env::Default());
  no_flags.RefuseRenameFlags(RENAME_NOREPLACE);
  for (const char* name : {kStaged, "b.tmp"}) {
    absl::StatusOr<SetAsideResult> result = SetAsideWith(&no_flags, name, "run1.0.staged");
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, SetAsideResult::kTrashed);
  }
  EXPECT_EQ(Trash(), (std::vector<std::string>{"run1.0.staged", "run1.0.staged.2"}));
  EXPECT_EQ(ReadFile(Trashed("run1.0.staged.2") + "/index.php"), "<?php");
}

TEST_F(TrashTest, SetAsideOfAMissingEntryDoesNothing) {
  ASSERT_TRUE(SetAsideWith(Env::Default(), kStaged, "run1.3.staged").ok());
  const Snapshot trash = TakeSnapshot(site_.Sub(kTrashDir), {});
  FaultEnv counting(Env::Default());
  absl::StatusOr<SetAsideResult> again = SetAsideWith(&counting, kStaged, "run1.3.staged");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, SetAsideResult::kAbsent);
  EXPECT_EQ(counting.mutations(), 0);
  EXPECT_EQ(TakeSnapshot(site_.Sub(kTrashDir), {}), trash);
}

TEST_F(TrashTest, SetAsideRemovesInPlaceWhenTheTrashIsOnAnotherFilesystem) {
  FaultEnv exdev(Env::Default());
  exdev.FailAt(1, EXDEV, FaultEnv::Kind::kRename);
  absl::StatusOr<SetAsideResult> result = SetAsideWith(&exdev, kStaged, "run1.3.staged");
  ASSERT_TRUE(exdev.injected());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, SetAsideResult::kRemoved);
  EXPECT_FALSE(PathExists(Staged()));
  EXPECT_TRUE(Trash().empty());
  EXPECT_TRUE(PathExists(site_.Sub("releases/1")));
}

TEST_F(TrashTest, SetAsideRemovesInPlaceWhenTheTrashCannotBeMade) {
  WriteFile(site_.Sub(kTrashDir), "not a directory");
  absl::StatusOr<SetAsideResult> result = SetAsideWith(Env::Default(), kStaged, "run1.3.staged");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, SetAsideResult::kRemoved);
  EXPECT_FALSE(PathExists(Staged()));
  EXPECT_EQ(ReadFile(site_.Sub(kTrashDir)), "not a directory");
}

TEST_F(TrashTest, SetAsideReturnsAnyOtherErrorNamingThePathAndTheCause) {
  FaultEnv eio(Env::Default());
  eio.FailAt(1, EIO, FaultEnv::Kind::kRename);
  const Snapshot tree = TakeSnapshot(Staged(), {});
  absl::StatusOr<SetAsideResult> result = SetAsideWith(&eio, kStaged, "run1.3.staged");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(StatusErrno(result.status()), EIO);
  const std::string message(result.status().message());
  EXPECT_TRUE(absl::StrContains(message, std::string("releases/") + kStaged)) << message;
  EXPECT_TRUE(absl::StrContains(message, strerror(EIO))) << message;
  EXPECT_TRUE(absl::StrContains(message, "run the command again")) << message;
  EXPECT_EQ(TakeSnapshot(Staged(), {}), tree) << "nothing removed";
}

TEST_F(TrashTest, SetAsideRefusesANameHintThatIsNotOneShortComponent) {
  const Snapshot tree = TakeSnapshot(Staged(), {});
  for (const std::string& hint :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
        std::string(201, 'x'), std::string("a\0b", 3)}) {
    absl::StatusOr<SetAsideResult> result = SetAsideWith(Env::Default(), kStaged, hint);
    EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << hint << ": " << result.status();
  }
  EXPECT_EQ(TakeSnapshot(Staged(), {}), tree);
  EXPECT_FALSE(PathExists(site_.Sub(kTrashDir)));
}

// Once SetAside returns, a power cut (everything not yet synced forgotten)
// cannot bring the tree back under its old name: the caller journals that
// it is gone right after.
TEST_F(TrashTest, SetAsideIsDurableWhenItReturns) {
  const Snapshot tree = TakeSnapshot(Staged(), {});
  PowerCutEnv power(Env::Default(), site_.path());
  absl::StatusOr<SetAsideResult> result = SetAsideWith(&power, kStaged, "run1.3.staged");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(*result, SetAsideResult::kTrashed);
  power.Cut();
  EXPECT_EQ(power.reverted(), 0);
  EXPECT_FALSE(PathExists(Staged()));
  EXPECT_EQ(TakeSnapshot(Trashed("run1.3.staged"), {}), tree);
}

// Stopped dead at any of its calls, then run again: the tree ends up whole
// in the trash, once, and nothing is left under its old name.
TEST_F(TrashTest, SetAsideInterruptedAtAnyPointFinishesWhenRunAgain) {
  int calls = 0;
  {
    TempDir other;
    FaultEnv counting(Env::Default());
    MakeDir(other.Sub("releases"));
    WriteFile(other.Sub(std::string("releases/") + kStaged + "/f"), "x");
    std::unique_ptr<Root> root = MustOpen(&counting, other.path());
    absl::StatusOr<Fd> releases = root->OpenDir("releases");
    ASSERT_TRUE(releases.ok());
    ASSERT_TRUE(SetAside(*root, Entry{releases->get(), kStaged, kStaged}, "h").ok());
    calls = counting.mutations();
  }
  ASSERT_GE(calls, 5) << "mkdir .persist, mkdir trash, their fsyncs, the rename, two fsyncs";
  const Snapshot tree = TakeSnapshot(Staged(), {});
  for (int n = 1; n <= calls; ++n) {
    TempDir site;
    MakeDir(site.Sub("releases"));
    ASSERT_EQ(system(("cp -a " + Staged() + " " + site.Sub("releases/")).c_str()), 0);
    const std::string staged = site.Sub(std::string("releases/") + kStaged);
    FaultEnv crashing(Env::Default());
    crashing.CrashAt(n);
    {
      std::unique_ptr<Root> root = MustOpen(&crashing, site.path());
      absl::StatusOr<Fd> releases = root->OpenDir("releases");
      ASSERT_TRUE(releases.ok());
      EXPECT_FALSE(SetAside(*root, Entry{releases->get(), kStaged, kStaged}, "h").ok()) << n;
    }
    std::unique_ptr<Root> root = MustOpen(Env::Default(), site.path());
    absl::StatusOr<Fd> releases = root->OpenDir("releases");
    ASSERT_TRUE(releases.ok());
    absl::StatusOr<SetAsideResult> again =
        SetAside(*root, Entry{releases->get(), kStaged, kStaged}, "h");
    ASSERT_TRUE(again.ok()) << "crash at " << n << ": " << again.status();
    EXPECT_FALSE(PathExists(staged)) << "crash at " << n;
    absl::StatusOr<std::vector<std::string>> names = ListTrash(*root);
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, std::vector<std::string>{"h"}) << "crash at " << n;
    EXPECT_EQ(TakeSnapshot(site.Sub(std::string(kTrashDir) + "/h"), {}), tree) << "crash at " << n;
  }
}

// ---- EmptyTrash ----

TEST_F(TrashTest, EmptyTrashRemovesEveryEntryAndSaysHowMuch) {
  MakeStaged("b.tmp");
  ASSERT_TRUE(SetAsideWith(Env::Default(), kStaged, "run1.3.staged").ok());
  ASSERT_TRUE(SetAsideWith(Env::Default(), "b.tmp", "run1.4.staged").ok());
  ASSERT_EQ(Trash().size(), 2u);
  absl::StatusOr<TrashReport> report = EmptyWith(Env::Default(), /*wait=*/true);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->busy);
  EXPECT_EQ(report->entries, 2);
  EXPECT_EQ(report->files, 8u) << "three files and a symlink in each";
  EXPECT_EQ(report->bytes, 2u * (5 + 9 + 5));
  EXPECT_TRUE(Trash().empty());
  EXPECT_TRUE(PathExists(site_.Sub(kTrashDir))) << "the directory itself stays";
  EXPECT_TRUE(PathExists(site_.Sub("releases/1")));
}

TEST_F(TrashTest, EmptyTrashWithoutATrashDoesNothing) {
  absl::StatusOr<TrashReport> report = EmptyWith(Env::Default(), /*wait=*/true);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 0);
  EXPECT_FALSE(PathExists(site_.Sub(".persist")));
}

TEST_F(TrashTest, EmptyTrashRemovesSymlinksWithoutFollowingThem) {
  TempDir outside;
  WriteFile(outside.Sub("keep/data.txt"), "precious");
  WriteFile(outside.Sub("file.txt"), "also precious");
  MakeDir(site_.Sub(kTrashDir), 0700);
  MakeSymlink(outside.Sub("keep"), Trashed("dir-link"));
  MakeSymlink(outside.Sub("file.txt"), Trashed("file-link"));
  MakeSymlink(outside.Sub("keep"), Trashed("tree/nested-link"));
  const Snapshot before = TakeSnapshot(outside.path(), {});
  absl::StatusOr<TrashReport> report = EmptyWith(Env::Default(), /*wait=*/true);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 3);
  EXPECT_TRUE(Trash().empty());
  EXPECT_EQ(TakeSnapshot(outside.path(), {}), before) << "a target outside was touched";
  EXPECT_EQ(ReadFile(outside.Sub("keep/data.txt")), "precious");
}

// Entries that another remover takes away while this one works are not an
// error: the hook removes, with plain calls, a file that is about to be
// unlinked and a whole entry that was already listed.
TEST_F(TrashTest, EmptyTrashToleratesEntriesThatVanish) {
  MakeDir(site_.Sub(kTrashDir), 0700);
  WriteFile(Trashed("a/one"), "1");
  WriteFile(Trashed("a/two"), "2");
  WriteFile(Trashed("b/three"), "3");
  FaultEnv racing(Env::Default());
  bool raced = false;
  racing.SetHook([&](int, FaultEnv::Kind kind) {
    if (kind != FaultEnv::Kind::kUnlink || raced) return;
    raced = true;
    unlink(Trashed("a/one").c_str());
    unlink(Trashed("a/two").c_str());
    unlink(Trashed("b/three").c_str());
    rmdir(Trashed("b").c_str());
  });
  absl::StatusOr<TrashReport> report = EmptyWith(&racing, /*wait=*/true);
  ASSERT_TRUE(raced);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(Trash().empty());
}

// A background emptier's output goes nowhere: why it failed is kept in
// kTrashFailureFile for verify, until an emptying succeeds.
TEST_F(TrashTest, AFailedEmptyingIsKeptUntilOneSucceeds) {
  ASSERT_TRUE(SetAsideWith(Env::Default(), kStaged, "run1.3.staged").ok());
  FaultEnv eio(Env::Default());
  eio.FailAt(1, EIO, FaultEnv::Kind::kUnlink);
  absl::StatusOr<TrashReport> failed = EmptyWith(&eio, /*wait=*/true);
  ASSERT_FALSE(failed.ok());
  std::unique_ptr<Root> root = MustOpen(Env::Default(), site_.path());
  absl::StatusOr<std::string> why = LastTrashFailure(*root);
  ASSERT_TRUE(why.ok()) << why.status();
  EXPECT_NE(why->find("UTC: "), std::string::npos) << *why;
  EXPECT_NE(why->find(std::string(failed.status().message())), std::string::npos) << *why;
  EXPECT_FALSE(PathExists(site_.Sub(std::string(kTrashFailureFile) + ".tmp")));
  EXPECT_EQ(Trash().size(), 1u);

  absl::StatusOr<TrashReport> emptied = EmptyWith(Env::Default(), /*wait=*/true);
  ASSERT_TRUE(emptied.ok()) << emptied.status();
  why = LastTrashFailure(*root);
  ASSERT_TRUE(why.ok()) << why.status();
  EXPECT_EQ(*why, "");
  EXPECT_FALSE(PathExists(site_.Sub(kTrashFailureFile)));
}

TEST_F(TrashTest, EmptyTrashWaitsForAnotherEmptierOrSaysItIsBusy) {
  ASSERT_TRUE(SetAsideWith(Env::Default(), kStaged, "run1.3.staged").ok());
  const int held = open(site_.Sub(kTrashDir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(flock(held, LOCK_EX), 0);

  absl::StatusOr<TrashReport> busy = EmptyWith(Env::Default(), /*wait=*/false);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_TRUE(busy->busy);
  EXPECT_EQ(busy->entries, 0);
  EXPECT_EQ(Trash().size(), 1u) << "a busy trash is left alone";

  std::atomic<bool> done{false};
  absl::StatusOr<TrashReport> waited;
  std::thread emptier([&] {
    waited = EmptyWith(Env::Default(), /*wait=*/true);
    done = true;
  });
  usleep(300 * 1000);
  EXPECT_FALSE(done.load()) << "it must wait for the lock";
  EXPECT_EQ(Trash().size(), 1u);
  close(held);
  emptier.join();
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->entries, 1);
  EXPECT_TRUE(Trash().empty());
}

}  // namespace
}  // namespace persist
