// Copyright persist authors.

#include "journal/store.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <lmdb.h>

#include <map>

#include "fsops/env.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "base/error_kind.h"
#include "proto/journal.pb.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::ReadFile;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

class StoreTest : public ::testing::Test {
 protected:
  // The journal's Run, not ::testing::Test::Run.
  using Run = ::persist::Run;

  void SetUp() override { MakeDir(Dir(), 0700); }
  ~StoreTest() override {
    store_.reset();
    if (dir_fd_ >= 0) close(dir_fd_);
  }

  std::string Dir() const { return tmp_.Sub("journal"); }

  absl::StatusOr<std::unique_ptr<Store>> OpenWith(Env* env,
                                                  Store::Access access = Store::Access::kReadWrite) {
    if (dir_fd_ < 0) dir_fd_ = open(Dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    EXPECT_GE(dir_fd_, 0);
    return Store::Open(env, Dir(), dir_fd_, true, access);
  }

  void MustOpen() {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(Env::Default());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  static Run MakeRun(const std::string& id, int64_t start_ns = 1) {
    Run run;
    run.set_id(id);
    run.set_kind("exec");
    run.set_state(RUN_COMMITTED);
    run.set_start_ns(start_ns);
    return run;
  }

  static OpRecord MakeOp(const std::string& run_id, uint32_t index) {
    OpRecord op;
    op.set_run_id(run_id);
    op.set_index(index);
    op.mutable_op()->mutable_remove()->set_path("p" + std::to_string(index));
    PathState* before = op.add_before();
    before->set_path(op.op().remove().path());
    before->set_type(REGULAR);
    op.set_status(OP_INTENDED);
    return op;
  }

  TempDir tmp_;
  int dir_fd_ = -1;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ARunRoundTripsWithEveryField) {
  MustOpen();
  Run run;
  run.set_id("20261128T101500Z");
  run.set_kind("deploy");
  run.set_state(RUN_FAILED);
  run.set_start_ns(1764324900000000001);
  run.set_end_ns(1764324901000000002);
  run.set_user("deploy");
  run.set_host("web-1");
  run.set_pid(4242);
  run.set_op_count(12);
  run.set_error("op 3 failed");
  run.set_release("20261128T101500Z");
  run.set_exit_code(1);
  run.set_undo_reason("failed: ENOSPC");
  run.add_rescued(".persist/rescued/x/a");
  run.add_rescued(".persist/rescued/x/b");
  run.set_stash_purged(true);
  ASSERT_TRUE(store_->PutRun(run).ok());
  absl::StatusOr<Run> back = store_->GetRun(run.id());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->SerializeAsString(), run.SerializeAsString());
}

TEST_F(StoreTest, AnOpRoundTripsWithItsStates) {
  MustOpen();
  OpRecord op = MakeOp("r1", 7);
  *op.mutable_op() = Op();
  op.clear_before();
  op.mutable_op()->mutable_write()->set_path("shared/.env");
  op.mutable_op()->mutable_write()->set_content(std::string("bin\0ary", 7));
  PathState* before = op.add_before();
  before->set_path("shared/.env");
  before->set_type(REGULAR);
  before->set_mode(0600);
  before->set_digest(std::string(32, '\xab'));
  before->set_inode(99);
  op.set_swap_recorded(true);
  op.set_staged_inode(123);
  op.set_staged_dev(45);
  ASSERT_TRUE(store_->PutOp(op).ok());
  absl::StatusOr<std::vector<OpRecord>> ops = store_->GetOps("r1");
  ASSERT_TRUE(ops.ok()) << ops.status();
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].SerializeAsString(), op.SerializeAsString());
}

