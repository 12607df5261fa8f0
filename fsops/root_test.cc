// Copyright persist authors.

#include "fsops/root.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "fsops/digest.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path_state.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::PathExists;
using ::persist::testing::SetMtime;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

class RootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir_.path());
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
  }

  PathState MustObserve(const std::string& rel, bool with_digest = true) {
    absl::StatusOr<PathState> state = root_->Observe(rel, with_digest);
    EXPECT_TRUE(state.ok()) << rel << ": " << state.status();
    return state.ok() ? *state : PathState();
  }

  TempDir dir_;
  TempDir outside_;
  std::unique_ptr<Root> root_;
};

std::string Sha256(const std::string& bytes) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

TEST(RootOpenTest, RefusesAMissingDirectory) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir.Sub("missing"));
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(StatusErrno(root.status()), ENOENT);
  EXPECT_NE(root.status().message().find(dir.Sub("missing")), absl::string_view::npos);
}

TEST(RootOpenTest, RefusesAFile) {
  TempDir dir;
  WriteFile(dir.Sub("file"), "x");
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir.Sub("file"));
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(StatusErrno(root.status()), ENOTDIR);
}

TEST_F(RootTest, ObserveGivesAbsentForAMissingPath) {
  PathState state = MustObserve("nothing-here");
  EXPECT_EQ(state.type(), ABSENT);
  EXPECT_EQ(state.path(), "nothing-here");
}

TEST_F(RootTest, ObserveGivesAbsentWhenAParentIsMissing) {
  PathState state = MustObserve("no/such/parent/file");
  EXPECT_EQ(state.type(), ABSENT);
  EXPECT_EQ(state.path(), "no/such/parent/file");
}

TEST_F(RootTest, ObserveRefusesToLookThroughASymlinkedParent) {
  MakeDir(dir_.Sub("real"));
  WriteFile(dir_.Sub("real/file"), "x");
  MakeSymlink("real", dir_.Sub("link"));
  absl::StatusOr<PathState> state = root_->Observe("link/file", true);
  EXPECT_FALSE(state.ok()) << "observed through a symlink: " << state->DebugString();
}

TEST_F(RootTest, ObserveRefusesAFileAsAParent) {
  WriteFile(dir_.Sub("shared/.env"), "x");
  absl::StatusOr<PathState> state = root_->Observe("shared/.env/child", false);
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(StatusErrno(state.status()), ENOTDIR);
  // The message names the component that is in the way.
  EXPECT_NE(state.status().message().find("shared/.env"), absl::string_view::npos) << state.status();
}

TEST_F(RootTest, ObserveDescribesARegularFile) {
  WriteFile(dir_.Sub("shared/.env"), "APP_KEY=1\n", 0600);
  SetMtime(dir_.Sub("shared/.env"), 1700000000);
  PathState state = MustObserve("shared/.env");
  EXPECT_EQ(state.type(), REGULAR);
  EXPECT_EQ(state.mode(), 0600u);
  EXPECT_EQ(state.size(), 10u);
  EXPECT_EQ(state.mtime_ns(), int64_t{1700000000} * 1000000000 + 123456789);
  EXPECT_EQ(state.path(), "shared/.env");
  struct stat st;
  ASSERT_EQ(lstat(dir_.Sub("shared/.env").c_str(), &st), 0);
  EXPECT_EQ(state.inode(), st.st_ino);
  EXPECT_EQ(state.dev(), st.st_dev);
}

TEST_F(RootTest, ObserveDescribesADirectory) {
  MakeDir(dir_.Sub("ro"), 0555);
  PathState state = MustObserve("ro");
  EXPECT_EQ(state.type(), DIRECTORY);
  EXPECT_EQ(state.mode(), 0555u);
  EXPECT_EQ(state.size(), 0u);
}

