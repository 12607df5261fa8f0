// Copyright persist authors.

#include "fsops/testing/env_wrapper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::ReadFile;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;
using Kind = FaultEnv::Kind;

// Each mutating call made through a plain wrapper reaches its target (a
// FaultEnv, which counts it under its kind) exactly once.
TEST(EnvWrapperTest, ForwardsEveryMutationToItsTarget) {
  TempDir tmp;
  WriteFile(tmp.Sub("source"), "data");
  FaultEnv fault(Env::Default());
  EnvWrapper env(&fault);
  EXPECT_EQ(env.target(), &fault);

  absl::StatusOr<int> root = env.OpenRoot(tmp.path());
  ASSERT_TRUE(root.ok()) << root.status();
  int expected = 0;
  auto counted = [&](const absl::Status& status, Kind kind) {
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(fault.mutations(), ++expected);
    EXPECT_EQ(fault.count_of(kind), 1) << static_cast<int>(kind);
  };

  counted(env.MkdirAt(*root, "dir", 0755, "dir"), Kind::kMkdir);
  counted(env.SymlinkAt("dir", *root, "link", "link"), Kind::kSymlink);
  absl::StatusOr<int> out = env.OpenAt(*root, "file", O_RDWR | O_CREAT | O_EXCL, 0644, "file");
  counted(out.status(), Kind::kCreate);
  counted(env.Write(*out, "abc", 3, "file"), Kind::kWrite);
  counted(env.Ftruncate(*out, 2, "file"), Kind::kTruncate);
  counted(env.Fsync(*out, "file"), Kind::kFsync);
  counted(env.Syncfs(*out, "file"), Kind::kSyncfs);
  counted(env.Fchmod(*out, 0600, "file"), Kind::kChmod);
  const struct timespec times[2] = {{1, 0}, {2, 0}};
  counted(env.UtimensAt(*root, "file", times, "file"), Kind::kUtimens);
  counted(env.ChownAt(*root, "file", geteuid(), getegid(), "file"), Kind::kChown);
  counted(env.LinkAt(*root, "file", *root, "hardlink", "hardlink"), Kind::kLink);
  counted(env.RenameAt(*root, "hardlink", *root, "renamed", 0, "hardlink", "renamed"),
          Kind::kRename);
  counted(env.UnlinkAt(*root, "renamed", 0, "renamed"), Kind::kUnlink);
  counted(env.BeforeJournalWrite("run"), Kind::kJournal);

  absl::StatusOr<int> in = env.OpenAt(*root, "source", O_RDONLY, 0, "source");
  ASSERT_TRUE(in.ok()) << in.status();
  absl::StatusOr<int> copy = env.OpenAt(*root, "copy", O_WRONLY | O_CREAT | O_EXCL, 0644, "copy");
  ASSERT_TRUE(copy.ok()) << copy.status();
  ++expected;  // the create
  absl::StatusOr<size_t> copied = env.CopyFileRange(*in, *copy, 4, "copy");
  counted(copied.status(), Kind::kCopyRange);
  EXPECT_EQ(*copied, 4u);
  // These may be refused by the filesystem; they are counted either way.
  (void)env.CloneFile(*in, *copy, "copy");
  EXPECT_EQ(fault.count_of(Kind::kClone), 1);
  (void)env.Fallocate(*copy, 0, 0, 8, "copy");
  EXPECT_EQ(fault.count_of(Kind::kFallocate), 1);
  (void)env.SetNoCow(*copy, "copy");
  EXPECT_EQ(fault.count_of(Kind::kSetFlags), 1);
  EXPECT_EQ(fault.mutations(), expected + 3);

  env.Close(*in);
  env.Close(*copy);
  env.Close(*out);
  env.Close(*root);
  EXPECT_EQ(ReadFile(tmp.Sub("copy")).substr(0, 4), "data");
  EXPECT_EQ(ReadFile(tmp.Sub("file")), "ab");
}

// Reads go to the target too: once it has crashed, every one of them fails.
TEST(EnvWrapperTest, ForwardsEveryReadToItsTarget) {
  TempDir tmp;
  WriteFile(tmp.Sub("file"), "data");
  FaultEnv fault(Env::Default());
  EnvWrapper env(&fault);
  const int root = open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root, 0);
  const int file = openat(root, "file", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(file, 0);

  // Before the crash, they read the real tree.
  struct stat st;
  EXPECT_TRUE(env.StatAt(root, "file", &st, "file").ok());
  EXPECT_EQ(st.st_size, 4);
  absl::StatusOr<std::vector<std::string>> names = env.ListDir(root, "");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(*names, std::vector<std::string>{"file"});

  fault.CrashAt(1);
  EXPECT_FALSE(env.MkdirAt(root, "dir", 0755, "dir").ok());
  ASSERT_TRUE(fault.crashed());
  auto crashed = [](const absl::Status& status) {
    EXPECT_EQ(StatusErrno(status), ECANCELED) << status;
  };
  crashed(env.OpenRoot(tmp.path()).status());
  crashed(env.OpenBeneath(root, "file", O_RDONLY).status());
  crashed(env.OpenAt(root, "file", O_RDONLY, 0, "file").status());
  crashed(env.StatAt(root, "file", &st, "file"));
  crashed(env.ReadLinkAt(root, "file", "file").status());
  crashed(env.ReadDir(root, "").status());
  char buf[4];
  crashed(env.Read(file, buf, sizeof(buf), "file").status());
  struct statfs fs;
  crashed(env.StatFs(file, &fs, "file"));
  crashed(env.Flock(file, LOCK_SH, "file"));
  crashed(env.FchmodAt(root, "file", 0600, "file"));
  env.WriteBack(file);
  close(file);
  close(root);
}

// A wrapper changes only what it overrides.
class NoRenames : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;
  absl::Status RenameAt(int, const std::string&, int, const std::string&, unsigned,
                        const std::string& from_path, const std::string&) override {
    return ErrnoStatus(EROFS, "rename", from_path);
  }
};

TEST(EnvWrapperTest, ASubclassChangesOnlyTheCallsItOverrides) {
  TempDir tmp;
  NoRenames env(Env::Default());
  absl::StatusOr<int> root = env.OpenRoot(tmp.path());
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(env.MkdirAt(*root, "a", 0755, "a").ok());
  EXPECT_EQ(StatusErrno(env.RenameAt(*root, "a", *root, "b", 0, "a", "b")), EROFS);
  struct stat st;
  EXPECT_TRUE(env.StatAt(*root, "a", &st, "a").ok());
  EXPECT_EQ(StatusErrno(env.StatAt(*root, "b", &st, "b")), ENOENT);
  env.Close(*root);
}

}  // namespace
}  // namespace persist