TEST_F(StoreTest, RecordsOutliveTheStore) {
  MustOpen();
  ASSERT_TRUE(store_->PutRun(MakeRun("r1")).ok());
  ASSERT_TRUE(store_->PutOp(MakeOp("r1", 0)).ok());
  store_.reset();
  MustOpen();
  EXPECT_TRUE(store_->GetRun("r1").ok());
  absl::StatusOr<std::vector<OpRecord>> ops = store_->GetOps("r1");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->size(), 1u);
}

TEST_F(StoreTest, GetRunOfAnUnknownIdIsNotFound) {
  MustOpen();
  absl::StatusOr<Run> run = store_->GetRun("nope");
  EXPECT_TRUE(absl::IsNotFound(run.status())) << run.status();
  EXPECT_NE(run.status().message().find("nope"), absl::string_view::npos);
}

// Records are checked as they are read (record_codec.h): one that parses but
// would mislead undo is DataLoss naming the record, not a crash later.
TEST_F(StoreTest, ARecordThatBreaksWhatUndoAssumesIsGarbled) {
  MustOpen();
  ASSERT_TRUE(store_->PutRun(MakeRun("..")).ok());
  absl::StatusOr<Run> run = store_->GetRun("..");
  EXPECT_TRUE(absl::IsDataLoss(run.status())) << run.status();
  EXPECT_NE(run.status().message().find("garbled"), absl::string_view::npos) << run.status();
  EXPECT_TRUE(absl::IsDataLoss(store_->ListRuns().status()));

  OpRecord op = MakeOp("r1", 0);
  op.clear_before();
  ASSERT_TRUE(store_->PutOp(op).ok());
  absl::StatusOr<std::vector<OpRecord>> ops = store_->GetOps("r1");
  EXPECT_TRUE(absl::IsDataLoss(ops.status())) << ops.status();
  EXPECT_NE(ops.status().message().find("r1/00000000"), absl::string_view::npos) << ops.status();
}

TEST_F(StoreTest, ARewrittenRunReplacesTheOldRecord) {
  MustOpen();
  Run run = MakeRun("r1");
  ASSERT_TRUE(store_->PutRun(run).ok());
  run.set_state(RUN_UNDONE);
  ASSERT_TRUE(store_->PutRun(run).ok());
  absl::StatusOr<std::vector<Run>> runs = store_->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].state(), RUN_UNDONE);
}

TEST_F(StoreTest, ListRunsGivesTheRunsOldestFirst) {
  MustOpen();
  for (const char* id : {"20261128T101502Z", "20261128T101500Z", "20261128T101500Z-2",
                         "20261127T235959Z", "20261128T101501Z"}) {
    ASSERT_TRUE(store_->PutRun(MakeRun(id)).ok());
  }
  absl::StatusOr<std::vector<Run>> runs = store_->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status();
  std::vector<std::string> ids;
  for (const Run& run : *runs) ids.push_back(run.id());
  EXPECT_EQ(ids, (std::vector<std::string>{"20261127T235959Z", "20261128T101500Z",
                                           "20261128T101500Z-2", "20261128T101501Z",
                                           "20261128T101502Z"}));
}

// Run ids get a -2, -3, ... suffix when several start in one second
// (transaction.h). The tenth such run must still list after the ninth.
TEST_F(StoreTest, ListRunsKeepsTheOrderOfTenOrMoreRunsStartedInOneSecond) {
  MustOpen();
  std::vector<std::string> created;
  for (int n = 1; n <= 12; ++n) {
    std::string id = n == 1 ? "20261128T101500Z" : "20261128T101500Z-" + std::to_string(n);
    created.push_back(id);
    ASSERT_TRUE(store_->PutRun(MakeRun(id, 1000 + n)).ok());
  }
  absl::StatusOr<std::vector<Run>> runs = store_->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status();
  std::vector<std::string> listed;
  for (const Run& run : *runs) listed.push_back(run.id());
  EXPECT_EQ(listed, created);
}