TEST_F(RootTest, ObserveOfASymlinkGivesItsTargetWithoutFollowingIt) {
  WriteFile(outside_.Sub("secret"), "outside data");
  MakeSymlink(outside_.Sub("secret"), dir_.Sub("abs-link"));
  MakeSymlink("../shared/x", dir_.Sub("rel-link"));
  MakeSymlink("does-not-exist", dir_.Sub("dangling"));
  PathState abs = MustObserve("abs-link");
  EXPECT_EQ(abs.type(), SYMLINK);
  EXPECT_EQ(abs.link_target(), outside_.Sub("secret"));
  EXPECT_TRUE(abs.digest().empty());
  EXPECT_EQ(abs.size(), 0u);
  PathState rel = MustObserve("rel-link");
  EXPECT_EQ(rel.type(), SYMLINK);
  EXPECT_EQ(rel.link_target(), "../shared/x");
  PathState dangling = MustObserve("dangling");
  EXPECT_EQ(dangling.type(), SYMLINK);
  EXPECT_EQ(dangling.link_target(), "does-not-exist");
}

TEST_F(RootTest, ObserveOfAFifoSaysOther) {
  ASSERT_EQ(mkfifo(dir_.Sub("fifo").c_str(), 0644), 0);
  EXPECT_EQ(MustObserve("fifo").type(), OTHER);
}

