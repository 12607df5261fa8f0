// Copyright persist authors.

#include "fsops/tree_diff.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fsops/env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::SetMtime;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

std::vector<std::string> Describe(const std::vector<Difference>& diffs) {
  std::vector<std::string> out;
  for (const Difference& d : diffs) {
    out.push_back((d.kind == Difference::kMissing ? "missing " : "differs ") + d.path);
  }
  return out;
}

absl::StatusOr<std::vector<Difference>> Diff(const TempDir& dir) {
  int fd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  auto diffs = DataNotIn(Env::Default(), Entry{fd, "old", dir.Sub("old")},
                         Entry{AT_FDCWD, dir.Sub("archive"), dir.Sub("archive")});
  close(fd);
  return diffs;
}

TEST(TreeDiffTest, ReportsTopMostPathsWhoseDataTheReferenceLacks) {
  TempDir dir;
  for (const char* side : {"old", "archive"}) {
    const std::string root = dir.Sub(side);
    WriteFile(root + "/.env", "APP_KEY=1\n", 0600);
    WriteFile(root + "/same-size", "aaaa");
    MakeSymlink("target-a", root + "/link");
    WriteFile(root + "/storage/logs/kept.log", "log\n");
  }
  // Only in the old tree: a file, and a directory with files in it.
  WriteFile(dir.Sub("old/public/uploads/new.png"), "new upload");
  WriteFile(dir.Sub("old/storage/app/a/b.txt"), "b");
  // In both, with other data: same size, other content; other link target;
  // a directory where the archive has a file.
  WriteFile(dir.Sub("old/same-size"), "bbbb");
  ASSERT_EQ(unlink(dir.Sub("old/link").c_str()), 0);
  MakeSymlink("target-b", dir.Sub("old/link"));
  MakeDir(dir.Sub("old/storage/logs/kept.log.d"));
  WriteFile(dir.Sub("archive/storage/logs/kept.log.d"), "a file here");
  // Only modes and mtimes differ: not data.
  ASSERT_EQ(chmod(dir.Sub("old/.env").c_str(), 0644), 0);
  SetMtime(dir.Sub("old/storage/logs/kept.log"), 1500000000);

  absl::StatusOr<std::vector<Difference>> diffs = Diff(dir);
  ASSERT_TRUE(diffs.ok()) << diffs.status();
  EXPECT_EQ(Describe(*diffs),
            (std::vector<std::string>{"differs link", "missing public", "differs same-size",
                                      "missing storage/app", "differs storage/logs/kept.log.d"}));
}

TEST(TreeDiffTest, SpecialFilesHoldNoDataAndSplitTheDirectoriesHoldingThem) {
  TempDir dir;
  MakeDir(dir.Sub("archive"));
  WriteFile(dir.Sub("old/queue-dir/deeper/job.txt"), "job\n");
  WriteFile(dir.Sub("old/queue-dir/notes.txt"), "notes\n");
  MakeDir(dir.Sub("old/queue-dir/empty"));
  ASSERT_EQ(mkfifo(dir.Sub("old/queue-dir/deeper/fifo").c_str(), 0600), 0);
  ASSERT_EQ(mkfifo(dir.Sub("old/top-fifo").c_str(), 0600), 0);
  absl::StatusOr<std::vector<Difference>> diffs = Diff(dir);
  ASSERT_TRUE(diffs.ok()) << diffs.status();
  EXPECT_EQ(Describe(*diffs),
            (std::vector<std::string>{"missing queue-dir/deeper/job.txt", "missing queue-dir/empty",
                                      "missing queue-dir/notes.txt"}));
}

TEST(TreeDiffTest, IdenticalTreesHaveNoDifference) {
  TempDir dir;
  for (const char* side : {"old", "archive"}) {
    WriteFile(dir.Sub(side) + "/a/b/c.txt", "same\n");
    MakeDir(dir.Sub(side) + "/empty");
  }
  absl::StatusOr<std::vector<Difference>> diffs = Diff(dir);
  ASSERT_TRUE(diffs.ok()) << diffs.status();
  EXPECT_TRUE(diffs->empty()) << Describe(*diffs).front();
}

}  // namespace
}  // namespace persist