TEST_F(StoreTest, ListRunsOfAnEmptyJournalIsEmpty) {
  MustOpen();
  absl::StatusOr<std::vector<Run>> runs = store_->ListRuns();
  ASSERT_TRUE(runs.ok());
  EXPECT_TRUE(runs->empty());
}

TEST_F(StoreTest, GetOpsReturnsOnlyThatRunsOpsInIndexOrder) {
  MustOpen();
  // Interleaved writes, indexes past 9 (so that "10" must sort after "9"),
  // and run ids that share a prefix.
  for (uint32_t index : {11u, 0u, 9u, 2u, 10u, 1u}) {
    ASSERT_TRUE(store_->PutOp(MakeOp("r1", index)).ok());
    ASSERT_TRUE(store_->PutOp(MakeOp("r1-2", index)).ok());
  }
  ASSERT_TRUE(store_->PutOp(MakeOp("r", 0)).ok());
  ASSERT_TRUE(store_->PutOp(MakeOp("r10", 0)).ok());
  ASSERT_TRUE(store_->PutOp(MakeOp("r0", 3)).ok());
  absl::StatusOr<std::vector<OpRecord>> ops = store_->GetOps("r1");
  ASSERT_TRUE(ops.ok()) << ops.status();
  std::vector<uint32_t> indexes;
  for (const OpRecord& op : *ops) {
    EXPECT_EQ(op.run_id(), "r1");
    indexes.push_back(op.index());
  }
  EXPECT_EQ(indexes, (std::vector<uint32_t>{0, 1, 2, 9, 10, 11}));
  absl::StatusOr<std::vector<OpRecord>> other = store_->GetOps("r1-2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->size(), 6u);
  for (const OpRecord& op : *other) EXPECT_EQ(op.run_id(), "r1-2");
  absl::StatusOr<std::vector<OpRecord>> short_id = store_->GetOps("r");
  ASSERT_TRUE(short_id.ok());
  ASSERT_EQ(short_id->size(), 1u);
  EXPECT_EQ((*short_id)[0].run_id(), "r");
}

TEST_F(StoreTest, GetOpsOfARunWithoutOpsIsEmpty) {
  MustOpen();
  ASSERT_TRUE(store_->PutOp(MakeOp("r1", 0)).ok());
  absl::StatusOr<std::vector<OpRecord>> ops = store_->GetOps("r2");
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_TRUE(ops->empty());
  absl::StatusOr<std::vector<OpRecord>> last = store_->GetOps("zzz");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_TRUE(last->empty());
}

TEST_F(StoreTest, ABatchIsWrittenWhole) {
  MustOpen();
  Store::Batch batch;
  batch.runs.push_back(MakeRun("r1"));
  for (uint32_t i = 0; i < 3; ++i) batch.ops.push_back(MakeOp("r1", i));
  ASSERT_TRUE(store_->Write(batch).ok());
  EXPECT_TRUE(store_->GetRun("r1").ok());
  absl::StatusOr<std::vector<OpRecord>> ops = store_->GetOps("r1");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->size(), 3u);
}

// A manifest the writer kept in several pieces is stored as one record
// and reads back entry for entry.
TEST_F(StoreTest, AManifestOfManyPiecesIsReadBackWhole) {
  MustOpen();
  ManifestWriter writer;
  ManifestEntry root;
  root.set_type(DIRECTORY);
  writer.Add(root);
  for (int i = 0; i < 20000; ++i) {
    ManifestEntry file;
    file.set_path("f" + std::to_string(100000 + i) + std::string(60, 'x'));
    file.set_type(REGULAR);
    file.set_digest(std::string(32, static_cast<char>(i)));
    file.set_inode(i);
    writer.Add(file);
  }
  Store::Batch batch;
  batch.runs.push_back(MakeRun("r1"));
  batch.manifests.push_back(writer.Finish("releases/r1", "r1"));
  ASSERT_GT(batch.manifests.back().pieces.size(), 1u);
  ASSERT_TRUE(store_->Write(batch).ok());
  absl::StatusOr<std::unique_ptr<Store::ManifestView>> view = store_->ReadManifest("releases/r1");
  ASSERT_TRUE(view.ok()) << view.status();
  ManifestEntry entry;
  ASSERT_TRUE((*view)->reader().Next(&entry));
  EXPECT_EQ(entry.path(), "");
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE((*view)->reader().Next(&entry)) << i << " " << (*view)->reader().status();
    ASSERT_EQ(entry.inode(), static_cast<uint64_t>(i));
    ASSERT_EQ(entry.digest(), std::string(32, static_cast<char>(i)));
  }
  EXPECT_FALSE((*view)->reader().Next(&entry));
  EXPECT_TRUE((*view)->reader().status().ok()) << (*view)->reader().status();
}