TEST_F(RootTest, DigestOfAFileIsTheSha256OfItsContent) {
  WriteFile(dir_.Sub("abc"), "abc");
  PathState state = MustObserve("abc");
  EXPECT_EQ(HexDigest(state.digest()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(RootTest, DigestOfAnEmptyFileIsTheSha256OfNothing) {
  WriteFile(dir_.Sub("empty"), "");
  EXPECT_EQ(HexDigest(MustObserve("empty").digest()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(RootTest, DigestOfAFileLargerThanOneReadCoversAllOfIt) {
  std::string content;
  for (int i = 0; i < 200000; ++i) content.push_back(static_cast<char>(i * 7 % 251));
  WriteFile(dir_.Sub("big.bin"), content);
  PathState state = MustObserve("big.bin");
  EXPECT_EQ(state.size(), content.size());
  EXPECT_EQ(state.digest(), Sha256(content));
  EXPECT_EQ(state.digest(), DigestBytes(content));
}

TEST_F(RootTest, ObserveWithoutDigestLeavesItEmpty) {
  WriteFile(dir_.Sub("abc"), "abc");
  EXPECT_TRUE(MustObserve("abc", false).digest().empty());
}

TEST_F(RootTest, OpenDirOpensTheRootAndDirectoriesBeneathIt) {
  MakeDir(dir_.Sub("a/b"));
  WriteFile(dir_.Sub("a/b/f"), "x");
  absl::StatusOr<Fd> top = root_->OpenDir("");
  ASSERT_TRUE(top.ok()) << top.status();
  absl::StatusOr<Fd> fd = root_->OpenDir("a/b");
  ASSERT_TRUE(fd.ok()) << fd.status();
  struct stat st;
  EXPECT_EQ(fstatat(fd->get(), "f", &st, AT_SYMLINK_NOFOLLOW), 0);
}

TEST_F(RootTest, OpenDirRefusesASymlinkComponentPointingInsideTheRoot) {
  MakeDir(dir_.Sub("real/sub"));
  MakeSymlink("real", dir_.Sub("link"));
  EXPECT_FALSE(root_->OpenDir("link").ok());
  EXPECT_FALSE(root_->OpenDir("link/sub").ok());
}

TEST_F(RootTest, OpenDirRefusesASymlinkComponentPointingOutsideTheRoot) {
  MakeDir(outside_.Sub("victim/sub"));
  MakeSymlink(outside_.Sub("victim"), dir_.Sub("abs"));
  MakeSymlink("../../" + outside_.path(), dir_.Sub("rel"));
  EXPECT_FALSE(root_->OpenDir("abs").ok());
  EXPECT_FALSE(root_->OpenDir("abs/sub").ok());
  EXPECT_FALSE(root_->OpenDir("rel/victim").ok());
  std::string leaf;
  EXPECT_FALSE(root_->OpenParent("abs/sub/file", &leaf).ok());
}

TEST_F(RootTest, OpenDirRefusesToClimbOutWithDotDot) {
  MakeDir(dir_.Sub("a"));
  EXPECT_FALSE(root_->OpenDir("..").ok());
  EXPECT_FALSE(root_->OpenDir("a/../..").ok());
  EXPECT_FALSE(root_->OpenDir("../" + outside_.path()).ok());
}

TEST_F(RootTest, OpenDirOfAFileFails) {
  WriteFile(dir_.Sub("file"), "x");
  absl::StatusOr<Fd> fd = root_->OpenDir("file");
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(StatusErrno(fd.status()), ENOTDIR);
}

TEST_F(RootTest, OpenParentGivesTheLeaf) {
  MakeDir(dir_.Sub("a/b"));
  std::string leaf;
  absl::StatusOr<Fd> parent = root_->OpenParent("a/b/c", &leaf);
  ASSERT_TRUE(parent.ok()) << parent.status();
  EXPECT_EQ(leaf, "c");
  EXPECT_EQ(parent->path(), "a/b");
  absl::StatusOr<Fd> top = root_->OpenParent("top", &leaf);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(leaf, "top");
}

TEST_F(RootTest, MakeDirsCreatesMissingDirectoriesWithTheMode) {
  ASSERT_TRUE(root_->MakeDirs(".persist/stash/run/0", 0700).ok());
  for (const char* rel : {".persist", ".persist/stash", ".persist/stash/run", ".persist/stash/run/0"}) {
    PathState state = MustObserve(rel);
    EXPECT_EQ(state.type(), DIRECTORY) << rel;
    EXPECT_EQ(state.mode(), 0700u) << rel;
  }
  // Again: nothing to do.
  EXPECT_TRUE(root_->MakeDirs(".persist/stash/run/0", 0700).ok());
}

// Run as root on a site another user owns, a directory of persist's own
// found with root as its owner (a run killed between making it and giving
// it away) is given its parent's owner, as if just made.
TEST_F(RootTest, MakeDirsGivesWhatItFindsTheParentsOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "changing owners needs root";
  if (chown(dir_.path().c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "chown refused here (a user namespace that maps only root)";
  }
  MakeDir(dir_.Sub(".persist"), 0700);
  ASSERT_TRUE(root_->MakeDirs(".persist/journal", 0700).ok());
  for (const char* rel : {".persist", ".persist/journal"}) {
    struct stat st;
    ASSERT_EQ(lstat(dir_.Sub(rel).c_str(), &st), 0) << rel;
    EXPECT_EQ(st.st_uid, 65534u) << rel;
    EXPECT_EQ(st.st_gid, 65534u) << rel;
  }
}

// What root's own directory holds keeps the owner it has.
TEST_F(RootTest, MakeDirsLeavesTheOwnerInADirectoryOfRoots) {
  if (geteuid() != 0) GTEST_SKIP() << "changing owners needs root";
  MakeDir(dir_.Sub(".persist"), 0700);
  if (chown(dir_.Sub(".persist").c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "chown refused here (a user namespace that maps only root)";
  }
  ASSERT_TRUE(root_->MakeDirs(".persist", 0700).ok());
  struct stat st;
  ASSERT_EQ(lstat(dir_.Sub(".persist").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
}

TEST_F(RootTest, MakeDirsDoesNotFollowASymlink) {
  MakeDir(outside_.Sub("target"));
  MakeSymlink(outside_.Sub("target"), dir_.Sub(".persist"));
  EXPECT_FALSE(root_->MakeDirs(".persist/stash", 0700).ok());
  EXPECT_FALSE(PathExists(outside_.Sub("target/stash")));
}

}  // namespace
}  // namespace persist
