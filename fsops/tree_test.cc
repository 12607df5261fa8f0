// Copyright persist authors.

#include "fsops/copy_tree.h"
#include "fsops/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "fsops/digest.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path_state.h"
#include "gtest/gtest.h"
#include "tests/testing/as_ordinary_user.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::ChildResult;
using ::persist::testing::DiffSnapshots;
using ::persist::testing::RunWithoutPermissionOverride;
using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::ReadFile;
using ::persist::testing::SetMtime;
using ::persist::testing::Snapshot;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;
using ::persist::testing::ContentOrMissing;
using ::persist::testing::WriteFile;


// A directory fd opened with plain POSIX, closed at the end of the scope.
class DirFd {
 public:
  explicit DirFd(const std::string& path)
      : fd_(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    EXPECT_GE(fd_, 0) << path;
  }
  ~DirFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int64_t MtimeNs(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

void SetMtimeNs(const std::string& path, int64_t sec, long nsec) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = sec;
  times[0].tv_nsec = times[1].tv_nsec = nsec;
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}


// A source tree with everything CopyTree must keep.
void BuildSource(const std::string& src, const std::string& outside) {
  WriteFile(src + "/index.php", "<?php echo 1;\n");
  WriteFile(src + "/secret.txt", "secret\n", 0600);
  WriteFile(src + "/bin/run", "#!/bin/sh\n", 0755);
  WriteFile(src + "/nested/deeper/deepest/file", std::string(100000, 'z'), 0640);
  MakeDir(src + "/empty");
  MakeDir(src + "/empty-nested/inner");
  WriteFile(src + "/readonly/config.php", "<?php return [];\n", 0444);
  MakeDir(src + "/readonly", 0555);
  WriteFile(outside + "/outside-file", "not to be copied");
  MakeSymlink("../index.php", src + "/bin/relative-link");
  MakeSymlink(outside + "/outside-file", src + "/absolute-link");
  MakeSymlink("does/not/exist", src + "/dangling-link");
  MakeSymlink(outside, src + "/link-to-dir");
  SetMtimeNs(src + "/index.php", 1600000000, 987654321);
  SetMtimeNs(src + "/secret.txt", 1600000001, 1);
  SetMtimeNs(src + "/bin/relative-link", 1600000002, 999999999);
  SetMtimeNs(src + "/absolute-link", 1600000003, 42);
  SetMtimeNs(src + "/nested/deeper", 1600000004, 500);
  SetMtimeNs(src + "/readonly", 1600000005, 123);
}

TEST(CopyTreeTest, CopiesATreeExactly) {
  TempDir dir, outside;
  BuildSource(dir.Sub("src"), outside.path());
  DirFd top(dir.path());
  ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "src", "src"},
                       Entry{top.get(), "dst", "dst"}).ok());
  EXPECT_EQ(DiffSnapshots(TakeSnapshot(dir.Sub("src")), TakeSnapshot(dir.Sub("dst"))), "");
  // The source is untouched.
  EXPECT_EQ(ContentOrMissing(dir.Sub("src/index.php")), "<?php echo 1;\n");
}

TEST(CopyTreeTest, KeepsModesOfFilesAndDirectories) {
  TempDir dir, outside;
  BuildSource(dir.Sub("src"), outside.path());
  DirFd top(dir.path());
  ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "src", "src"},
                       Entry{top.get(), "dst", "dst"}).ok());
  EXPECT_EQ(ModeOf(dir.Sub("dst/readonly")), 0555u);
  EXPECT_EQ(ModeOf(dir.Sub("dst/readonly/config.php")), 0444u);
  EXPECT_EQ(ModeOf(dir.Sub("dst/secret.txt")), 0600u);
  EXPECT_EQ(ModeOf(dir.Sub("dst/bin/run")), 0755u);
  EXPECT_EQ(ModeOf(dir.Sub("dst/nested/deeper/deepest/file")), 0640u);
}