TEST_F(StoreTest, AWriteStoppedBeforeItStartsLeavesNothing) {
  FaultEnv fault(Env::Default());
  fault.FailAt(1, EIO, FaultEnv::Kind::kJournal);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(&fault);
  ASSERT_TRUE(store.ok()) << store.status();
  Store::Batch batch;
  batch.runs.push_back(MakeRun("r1"));
  batch.ops.push_back(MakeOp("r1", 0));
  EXPECT_FALSE((*store)->Write(batch).ok());
  EXPECT_TRUE(absl::IsNotFound((*store)->GetRun("r1").status()));
  absl::StatusOr<std::vector<OpRecord>> ops = (*store)->GetOps("r1");
  ASSERT_TRUE(ops.ok());
  EXPECT_TRUE(ops->empty());
  // The next write goes through.
  EXPECT_TRUE((*store)->Write(batch).ok());
  EXPECT_TRUE((*store)->GetRun("r1").ok());
}

TEST_F(StoreTest, OpenRefusesNfsNamingIt) {
  FaultEnv fault(Env::Default());
  fault.FakeFilesystemType(0x6969);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(&fault);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_NE(store.status().message().find("NFS"), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find(Dir()), absl::string_view::npos) << store.status();
  // Nothing was created in the directory.
  EXPECT_FALSE(::persist::testing::PathExists(Dir() + "/data.mdb"));
}

TEST_F(StoreTest, OpenRefusesOtherNetworkFilesystems) {
  for (long magic : {0xFF534D42L, 0x517BL, 0x65735546L, 0x00C36400L, 0x01021997L}) {
    FaultEnv fault(Env::Default());
    fault.FakeFilesystemType(magic);
    absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(&fault);
    EXPECT_FALSE(store.ok()) << std::hex << magic;
  }
  // A local filesystem (ext4) is fine.
  FaultEnv ext4(Env::Default());
  ext4.FakeFilesystemType(0xEF53);
  EXPECT_TRUE(OpenWith(&ext4).ok());
}

TEST_F(StoreTest, ANetworkFilesystemIsAConfigurationErrorWithExitTwo) {
  FaultEnv fuse(Env::Default());
  fuse.FakeFilesystemType(0x65735546);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(&fuse);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(ErrorKindOf(store.status()), ErrorKind::kUsage) << store.status();
  EXPECT_NE(store.status().message().find("network or FUSE filesystem (FUSE)"),
            absl::string_view::npos) << store.status();
}

// The bytes of every file in the journal directory, by name.
std::map<std::string, std::string> JournalFiles(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const char* name : {"data.mdb", "lock.mdb"}) {
    files[name] = ::persist::testing::ContentOrMissing(dir + "/" + name);
  }
  return files;
}

