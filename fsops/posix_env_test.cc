// Copyright persist authors.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

// name -> DT_* type, as ReadDir returns them.
std::map<std::string, unsigned char> Listed(int fd, const std::string& path) {
  absl::StatusOr<std::vector<DirEntry>> entries = Env::Default()->ReadDir(fd, path);
  EXPECT_TRUE(entries.ok()) << entries.status();
  std::map<std::string, unsigned char> listed;
  if (!entries.ok()) return listed;
  for (const DirEntry& entry : *entries) {
    EXPECT_TRUE(listed.emplace(entry.name, entry.type).second) << "listed twice: " << entry.name;
  }
  return listed;
}

// More names than one 32 KiB getdents64 buffer holds, and one of each type.
TEST(PosixEnvReadDirTest, ListsEveryEntryOfALargeDirectoryOnceWithItsType) {
  TempDir tmp;
  std::map<std::string, unsigned char> expected;
  for (int i = 0; i < 1500; ++i) {
    const std::string name = absl::StrCat("vendor-file-with-a-long-name-", i, ".php");
    WriteFile(tmp.Sub(name), "x");
    expected[name] = DT_REG;
  }
  MakeDir(tmp.Sub("dir"));
  expected["dir"] = DT_DIR;
  MakeSymlink("dir", tmp.Sub("link"));
  expected["link"] = DT_LNK;
  ASSERT_EQ(mkfifo(tmp.Sub("fifo").c_str(), 0600), 0);
  expected["fifo"] = DT_FIFO;

  const int fd = open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::map<std::string, unsigned char> listed = Listed(fd, tmp.path());
  // A filesystem may leave types unknown; this test's does not, and a type
  // it gives must be the right one.
  for (auto& [name, type] : listed) {
    if (type == DT_UNKNOWN) type = expected[name];
  }
  EXPECT_EQ(listed, expected);
  // The same descriptor, listed again from wherever the first left it.
  EXPECT_EQ(Listed(fd, tmp.path()).size(), expected.size());
  close(fd);
}

TEST(PosixEnvReadDirTest, AnEmptyDirectoryHasNoEntries) {
  TempDir tmp;
  const int fd = open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(Listed(fd, tmp.path()).empty());
  close(fd);
}

TEST(PosixEnvReadDirTest, AFileIsNotADirectoryAndTheErrorNamesIt) {
  TempDir tmp;
  WriteFile(tmp.Sub("file"), "x");
  const int fd = open(tmp.Sub("file").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  absl::StatusOr<std::vector<DirEntry>> entries = Env::Default()->ReadDir(fd, "release/file");
  close(fd);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(StatusErrno(entries.status()), ENOTDIR) << entries.status();
  EXPECT_NE(std::string(entries.status().message()).find("release/file"), std::string::npos)
      << entries.status();
}

}  // namespace
}  // namespace persist
