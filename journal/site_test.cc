// Copyright persist authors.

#include "journal/site.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "fsops/env.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "base/error_kind.h"
#include "base/next_step.h"
#include "journal/run_info.h"
#include "journal/store.h"
#include "proto/journal.pb.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::ReadFile;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::ContentOrMissing;
using ::persist::testing::WriteFile;


bool Contains(absl::string_view text, absl::string_view part) {
  return text.find(part) != absl::string_view::npos;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(SiteTest, OpenForWritingCreatesPersistsOwnDirectories) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "exec");
  ASSERT_TRUE(site.ok()) << site.status();
  for (const char* rel : {".persist", ".persist/journal", ".persist/stash", ".persist/rescued"}) {
    struct stat st;
    ASSERT_EQ(lstat(dir.Sub(rel).c_str(), &st), 0) << rel;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << rel;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << rel;
  }
  EXPECT_TRUE(PathExists(dir.Sub(".persist/journal/data.mdb")));
  EXPECT_EQ(ModeOf(dir.Sub(".persist/lock")), 0600u);
  // Nothing outside .persist/.
  EXPECT_TRUE(TakeSnapshot(dir.path()).empty());
}

TEST(SiteTest, TheLockFileNamesTheHolder) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "deploy");
  ASSERT_TRUE(site.ok()) << site.status();
  std::string holder = ReadFile(dir.Sub(".persist/lock"));
  EXPECT_TRUE(Contains(holder, absl::StrCat("pid=", getpid()))) << holder;
  EXPECT_TRUE(Contains(holder, "host=" + HostName())) << holder;
  EXPECT_TRUE(Contains(holder, "start=")) << holder;
  EXPECT_TRUE(Contains(holder, "command=deploy")) << holder;
}

TEST(SiteTest, ASecondWriterIsRefusedWhileTheFirstHoldsTheLock) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> first =
      Site::OpenForWriting(Env::Default(), dir.path(), "exec");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<Site>> second =
      Site::OpenForWriting(Env::Default(), dir.path(), "undo");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(ErrorKindOf(second.status()), ErrorKind::kLocked) << second.status();
  EXPECT_TRUE(Contains(second.status().message(), absl::StrCat("pid=", getpid())))
      << second.status();
  EXPECT_TRUE(Contains(second.status().message(), "host=" + HostName())) << second.status();
  EXPECT_TRUE(Contains(second.status().message(), dir.path())) << second.status();
  // The refused writer did not overwrite the holder line.
  EXPECT_TRUE(Contains(ContentOrMissing(dir.Sub(".persist/lock")), "command=exec"));
}

TEST(SiteTest, TheLockIsFreeOnceTheFirstWriterIsGone) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Site>> first =
        Site::OpenForWriting(Env::Default(), dir.path(), "exec");
    ASSERT_TRUE(first.ok()) << first.status();
  }
  absl::StatusOr<std::unique_ptr<Site>> second =
      Site::OpenForWriting(Env::Default(), dir.path(), "undo");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(Contains(ContentOrMissing(dir.Sub(".persist/lock")), "command=undo"));
}

TEST(SiteTest, AStaleHolderLineDoesNotBlock) {
  // A process that died keeps no flock: its line in the lock file is old news.
  TempDir dir;
  WriteFile(dir.Sub(".persist/lock"), "pid=999999 host=gone start=2020-01-01T00:00:00Z command=exec\n",
            0600);
  ::chmod(dir.Sub(".persist").c_str(), 0700);
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "recover");
  ASSERT_TRUE(site.ok()) << site.status();
  std::string holder = ReadFile(dir.Sub(".persist/lock"));
  EXPECT_TRUE(Contains(holder, "command=recover")) << holder;
  EXPECT_FALSE(Contains(holder, "pid=999999")) << holder;
}

TEST(SiteTest, OpenForReadingWithoutAJournalIsAUsageError) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), dir.path());
  ASSERT_FALSE(site.ok());
  EXPECT_EQ(ErrorKindOf(site.status()), ErrorKind::kUsage) << site.status();
  EXPECT_TRUE(Contains(site.status().message(), dir.path())) << site.status();
  // Reading creates nothing.
  EXPECT_FALSE(PathExists(dir.Sub(".persist")));
}

TEST(SiteTest, OpenForReadingSeesWhatAWriterRecorded) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Site>> writer =
        Site::OpenForWriting(Env::Default(), dir.path(), "exec");
    ASSERT_TRUE(writer.ok()) << writer.status();
    ::persist::Run run;
    run.set_id("r1");
    run.set_state(RUN_COMMITTED);
    ASSERT_TRUE((*writer)->store().PutRun(run).ok());
  }
  absl::StatusOr<std::unique_ptr<Site>> reader = Site::OpenForReading(Env::Default(), dir.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<::persist::Run> run = (*reader)->store().GetRun("r1");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), RUN_COMMITTED);
}