TEST_F(StoreTest, AJournalOpenedReadOnlyReadsWhatWasWrittenAndWritesNothing) {
  MustOpen();
  ASSERT_TRUE(store_->PutRun(MakeRun("r1")).ok());
  ASSERT_TRUE(store_->PutOp(MakeOp("r1", 0)).ok());
  store_.reset();
  const auto before = JournalFiles(Dir());
  struct stat data_before;
  ASSERT_EQ(stat((Dir() + "/data.mdb").c_str(), &data_before), 0);

  absl::StatusOr<std::unique_ptr<Store>> reader = OpenWith(Env::Default(), Store::Access::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->read_only());
  absl::StatusOr<std::vector<Run>> runs = (*reader)->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].id(), "r1");
  absl::StatusOr<std::vector<OpRecord>> ops = (*reader)->GetOps("r1");
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(ops->size(), 1u);
  absl::Status write = (*reader)->PutRun(MakeRun("r2"));
  EXPECT_FALSE(write.ok());
  EXPECT_NE(write.message().find("opened to be read"), absl::string_view::npos) << write;
  reader->reset();
  EXPECT_EQ(JournalFiles(Dir())["data.mdb"], before.at("data.mdb"));
  struct stat data_after;
  ASSERT_EQ(stat((Dir() + "/data.mdb").c_str(), &data_after), 0);
  EXPECT_EQ(data_after.st_mtim.tv_nsec, data_before.st_mtim.tv_nsec);
  EXPECT_EQ(data_after.st_mtim.tv_sec, data_before.st_mtim.tv_sec);
}

TEST_F(StoreTest, AJournalWithoutTablesOpenedReadOnlyReadsAsEmptyAndCreatesNone) {
  {
    // A journal LMDB created but persist never wrote to: no tables.
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_open(env, Dir().c_str(), 0, 0600), 0);
    mdb_env_close(env);
  }
  const auto before = JournalFiles(Dir());
  absl::StatusOr<std::unique_ptr<Store>> reader = OpenWith(Env::Default(), Store::Access::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<Run>> runs = (*reader)->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_TRUE(runs->empty());
  EXPECT_TRUE(absl::IsNotFound((*reader)->GetRun("r1").status()));
  absl::StatusOr<std::vector<OpRecord>> ops = (*reader)->GetOps("r1");
  ASSERT_TRUE(ops.ok());
  EXPECT_TRUE(ops->empty());
  EXPECT_TRUE(absl::IsNotFound((*reader)->ReadManifest("releases/r1").status()));
  reader->reset();
  EXPECT_EQ(JournalFiles(Dir())["data.mdb"], before.at("data.mdb"));
}

// Sets or clears the immutable flag (chattr +i), which even root cannot
// write through; false where the filesystem has no such flag.
bool SetImmutable(const std::string& path, bool on) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok) {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  close(fd);
  return ok;
}

TEST_F(StoreTest, AReaderThatCannotWriteLockMdbReadsWithoutLmdbsReaderTable) {
  MustOpen();
  ASSERT_TRUE(store_->PutRun(MakeRun("r1")).ok());
  store_.reset();
  const std::string lock = Dir() + "/lock.mdb";
  if (!SetImmutable(lock, true)) GTEST_SKIP() << "SKIP: no chattr +i on this filesystem";
  absl::StatusOr<std::unique_ptr<Store>> writer = OpenWith(Env::Default());
  absl::StatusOr<std::unique_ptr<Store>> reader = OpenWith(Env::Default(), Store::Access::kReadOnly);
  absl::StatusOr<std::vector<Run>> runs =
      reader.ok() ? (*reader)->ListRuns() : absl::StatusOr<std::vector<Run>>(reader.status());
  reader = absl::InternalError("closed");
  SetImmutable(lock, false);
  // A writer needs the lock file; a reader does without.
  EXPECT_FALSE(writer.ok());
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].id(), "r1");
}