TEST(CopyTreeTest, KeepsFileSymlinkAndDirectoryMtimesToTheNanosecond) {
  TempDir dir, outside;
  BuildSource(dir.Sub("src"), outside.path());
  DirFd top(dir.path());
  ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "src", "src"},
                       Entry{top.get(), "dst", "dst"}).ok());
  EXPECT_EQ(MtimeNs(dir.Sub("dst/index.php")), int64_t{1600000000} * 1000000000 + 987654321);
  EXPECT_EQ(MtimeNs(dir.Sub("dst/secret.txt")), int64_t{1600000001} * 1000000000 + 1);
  EXPECT_EQ(MtimeNs(dir.Sub("dst/bin/relative-link")),
            int64_t{1600000002} * 1000000000 + 999999999);
  EXPECT_EQ(MtimeNs(dir.Sub("dst/absolute-link")), int64_t{1600000003} * 1000000000 + 42);
  EXPECT_EQ(MtimeNs(dir.Sub("dst/nested/deeper")), int64_t{1600000004} * 1000000000 + 500);
  EXPECT_EQ(MtimeNs(dir.Sub("dst/readonly")), int64_t{1600000005} * 1000000000 + 123);
}

TEST(CopyTreeTest, CopiesSymlinksAsSymlinksWithoutFollowingThem) {
  TempDir dir, outside;
  BuildSource(dir.Sub("src"), outside.path());
  DirFd top(dir.path());
  ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "src", "src"},
                       Entry{top.get(), "dst", "dst"}).ok());
  char buf[4096];
  auto target = [&](const std::string& rel) {
    ssize_t n = readlink(dir.Sub(rel).c_str(), buf, sizeof(buf));
    EXPECT_GE(n, 0) << rel;
    return n < 0 ? std::string() : std::string(buf, n);
  };
  EXPECT_EQ(target("dst/bin/relative-link"), "../index.php");
  EXPECT_EQ(target("dst/absolute-link"), outside.Sub("outside-file"));
  EXPECT_EQ(target("dst/dangling-link"), "does/not/exist");
  EXPECT_EQ(target("dst/link-to-dir"), outside.path());
  // Nothing from outside the tree came along, and nothing was written there.
  EXPECT_EQ(TakeSnapshot(outside.path()).size(), 1u);
}

TEST(CopyTreeTest, CopiesEmptyDirectories) {
  TempDir dir, outside;
  BuildSource(dir.Sub("src"), outside.path());
  DirFd top(dir.path());
  ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "src", "src"},
                       Entry{top.get(), "dst", "dst"}).ok());
  Snapshot empty = TakeSnapshot(dir.Sub("dst/empty"));
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(PathExists(dir.Sub("dst/empty-nested/inner")));
}