// A process killed while LMDB made the site's first journal leaves lock.mdb
// and no (or an empty) data.mdb: the site has recorded nothing, so the next
// command starts a new journal. Once runs were recorded (the stash shows
// them), the same files are a lost journal, and every command says so.
TEST(SiteTest, AJournalLostAfterRunsIsRefusedButOneWhoseCreationWasInterruptedIsNew) {
  for (const bool emptied : {false, true}) {
    SCOPED_TRACE(emptied ? "data.mdb emptied" : "data.mdb missing");
    TempDir dir;
    ASSERT_TRUE(Site::OpenForWriting(Env::Default(), dir.path(), "exec").ok());
    const std::string data = dir.Sub(".persist/journal/data.mdb");
    ASSERT_EQ(emptied ? truncate(data.c_str(), 0) : unlink(data.c_str()), 0);
    absl::StatusOr<std::unique_ptr<Site>> reader = Site::OpenForReading(Env::Default(), dir.path());
    if (!emptied) {
      ASSERT_FALSE(reader.ok());
      EXPECT_EQ(ErrorKindOf(reader.status()), ErrorKind::kUsage) << "no journal yet: " << reader.status();
    }
    absl::StatusOr<std::unique_ptr<Site>> fresh = Site::OpenForWriting(Env::Default(), dir.path(), "recover");
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    fresh->reset();

    MakeDir(dir.Sub(".persist/stash/20261128T101500Z/0"));
    ASSERT_EQ(emptied ? truncate(data.c_str(), 0) : unlink(data.c_str()), 0);
    for (const bool writing : {true, false}) {
      absl::StatusOr<std::unique_ptr<Site>> site =
          writing ? Site::OpenForWriting(Env::Default(), dir.path(), "recover")
                  : Site::OpenForReading(Env::Default(), dir.path());
      ASSERT_FALSE(site.ok()) << (writing ? "writing" : "reading");
      EXPECT_TRUE(absl::IsDataLoss(site.status())) << site.status();
      EXPECT_TRUE(Contains(site.status().message(), data)) << site.status();
    }
    EXPECT_EQ(PathExists(data), emptied) << "a lost journal was replaced";
  }
}

TEST(SiteTest, AMissingRootIsAUsageError) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.Sub("no-such-site"), "exec");
  ASSERT_FALSE(site.ok());
  EXPECT_EQ(ErrorKindOf(site.status()), ErrorKind::kUsage) << site.status();
  EXPECT_TRUE(Contains(site.status().message(), "no-such-site")) << site.status();
  EXPECT_FALSE(PathExists(dir.Sub("no-such-site")));
}

TEST(SiteTest, ASiteThisUserCannotWriteIsAUsageErrorAndStaysUntouched) {
  testing::TempDir dir;
  FaultEnv denied(Env::Default());
  denied.FailAt(1, EACCES, FaultEnv::Kind::kMkdir);
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&denied, dir.path(), "deploy");
  ASSERT_FALSE(site.ok());
  EXPECT_EQ(ErrorKindOf(site.status()), ErrorKind::kUsage) << site.status();
  EXPECT_TRUE(Contains(site.status().message(), "writable by the user running persist"))
      << site.status();
  EXPECT_EQ(testing::TakeSnapshot(dir.path(), {}), testing::Snapshot());
}

TEST(SiteTest, AReadOnlyFilesystemIsNamedAsSuchWithExitTwo) {
  testing::TempDir dir;
  FaultEnv read_only(Env::Default());
  read_only.FailAt(1, EROFS, FaultEnv::Kind::kMkdir);
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(&read_only, dir.path(), "deploy");
  ASSERT_FALSE(site.ok());
  EXPECT_EQ(ErrorKindOf(site.status()), ErrorKind::kUsage) << site.status();
  EXPECT_TRUE(Contains(site.status().message(), "is on a read-only filesystem: remount it"))
      << site.status();
  EXPECT_FALSE(Contains(site.status().message(), "site's owner")) << site.status();
  EXPECT_EQ(testing::TakeSnapshot(dir.path(), {}), testing::Snapshot());
}