TEST_F(StoreTest, ANewJournalGetsRealBlocksBeyondItsLastPage) {
  MustOpen();
  store_.reset();
  for (const char* name : {"data.mdb", "lock.mdb"}) {
    struct stat st;
    ASSERT_EQ(stat((Dir() + "/" + name).c_str(), &st), 0) << name;
    // Allocated blocks cover the whole file (no hole LMDB's map must fill).
    EXPECT_GE(static_cast<off_t>(st.st_blocks) * 512, st.st_size) << name;
  }
  struct stat data;
  ASSERT_EQ(stat((Dir() + "/data.mdb").c_str(), &data), 0);
  EXPECT_GE(static_cast<off_t>(data.st_blocks) * 512, data.st_size + (off_t{4} << 20));
}

// Writes twenty runs of ten ops each.
void WriteSampleJournal(Store* store) {
  for (int r = 0; r < 20; ++r) {
    Store::Batch batch;
    Run run;
    run.set_id("run" + std::to_string(r));
    run.set_error(std::string(300, 'e'));
    batch.runs.push_back(run);
    for (uint32_t i = 0; i < 10; ++i) {
      OpRecord op;
      op.set_run_id(run.id());
      op.set_index(i);
      op.mutable_op()->mutable_write()->set_path("p");
      op.mutable_op()->mutable_write()->set_content(std::string(200, 'c'));
      batch.ops.push_back(op);
    }
    EXPECT_TRUE(store->Write(batch).ok());
  }
}

void Garble(const std::string& path, size_t from) {
  std::string bytes = ReadFile(path);
  std::mt19937 random(20261128);
  for (size_t i = from; i < bytes.size(); ++i) bytes[i] = static_cast<char>(random());
  WriteFile(path, bytes, 0600);
}

TEST_F(StoreTest, AJournalOverwrittenWithRandomBytesIsRefusedWithAnError) {
  MustOpen();
  WriteSampleJournal(store_.get());
  store_.reset();
  Garble(Dir() + "/data.mdb", 0);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(Env::Default());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsDataLoss(store.status())) << store.status();
  EXPECT_NE(store.status().message().find("data.mdb"), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find("damaged"), absl::string_view::npos) << store.status();
}