TEST(CopyTreeTest, CopiesASingleFileOrSymlink) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "content", 0604);
  SetMtime(dir.Sub("f"), 1234567890);
  MakeSymlink("f", dir.Sub("l"));
  DirFd top(dir.path());
  ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "f", "f"}, Entry{top.get(), "g", "g"}).ok());
  ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "l", "l"}, Entry{top.get(), "m", "m"}).ok());
  EXPECT_EQ(ContentOrMissing(dir.Sub("g")), "content");
  EXPECT_EQ(ModeOf(dir.Sub("g")), 0604u);
  EXPECT_EQ(MtimeNs(dir.Sub("g")), MtimeNs(dir.Sub("f")));
  struct stat st;
  ASSERT_EQ(lstat(dir.Sub("m").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(CopyTreeTest, RefusesAFifoNamingIt) {
  TempDir dir;
  WriteFile(dir.Sub("src/a.txt"), "a");
  MakeDir(dir.Sub("src/sub"));
  ASSERT_EQ(mkfifo(dir.Sub("src/sub/pipe").c_str(), 0644), 0);
  DirFd top(dir.path());
  absl::Status status =
      CopyTree(Env::Default(), Entry{top.get(), "src", "src"}, Entry{top.get(), "dst", "dst"});
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_NE(status.message().find("src/sub/pipe"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("fifo"), absl::string_view::npos) << status;
}

TEST(CopyTreeTest, RefusesAnExistingDestination) {
  TempDir dir;
  WriteFile(dir.Sub("src/a"), "a");
  WriteFile(dir.Sub("dst/keep"), "keep");
  DirFd top(dir.path());
  absl::Status status =
      CopyTree(Env::Default(), Entry{top.get(), "src", "src"}, Entry{top.get(), "dst", "dst"});
  EXPECT_EQ(StatusErrno(status), EEXIST) << status;
  EXPECT_EQ(ContentOrMissing(dir.Sub("dst/keep")), "keep");
  EXPECT_FALSE(PathExists(dir.Sub("dst/a")));
}

TEST(CopyTreeTest, AMissingSourceIsAnError) {
  TempDir dir;
  DirFd top(dir.path());
  absl::Status status =
      CopyTree(Env::Default(), Entry{top.get(), "src", "src"}, Entry{top.get(), "dst", "dst"});
  EXPECT_EQ(StatusErrno(status), ENOENT) << status;
  EXPECT_FALSE(PathExists(dir.Sub("dst")));
}

TEST(RemoveTreeTest, RemovesATreeWithSymlinksWithoutFollowingThem) {
  TempDir dir, outside;
  BuildSource(dir.Sub("src"), outside.path());
  Snapshot outside_before = TakeSnapshot(outside.path());
  DirFd top(dir.path());
  ASSERT_TRUE(RemoveTree(Env::Default(), Entry{top.get(), "src", "src"}).ok());
  EXPECT_FALSE(PathExists(dir.Sub("src")));
  EXPECT_EQ(DiffSnapshots(outside_before, TakeSnapshot(outside.path())), "");
}

TEST(RemoveTreeTest, RemovesASingleFileOrSymlink) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "x");
  MakeSymlink("f", dir.Sub("l"));
  DirFd top(dir.path());
  ASSERT_TRUE(RemoveTree(Env::Default(), Entry{top.get(), "l", "l"}).ok());
  EXPECT_FALSE(PathExists(dir.Sub("l")));
  EXPECT_TRUE(PathExists(dir.Sub("f")));
  ASSERT_TRUE(RemoveTree(Env::Default(), Entry{top.get(), "f", "f"}).ok());
  EXPECT_FALSE(PathExists(dir.Sub("f")));
}

TEST(RemoveTreeTest, AMissingEntryIsOk) {
  TempDir dir;
  DirFd top(dir.path());
  EXPECT_TRUE(RemoveTree(Env::Default(), Entry{top.get(), "missing", "missing"}).ok());
}

TEST(RemoveTreeTest, RemovesATreeHoldingAReadOnlyDirectory) {
  TempDir dir;
  WriteFile(dir.Sub("tree/config/app.php"), "<?php return [];\n", 0444);
  MakeDir(dir.Sub("tree/config"), 0555);
  DirFd top(dir.path());
  absl::Status status = RemoveTree(Env::Default(), Entry{top.get(), "tree", "tree"});
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_FALSE(PathExists(dir.Sub("tree")));
}

// The same for a process that, like the site's owner on a shared host, has
// no power to override permissions: a 0555 directory's entries cannot be
// unlinked until its mode lets them. Root never sees the difference.
TEST(RemoveTreeTest, RemovesATreeHoldingAReadOnlyDirectoryWithoutPermissionOverride) {
  TempDir dir;
  WriteFile(dir.Sub("tree/config/app.php"), "<?php return [];\n", 0444);
  WriteFile(dir.Sub("tree/index.php"), "<?php\n");
  MakeDir(dir.Sub("tree/config"), 0555);
  DirFd top(dir.path());
  ChildResult result = RunWithoutPermissionOverride(
      [&] { return RemoveTree(Env::Default(), Entry{top.get(), "tree", "tree"}); });
  if (result.skipped) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_FALSE(PathExists(dir.Sub("tree")));
}

TEST(HoldsOnlyDirectoriesTest, IsTrueForATreeOfEmptyDirectories) {
  TempDir dir;
  MakeDir(dir.Sub("d/a/b/c"));
  MakeDir(dir.Sub("d/x"));
  DirFd top(dir.path());
  absl::StatusOr<bool> only = HoldsOnlyDirectories(Env::Default(), Entry{top.get(), "d", "d"});
  ASSERT_TRUE(only.ok()) << only.status();
  EXPECT_TRUE(*only);
  EXPECT_TRUE(PathExists(dir.Sub("d/a/b/c")));
}

TEST(HoldsOnlyDirectoriesTest, IsFalseForAFileOrASymlinkAtAnyDepth) {
  TempDir dir;
  WriteFile(dir.Sub("f/a/b/keep.txt"), "");
  MakeSymlink("x", dir.Sub("l/a/link"));
  WriteFile(dir.Sub("plain"), "x");
  DirFd top(dir.path());
  for (const char* name : {"f", "l", "plain"}) {
    absl::StatusOr<bool> only = HoldsOnlyDirectories(Env::Default(), Entry{top.get(), name, name});
    ASSERT_TRUE(only.ok()) << name << ": " << only.status();
    EXPECT_FALSE(*only) << name;
  }
}

TEST(RemoveEmptyDirsTest, RemovesATreeOfEmptyDirectories) {
  TempDir dir;
  MakeDir(dir.Sub("d/a/b/c"));
  MakeDir(dir.Sub("d/x"));
  DirFd top(dir.path());
  bool empty = false;
  ASSERT_TRUE(RemoveEmptyDirs(Env::Default(), Entry{top.get(), "d", "d"}, &empty).ok());
  EXPECT_TRUE(empty);
  EXPECT_FALSE(PathExists(dir.Sub("d")));
}

TEST(RemoveEmptyDirsTest, LeavesADirectoryHoldingAFile) {
  TempDir dir;
  WriteFile(dir.Sub("d/a/b/keep.txt"), "keep");
  MakeSymlink("x", dir.Sub("d/link-dir/link"));
  DirFd top(dir.path());
  bool empty = true;
  ASSERT_TRUE(RemoveEmptyDirs(Env::Default(), Entry{top.get(), "d", "d"}, &empty).ok());
  EXPECT_FALSE(empty);
  EXPECT_EQ(ContentOrMissing(dir.Sub("d/a/b/keep.txt")), "keep");
  EXPECT_TRUE(PathExists(dir.Sub("d/link-dir/link")));
}

TEST(RemoveEmptyDirsTest, LeavesAFile) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "x");
  DirFd top(dir.path());
  bool empty = true;
  ASSERT_TRUE(RemoveEmptyDirs(Env::Default(), Entry{top.get(), "f", "f"}, &empty).ok());
  EXPECT_FALSE(empty);
  EXPECT_TRUE(PathExists(dir.Sub("f")));
}