TEST(SiteTest, NoSpaceForTheLockFileIsNamedAsSuch) {
  testing::TempDir dir;
  FaultEnv full(Env::Default());
  full.FailAt(1, ENOSPC, FaultEnv::Kind::kCreate);
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&full, dir.path(), "deploy");
  ASSERT_FALSE(site.ok());
  EXPECT_TRUE(Contains(site.status().message(), "has no space left (df -h")) << site.status();
  EXPECT_TRUE(Contains(site.status().message(), ".persist/lock")) << site.status();
  EXPECT_FALSE(Contains(site.status().message(), "site's owner")) << site.status();
}

TEST(SiteTest, AFullDiskDoesNotKeepTheLockFromBeingTaken) {
  testing::TempDir dir;
  FaultEnv full(Env::Default());
  // The first write is the lock's holder line.
  full.FailAt(1, ENOSPC, FaultEnv::Kind::kWrite);
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&full, dir.path(), "recover");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_TRUE(full.injected());
  absl::StatusOr<std::unique_ptr<Site>> second =
      Site::OpenForWriting(Env::Default(), dir.path(), "deploy");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(ErrorKindOf(second.status()), ErrorKind::kLocked) << second.status();
}

TEST(SiteTest, AFuseSiteIsRefusedWithExitTwoBeforeAnythingIsCreated) {
  testing::TempDir dir;
  FaultEnv fuse(Env::Default());
  fuse.FakeFilesystemType(0x65735546);
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&fuse, dir.path(), "deploy");
  ASSERT_FALSE(site.ok());
  EXPECT_EQ(ErrorKindOf(site.status()), ErrorKind::kUsage) << site.status();
  EXPECT_TRUE(Contains(site.status().message(), "network or FUSE filesystem (FUSE)"))
      << site.status();
  EXPECT_TRUE(Contains(site.status().message(), dir.path())) << site.status();
  EXPECT_FALSE(PathExists(dir.Sub(".persist")));
  EXPECT_EQ(fuse.mutations(), 0);
}

// The bytes the filesystem has given `path`.
off_t AllocatedBytes(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return -1;
  return static_cast<off_t>(st.st_blocks) * 512;
}

TEST(SiteTest, OpenForWritingKeepsAReserveOfRealBlocksThatUndoReleases) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Site>> site =
        Site::OpenForWriting(Env::Default(), dir.path(), "deploy");
    ASSERT_TRUE(site.ok()) << site.status();
    EXPECT_GE(AllocatedBytes(dir.Sub(".persist/reserve")), off_t{4} << 20);
    EXPECT_EQ(ModeOf(dir.Sub(".persist/reserve")), 0600u);
    ASSERT_TRUE((*site)->ReleaseReserve().ok());
    EXPECT_FALSE(PathExists(dir.Sub(".persist/reserve")));
    EXPECT_TRUE((*site)->ReleaseReserve().ok()) << "releasing twice is no error";
  }
  // The next command that changes the site writes it again.
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "deploy");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_GE(AllocatedBytes(dir.Sub(".persist/reserve")), off_t{4} << 20);
}

// Run as root on a site another user owns, what a run killed between
// making it and giving it away left root's in .persist/ is the owner's
// again once the site is opened for writing: the owner could not use it.
TEST(SiteTest, AsRootOpenForWritingGivesTheSitesOwnerBackWhatAKilledRunLeftRoots) {
  if (geteuid() != 0) GTEST_SKIP() << "changing owners needs root";
  TempDir dir;
  if (chown(dir.path().c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "chown refused here (a user namespace that maps only root)";
  }
  const char* const kOwn[] = {".persist",         ".persist/journal", ".persist/stash",
                              ".persist/rescued", ".persist/lock",    ".persist/reserve",
                              ".persist/journal/data.mdb", ".persist/journal/lock.mdb"};
  ASSERT_TRUE(Site::OpenForWriting(Env::Default(), dir.path(), "adopt").ok());
  for (const char* rel : kOwn) ASSERT_EQ(lchown(dir.Sub(rel).c_str(), 0, 0), 0) << rel;
  ASSERT_TRUE(Site::OpenForWriting(Env::Default(), dir.path(), "recover").ok());
  for (const char* rel : kOwn) {
    struct stat st;
    ASSERT_EQ(lstat(dir.Sub(rel).c_str(), &st), 0) << rel;
    EXPECT_EQ(st.st_uid, 65534u) << rel;
    EXPECT_EQ(st.st_gid, 65534u) << rel;
  }
}

TEST(SiteTest, AReserveTheDiskCannotHoldIsLeftOutNotAnError) {
  TempDir dir;
  FaultEnv full(Env::Default());
  full.FailAt(2, ENOSPC, FaultEnv::Kind::kWrite);  // 1: the lock's line, 2: the reserve
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&full, dir.path(), "deploy");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_TRUE(full.injected());
  EXPECT_FALSE(PathExists(dir.Sub(".persist/reserve")));
}