// Random bytes over the data pages, with LMDB's meta pages intact. Opening
// must give an error or a journal, never kill the process; run in a child
// process so that a crash is this test's failure, not the test binary's.
TEST_F(StoreTest, OpeningAJournalWithGarbledDataPagesGivesAnErrorNotACrash) {
  MustOpen();
  WriteSampleJournal(store_.get());
  store_.reset();
  Garble(Dir() + "/data.mdb", 2 * 4096);
  EXPECT_EXIT(
      {
        absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(Env::Default());
        fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
        exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// The same journal read through an environment that opened before the damage
// (a reader that was running when the disk went bad): reads give records or
// errors.
TEST_F(StoreTest, ReadingAJournalGarbledUnderneathGivesErrorsNotACrash) {
  MustOpen();
  WriteSampleJournal(store_.get());
  Garble(Dir() + "/data.mdb", 2 * 4096);
  EXPECT_EXIT(
      {
        absl::StatusOr<std::vector<::persist::Run>> runs = store_->ListRuns();
        fprintf(stderr, "list: %s\n", runs.status().ToString().c_str());
        for (int r = 0; r < 20; ++r) store_->GetOps("run" + std::to_string(r)).IgnoreError();
        store_->GetRun("run3").IgnoreError();
        exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// A damaged journal is refused naming data.mdb and the way out; the file is
// left as it was found, for whoever inspects it.
void ExpectDamaged(const absl::StatusOr<std::unique_ptr<Store>>& store, const std::string& what) {
  ASSERT_FALSE(store.ok()) << "a " << what << " journal opened";
  EXPECT_TRUE(absl::IsDataLoss(store.status())) << store.status();
  EXPECT_NE(store.status().message().find("data.mdb"), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find("mv .persist/journal .persist/journal."),
            absl::string_view::npos)
      << store.status();
}

TEST_F(StoreTest, AnEmptyDataMdbIsRefusedNotTakenForANewJournal) {
  MustOpen();
  WriteSampleJournal(store_.get());
  store_.reset();
  ASSERT_EQ(truncate((Dir() + "/data.mdb").c_str(), 0), 0);
  ExpectDamaged(OpenWith(Env::Default()), "emptied");
  EXPECT_EQ(ReadFile(Dir() + "/data.mdb"), "") << "LMDB wrote a new journal over the empty one";
}

TEST_F(StoreTest, AMissingDataMdbBesideItsLockMdbIsRefusedNotTakenForANewJournal) {
  MustOpen();
  WriteSampleJournal(store_.get());
  store_.reset();
  ASSERT_EQ(unlink((Dir() + "/data.mdb").c_str()), 0);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(Env::Default());
  ExpectDamaged(store, "missing");
  if (!store.ok()) {
    EXPECT_NE(store.status().message().find("missing"), absl::string_view::npos) << store.status();
  }
  EXPECT_FALSE(::persist::testing::PathExists(Dir() + "/data.mdb"));
}

// What a process killed while LMDB creates the first journal leaves: a
// lock.mdb, and a data.mdb missing or empty. With no runs recorded on the
// site it is a new journal, so that the next command (persist recover)
// works.
TEST_F(StoreTest, AJournalWhoseCreationWasInterruptedIsANewJournalOnASiteWithoutRuns) {
  MustOpen();
  store_.reset();
  ASSERT_EQ(truncate((Dir() + "/data.mdb").c_str(), 0), 0);
  if (dir_fd_ < 0) dir_fd_ = open(Dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Env::Default(), Dir(), dir_fd_, false);
  ASSERT_TRUE(store.ok()) << store.status();
  store->reset();
  ASSERT_EQ(unlink((Dir() + "/data.mdb").c_str()), 0);
  store = Store::Open(Env::Default(), Dir(), dir_fd_, false);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<Run>> runs = (*store)->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_TRUE(runs->empty());
}

TEST_F(StoreTest, AFreshDirectoryStillGetsANewJournal) {
  MustOpen();
  absl::StatusOr<std::vector<Run>> runs = store_->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_TRUE(runs->empty());
}

// LMDB reads data.mdb through a mapping: a page past the end of a truncated
// file is a SIGBUS. Cut the file at every half page: each open gives an
// error, or (cut only through free space) a journal that reads whole.
TEST_F(StoreTest, ADataMdbTruncatedAnywhereIsRefusedOrReadsWholeNeverACrash) {
  MustOpen();
  WriteSampleJournal(store_.get());
  store_.reset();
  const std::string whole = ReadFile(Dir() + "/data.mdb");
  ASSERT_GT(whole.size(), 8u * 4096);
  int refused = 0;
  for (size_t size = 1; size < whole.size(); size += 2048) {
    SCOPED_TRACE(size);
    WriteFile(Dir() + "/data.mdb", whole.substr(0, size), 0600);
    absl::StatusOr<std::unique_ptr<Store>> store = OpenWith(Env::Default());
    if (!store.ok()) {
      ++refused;
      EXPECT_TRUE(absl::IsDataLoss(store.status())) << store.status();
      EXPECT_NE(store.status().message().find("data.mdb"), absl::string_view::npos) << store.status();
      continue;
    }
    absl::StatusOr<std::vector<Run>> runs = (*store)->ListRuns();
    ASSERT_TRUE(runs.ok()) << runs.status();
    EXPECT_EQ(runs->size(), 20u);
    for (const Run& run : *runs) EXPECT_TRUE((*store)->GetOps(run.id()).ok()) << run.id();
  }
  EXPECT_GT(refused, 0);
}

TEST(OpKeyTest, ZeroPadsTheIndexSoKeysSortByIndex) {
  EXPECT_EQ(OpKey("r1", 7), "r1/00000007");
  EXPECT_LT(OpKey("r1", 9), OpKey("r1", 10));
}

}  // namespace
}  // namespace persist