TEST(RemoveEmptyDirsTest, AMissingEntryCountsAsGone) {
  TempDir dir;
  DirFd top(dir.path());
  bool empty = false;
  ASSERT_TRUE(RemoveEmptyDirs(Env::Default(), Entry{top.get(), "missing", "missing"}, &empty).ok());
  EXPECT_TRUE(empty);
}

// RemoveCreated with a rescue function that moves what it is given into
// dir/rescued/<path> and remembers the paths.
class RemoveCreatedTest : public ::testing::Test {
 protected:
  RescueFn Rescue() {
    return [this](const Entry& entry) -> absl::Status {
      rescued_.insert(entry.path);
      std::string flat = entry.path;
      for (char& c : flat) {
        if (c == '/') c = '_';
      }
      MakeDir(dir_.Sub("rescued"));
      if (renameat(entry.dir_fd, entry.name.c_str(), AT_FDCWD, dir_.Sub("rescued/" + flat).c_str()) != 0) {
        return ErrnoStatus(errno, "rescue", entry.path);
      }
      return absl::OkStatus();
    };
  }

  void CopySource() {
    DirFd top(dir_.path());
    ASSERT_TRUE(CopyTree(Env::Default(), Entry{top.get(), "src", "src"},
                         Entry{top.get(), "copy", "copy"}).ok());
  }

  TempDir dir_;
  TempDir outside_;
  std::set<std::string> rescued_;
};