TEST(SiteTest, AReaderLeavesTheReserveAlone) {
  TempDir dir;
  ASSERT_TRUE(Site::OpenForWriting(Env::Default(), dir.path(), "deploy").ok());
  absl::StatusOr<std::unique_ptr<Site>> reader = Site::OpenForReading(Env::Default(), dir.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->ReleaseReserve().ok());
  EXPECT_TRUE(PathExists(dir.Sub(".persist/reserve")));
}

TEST(SiteTest, APersistDirectoryThatIsASymlinkIsRefused) {
  TempDir dir, elsewhere;
  MakeDir(elsewhere.Sub("state"), 0700);
  MakeSymlink(elsewhere.Sub("state"), dir.Sub(".persist"));
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "exec");
  EXPECT_FALSE(site.ok());
  EXPECT_TRUE(TakeSnapshot(elsewhere.Sub("state"), {}).empty()) << "wrote through the symlink";
  absl::StatusOr<std::unique_ptr<Site>> reader = Site::OpenForReading(Env::Default(), dir.path());
  EXPECT_FALSE(reader.ok());
}

TEST(SiteTest, AJournalDirectoryThatIsASymlinkIsRefused) {
  TempDir dir, elsewhere;
  MakeDir(dir.Sub(".persist"), 0700);
  MakeDir(elsewhere.Sub("journal"), 0700);
  MakeSymlink(elsewhere.Sub("journal"), dir.Sub(".persist/journal"));
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "exec");
  EXPECT_FALSE(site.ok());
  EXPECT_FALSE(PathExists(elsewhere.Sub("journal/data.mdb")));
}

TEST(SiteTest, ALockFileThatIsASymlinkIsNotFollowed) {
  TempDir dir, elsewhere;
  MakeDir(dir.Sub(".persist"), 0700);
  WriteFile(elsewhere.Sub("victim"), "precious");
  MakeSymlink(elsewhere.Sub("victim"), dir.Sub(".persist/lock"));
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "exec");
  EXPECT_FALSE(site.ok());
  EXPECT_EQ(ContentOrMissing(elsewhere.Sub("victim")), "precious");
}

TEST(SiteTest, APersistPathThatIsAFileIsRefused) {
  TempDir dir;
  WriteFile(dir.Sub(".persist"), "not a directory");
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "exec");
  EXPECT_FALSE(site.ok());
  EXPECT_EQ(ContentOrMissing(dir.Sub(".persist")), "not a directory");
}

TEST(SiteTest, AJournalOnNfsIsRefused) {
  TempDir dir;
  FaultEnv nfs(Env::Default());
  nfs.FakeFilesystemType(0x6969);
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(&nfs, dir.path(), "exec");
  ASSERT_FALSE(site.ok());
  EXPECT_TRUE(Contains(site.status().message(), "NFS")) << site.status();
}

TEST(SiteTest, FindInterruptedFindsARunLeftApplyingOrUndoing) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), dir.path(), "exec");
  ASSERT_TRUE(site.ok()) << site.status();
  absl::StatusOr<std::optional<::persist::Run>> none = (*site)->FindInterrupted();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ::persist::Run done;
  done.set_id("r1");
  done.set_state(RUN_COMMITTED);
  ASSERT_TRUE((*site)->store().PutRun(done).ok());
  none = (*site)->FindInterrupted();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  for (RunState state : {RUN_APPLYING, RUN_UNDOING}) {
    ::persist::Run half;
    half.set_id("r2");
    half.set_kind("deploy");
    half.set_state(state);
    half.set_pid(4242);
    half.set_host("web-1");
    ASSERT_TRUE((*site)->store().PutRun(half).ok());
    absl::StatusOr<std::optional<::persist::Run>> found = (*site)->FindInterrupted();
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->id(), "r2");
    absl::Status refusal = (*site)->NeedsRecovery(**found);
    EXPECT_EQ(ErrorKindOf(refusal), ErrorKind::kNeedsRecovery);
    EXPECT_TRUE(Contains(refusal.message(), "r2")) << refusal;
    EXPECT_TRUE(Contains(refusal.message(), "4242")) << refusal;
    EXPECT_TRUE(Contains(refusal.message(), "web-1")) << refusal;
    EXPECT_EQ(NextStepOf(refusal).step, NextStep::kRecover) << refusal;
    EXPECT_EQ(NextStepOf(refusal).site_dir, (*site)->root().dir()) << refusal;
  }
}

}  // namespace
}  // namespace persist
