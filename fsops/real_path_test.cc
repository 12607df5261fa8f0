// Copyright persist authors.

#include "fsops/real_path.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "fsops/errno_status.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

// The temporary directory itself may lie behind a symlink (/tmp on some
// systems): every expectation is relative to its own real path.
std::string Real(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  EXPECT_NE(resolved, nullptr) << path;
  std::string out = resolved != nullptr ? resolved : "";
  free(resolved);
  return out;
}

// Runs the working directory at `dir` for the test's lifetime.
class InDirectory {
 public:
  explicit InDirectory(const std::string& dir) {
    EXPECT_NE(getcwd(old_, sizeof(old_)), nullptr);
    EXPECT_EQ(chdir(dir.c_str()), 0) << dir;
  }
  ~InDirectory() { EXPECT_EQ(chdir(old_), 0); }

 private:
  char old_[4096];
};

TEST(RealPathTest, ResolvesSymlinksDotsAndRelativePaths) {
  TempDir tmp;
  const std::string base = Real(tmp.path());
  MakeDir(tmp.Sub("site/shared"));
  MakeSymlink("site", tmp.Sub("link"));
  absl::StatusOr<std::string> real = RealPath(tmp.Sub("link/./shared/../shared"));
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(*real, base + "/site/shared");

  InDirectory here(tmp.Sub("site"));
  real = RealPath("shared");
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(*real, base + "/site/shared");
  EXPECT_EQ(*RealPath("/"), "/");
}

TEST(RealPathTest, AMissingPathIsAnErrnoStatusNamingIt) {
  TempDir tmp;
  absl::StatusOr<std::string> real = RealPath(tmp.Sub("missing/x"));
  ASSERT_FALSE(real.ok());
  EXPECT_EQ(StatusErrno(real.status()), ENOENT) << real.status();
  EXPECT_TRUE(absl::IsNotFound(real.status())) << real.status();
  EXPECT_TRUE(absl::StrContains(real.status().message(), tmp.Sub("missing/x"))) << real.status();
  EXPECT_EQ(StatusPath(real.status()), tmp.Sub("missing/x"));
}

TEST(RealPathTest, AFileInThePathIsNotADirectory) {
  TempDir tmp;
  WriteFile(tmp.Sub("file"), "x");
  absl::StatusOr<std::string> real = RealPath(tmp.Sub("file/x"));
  EXPECT_EQ(StatusErrno(real.status()), ENOTDIR) << real.status();
}

TEST(RealPathMaybeMissingTest, AnExistingPathIsItsRealPath) {
  TempDir tmp;
  MakeDir(tmp.Sub("site"));
  MakeSymlink("site", tmp.Sub("link"));
  absl::StatusOr<std::string> real = RealPathMaybeMissing(tmp.Sub("link"));
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(*real, Real(tmp.path()) + "/site");
}

TEST(RealPathMaybeMissingTest, AMissingPathIsItsRealParentAndItsName) {
  TempDir tmp;
  const std::string base = Real(tmp.path());
  MakeDir(tmp.Sub("site"));
  MakeSymlink("site", tmp.Sub("link"));
  absl::StatusOr<std::string> real = RealPathMaybeMissing(tmp.Sub("link/new"));
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(*real, base + "/site/new");

  InDirectory here(tmp.Sub("site"));
  real = RealPathMaybeMissing("new");
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(*real, base + "/site/new");
}

TEST(RealPathMaybeMissingTest, ANameAtTheTopIsBelowTheRootNotTheWorkingDirectory) {
  TempDir tmp;
  InDirectory here(tmp.path());
  absl::StatusOr<std::string> real = RealPathMaybeMissing("/persist-no-such-directory");
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(*real, "/persist-no-such-directory");
}

TEST(RealPathMaybeMissingTest, ADanglingSymlinkIsNamedNotFollowed) {
  TempDir tmp;
  MakeSymlink("nowhere", tmp.Sub("dangling"));
  absl::StatusOr<std::string> real = RealPathMaybeMissing(tmp.Sub("dangling"));
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(*real, Real(tmp.path()) + "/dangling");
}

TEST(RealPathMaybeMissingTest, AMissingParentIsAnErrorNamingBoth) {
  TempDir tmp;
  absl::StatusOr<std::string> real = RealPathMaybeMissing(tmp.Sub("missing/new"));
  ASSERT_FALSE(real.ok());
  EXPECT_EQ(StatusErrno(real.status()), ENOENT) << real.status();
  const std::string message(real.status().message());
  EXPECT_TRUE(absl::StrContains(message, tmp.Sub("missing/new") + " does not exist, nor the "
                                         "directory it would go in")) << message;
  EXPECT_TRUE(absl::StrContains(message, "resolve " + tmp.Sub("missing") + ":")) << message;
}

TEST(RealPathMaybeMissingTest, AnErrorOtherThanENOENTIsReturnedAsItIs) {
  TempDir tmp;
  WriteFile(tmp.Sub("file"), "x");
  absl::StatusOr<std::string> real = RealPathMaybeMissing(tmp.Sub("file/new"));
  EXPECT_EQ(StatusErrno(real.status()), ENOTDIR) << real.status();
  MakeSymlink("loop", tmp.Sub("loop"));
  real = RealPathMaybeMissing(tmp.Sub("loop"));
  EXPECT_EQ(StatusErrno(real.status()), ELOOP) << real.status();
}

TEST(RealPathMaybeMissingTest, AMissingPathMustEndInAName) {
  TempDir tmp;
  for (const std::string& path : {tmp.Sub("missing/.."), tmp.Sub("missing/."),
                                  tmp.Sub("missing/"), std::string()}) {
    absl::StatusOr<std::string> real = RealPathMaybeMissing(path);
    ASSERT_FALSE(real.ok()) << path << " -> " << *real;
    EXPECT_TRUE(absl::IsInvalidArgument(real.status())) << real.status();
    EXPECT_TRUE(absl::StrContains(real.status().message(), "names no entry")) << real.status();
  }
}

}  // namespace
}  // namespace persist