TEST_F(RemoveCreatedTest, DeletesAnUnchangedCopyEntirely) {
  BuildSource(dir_.Sub("src"), outside_.path());
  CopySource();
  Snapshot source = TakeSnapshot(dir_.Sub("src"));
  DirFd top(dir_.path());
  Created created;
  created.source = Entry{top.get(), "src", "src"};
  int count = 0;
  absl::Status status =
      RemoveCreated(Env::Default(), Entry{top.get(), "copy", "copy"}, created, Rescue(), &count);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(count, 0);
  EXPECT_TRUE(rescued_.empty());
  EXPECT_FALSE(PathExists(dir_.Sub("copy")));
  EXPECT_EQ(DiffSnapshots(source, TakeSnapshot(dir_.Sub("src"))), "");
}

TEST_F(RemoveCreatedTest, DeletesAnUnchangedCopyHoldingAReadOnlyDirectoryWithoutPermissionOverride) {
  BuildSource(dir_.Sub("src"), outside_.path());
  CopySource();
  DirFd top(dir_.path());
  Created created;
  created.source = Entry{top.get(), "src", "src"};
  ChildResult result = RunWithoutPermissionOverride([&] {
    int count = 0;
    return RemoveCreated(Env::Default(), Entry{top.get(), "copy", "copy"}, created,
                         [](const Entry&) { return absl::InternalError("nothing to rescue"); },
                         &count);
  });
  if (result.skipped) GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE here";
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_FALSE(PathExists(dir_.Sub("copy")));
}

TEST_F(RemoveCreatedTest, RescuesFilesAddedOrModifiedInTheCopyAndDeletesTheRest) {
  BuildSource(dir_.Sub("src"), outside_.path());
  CopySource();
  WriteFile(dir_.Sub("copy/nested/deeper/upload.jpg"), "a user's upload");
  WriteFile(dir_.Sub("copy/index.php"), "<?php echo 'edited live';\n");
  DirFd top(dir_.path());
  Created created;
  created.source = Entry{top.get(), "src", "src"};
  int count = 0;
  absl::Status status =
      RemoveCreated(Env::Default(), Entry{top.get(), "copy", "copy"}, created, Rescue(), &count);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(count, 2);
  EXPECT_EQ(rescued_, (std::set<std::string>{"copy/nested/deeper/upload.jpg", "copy/index.php"}));
  EXPECT_EQ(ContentOrMissing(dir_.Sub("rescued/copy_nested_deeper_upload.jpg")), "a user's upload");
  EXPECT_EQ(ContentOrMissing(dir_.Sub("rescued/copy_index.php")), "<?php echo 'edited live';\n");
  EXPECT_FALSE(PathExists(dir_.Sub("copy")));
}

TEST_F(RemoveCreatedTest, RescuesAFileWhoseModeChangedInTheCopy) {
  BuildSource(dir_.Sub("src"), outside_.path());
  CopySource();
  ASSERT_EQ(chmod(dir_.Sub("copy/secret.txt").c_str(), 0644), 0);
  DirFd top(dir_.path());
  Created created;
  created.source = Entry{top.get(), "src", "src"};
  int count = 0;
  ASSERT_TRUE(
      RemoveCreated(Env::Default(), Entry{top.get(), "copy", "copy"}, created, Rescue(), &count).ok());
  EXPECT_EQ(rescued_, (std::set<std::string>{"copy/secret.txt"}));
  EXPECT_FALSE(PathExists(dir_.Sub("copy")));
}

TEST_F(RemoveCreatedTest, RescuesASymlinkRetargetedInTheCopy) {
  BuildSource(dir_.Sub("src"), outside_.path());
  CopySource();
  ASSERT_EQ(unlink(dir_.Sub("copy/dangling-link").c_str()), 0);
  MakeSymlink("somewhere/else", dir_.Sub("copy/dangling-link"));
  DirFd top(dir_.path());
  Created created;
  created.source = Entry{top.get(), "src", "src"};
  int count = 0;
  ASSERT_TRUE(
      RemoveCreated(Env::Default(), Entry{top.get(), "copy", "copy"}, created, Rescue(), &count).ok());
  EXPECT_EQ(rescued_, (std::set<std::string>{"copy/dangling-link"}));
}

