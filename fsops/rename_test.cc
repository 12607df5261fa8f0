// Copyright persist authors.

#include "fsops/rename.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/testing/env_wrapper.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::ContentOrMissing;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

// A temporary directory, open, with a file "from" in it.
class RenameNoReplaceTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    WriteFile(tmp_.Sub("from"), "new");
    dir_ = open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_, 0);
    // With the parameter set, renameat2 refuses RENAME_NOREPLACE as a
    // kernel or filesystem without it does: the fallback runs.
    if (GetParam()) env_.RefuseRenameFlags(RENAME_NOREPLACE);
  }
  void TearDown() override { close(dir_); }

  absl::Status Rename(Env* env, const std::string& to) {
    return RenameNoReplace(env, Entry{dir_, "from", "site/from"}, Entry{dir_, to, "site/" + to});
  }

  TempDir tmp_;
  int dir_ = -1;
  FaultEnv env_{Env::Default()};
};

TEST_P(RenameNoReplaceTest, RenamesWhenNothingIsAtTheTarget) {
  ASSERT_TRUE(Rename(&env_, "to").ok());
  EXPECT_FALSE(PathExists(tmp_.Sub("from")));
  EXPECT_EQ(ContentOrMissing(tmp_.Sub("to")), "new");
  // The refused renameat2, then the plain one.
  EXPECT_EQ(env_.count_of(FaultEnv::Kind::kRename), GetParam() ? 2 : 1);
}

TEST_P(RenameNoReplaceTest, RefusesAnExistingTargetAndTouchesNeither) {
  WriteFile(tmp_.Sub("to"), "old");
  absl::Status status = Rename(&env_, "to");
  EXPECT_EQ(StatusErrno(status), EEXIST) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "site/from -> site/to")) << status;
  EXPECT_EQ(ContentOrMissing(tmp_.Sub("from")), "new");
  EXPECT_EQ(ContentOrMissing(tmp_.Sub("to")), "old");
}

TEST_P(RenameNoReplaceTest, RefusesADanglingSymlinkAtTheTarget) {
  MakeSymlink("nowhere", tmp_.Sub("to"));
  absl::Status status = Rename(&env_, "to");
  EXPECT_EQ(StatusErrno(status), EEXIST) << status;
  EXPECT_EQ(ContentOrMissing(tmp_.Sub("from")), "new");
  char target[16] = {};
  EXPECT_EQ(readlink(tmp_.Sub("to").c_str(), target, sizeof(target) - 1), 7);
  EXPECT_STREQ(target, "nowhere");
}

TEST_P(RenameNoReplaceTest, ReturnsOtherRenameErrorsAsTheyAre) {
  absl::Status status =
      RenameNoReplace(&env_, Entry{dir_, "missing", "site/missing"}, Entry{dir_, "to", "site/to"});
  EXPECT_EQ(StatusErrno(status), ENOENT) << status;
  EXPECT_FALSE(PathExists(tmp_.Sub("to")));
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutTheFlag, RenameNoReplaceTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Fallback" : "RenameNoReplace";
                         });

// Where RENAME_NOREPLACE is missing and the target cannot be stat'ed, nothing
// is known about the target: the error is returned and nothing renamed.
class StatFails : public EnvWrapper {
 public:
  StatFails(Env* target, int err) : EnvWrapper(target), err_(err) {}
  absl::Status StatAt(int, const std::string&, struct stat*, const std::string& path) override {
    return ErrnoStatus(err_, "stat", path);
  }

 private:
  const int err_;
};

TEST(RenameNoReplaceFallbackTest, ReturnsAStatErrorOtherThanENOENTAndRenamesNothing) {
  TempDir tmp;
  WriteFile(tmp.Sub("from"), "new");
  const int dir = open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  FaultEnv no_flag(Env::Default());
  no_flag.RefuseRenameFlags(RENAME_NOREPLACE);
  StatFails env(&no_flag, EIO);
  absl::Status status =
      RenameNoReplace(&env, Entry{dir, "from", "site/from"}, Entry{dir, "to", "site/to"});
  close(dir);
  EXPECT_EQ(StatusErrno(status), EIO) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "site/to")) << status;
  EXPECT_EQ(no_flag.count_of(FaultEnv::Kind::kRename), 1) << "only the refused renameat2";
  EXPECT_EQ(ContentOrMissing(tmp.Sub("from")), "new");
  EXPECT_FALSE(PathExists(tmp.Sub("to")));
}

TEST(IsRenameFlagUnsupportedTest, IsEINVALOrENOSYS) {
  EXPECT_TRUE(IsRenameFlagUnsupported(ErrnoStatus(EINVAL, "rename", "a")));
  EXPECT_TRUE(IsRenameFlagUnsupported(ErrnoStatus(ENOSYS, "rename", "a")));
  EXPECT_FALSE(IsRenameFlagUnsupported(ErrnoStatus(EXDEV, "rename", "a")));
  EXPECT_FALSE(IsRenameFlagUnsupported(ErrnoStatus(EEXIST, "rename", "a")));
  EXPECT_FALSE(IsRenameFlagUnsupported(absl::OkStatus()));
}

}  // namespace
}  // namespace persist