TEST_F(RemoveCreatedTest, DeletesAFileThatIsStillWhatTheOpWrote) {
  WriteFile(dir_.Sub("f"), "written", 0640);
  Created created;
  created.state.set_type(REGULAR);
  created.state.set_mode(0640);
  created.state.set_digest(DigestBytes("written"));
  DirFd top(dir_.path());
  int count = 0;
  ASSERT_TRUE(RemoveCreated(Env::Default(), Entry{top.get(), "f", "f"}, created, Rescue(), &count).ok());
  EXPECT_EQ(count, 0);
  EXPECT_FALSE(PathExists(dir_.Sub("f")));
}

TEST_F(RemoveCreatedTest, RescuesAFileWhoseContentChanged) {
  WriteFile(dir_.Sub("f"), "WRITTEN", 0640);  // same size, other bytes
  Created created;
  created.state.set_type(REGULAR);
  created.state.set_mode(0640);
  created.state.set_digest(DigestBytes("written"));
  DirFd top(dir_.path());
  int count = 0;
  ASSERT_TRUE(RemoveCreated(Env::Default(), Entry{top.get(), "f", "f"}, created, Rescue(), &count).ok());
  EXPECT_EQ(count, 1);
  EXPECT_EQ(ContentOrMissing(dir_.Sub("rescued/f")), "WRITTEN");
}

TEST_F(RemoveCreatedTest, RescuesADirectoryWhereAFileWasWritten) {
  MakeDir(dir_.Sub("f"));
  Created created;
  created.state.set_type(REGULAR);
  created.state.set_mode(0644);
  created.state.set_digest(DigestBytes("x"));
  DirFd top(dir_.path());
  int count = 0;
  ASSERT_TRUE(RemoveCreated(Env::Default(), Entry{top.get(), "f", "f"}, created, Rescue(), &count).ok());
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(PathExists(dir_.Sub("rescued/f")));
}

TEST_F(RemoveCreatedTest, DeletesASymlinkWithTheTargetTheOpGaveIt) {
  MakeSymlink("releases/r2", dir_.Sub("current"));
  Created created;
  created.state.set_type(SYMLINK);
  created.state.set_link_target("releases/r2");
  DirFd top(dir_.path());
  int count = 0;
  ASSERT_TRUE(
      RemoveCreated(Env::Default(), Entry{top.get(), "current", "current"}, created, Rescue(), &count).ok());
  EXPECT_EQ(count, 0);
  EXPECT_FALSE(PathExists(dir_.Sub("current")));
}

TEST_F(RemoveCreatedTest, RescuesASymlinkWithAnotherTarget) {
  MakeSymlink("releases/r3", dir_.Sub("current"));
  Created created;
  created.state.set_type(SYMLINK);
  created.state.set_link_target("releases/r2");
  DirFd top(dir_.path());
  int count = 0;
  ASSERT_TRUE(
      RemoveCreated(Env::Default(), Entry{top.get(), "current", "current"}, created, Rescue(), &count).ok());
  EXPECT_EQ(count, 1);
  EXPECT_EQ(rescued_, (std::set<std::string>{"current"}));
}

TEST_F(RemoveCreatedTest, EmptiesAMadeDirectoryByRescuingWhatWasPutInIt) {
  WriteFile(dir_.Sub("made/upload.jpg"), "upload");
  MakeDir(dir_.Sub("made/sub"));
  Created created;
  created.state.set_type(DIRECTORY);
  DirFd top(dir_.path());
  int count = 0;
  ASSERT_TRUE(RemoveCreated(Env::Default(), Entry{top.get(), "made", "made"}, created, Rescue(), &count).ok());
  EXPECT_EQ(count, 2);
  EXPECT_EQ(rescued_, (std::set<std::string>{"made/upload.jpg", "made/sub"}));
  EXPECT_FALSE(PathExists(dir_.Sub("made")));
}

TEST_F(RemoveCreatedTest, AMissingEntryIsOk) {
  Created created;
  created.state.set_type(DIRECTORY);
  DirFd top(dir_.path());
  int count = 0;
  EXPECT_TRUE(
      RemoveCreated(Env::Default(), Entry{top.get(), "gone", "gone"}, created, Rescue(), &count).ok());
  EXPECT_EQ(count, 0);
}

}  // namespace
}  // namespace persist
