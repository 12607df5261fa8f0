// Copyright persist authors.
//
// A deploy with --dedupe hardlink, end to end through the journal: the live
// release's manifest vouches for its files, so an unchanged release is made
// by reading each source file once and no file of the live release; a live
// file written since its deploy is read and compared byte for byte, and its
// edit is never spread into the new release.

#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "workflows/deploy_flow.h"
#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "spdlog/spdlog.h"
#include "tests/testing/sample_release.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {
namespace {

// Counts the files opened for reading beneath a staged tree: the candidates
// in the live release, which the copy opens under the new file's name.
class CountingEnv : public FaultEnv {
 public:
  using FaultEnv::FaultEnv;

  absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                             const std::string& path) override {
    const bool reads_file = (flags & O_ACCMODE) == O_RDONLY && (flags & O_DIRECTORY) == 0;
    if (reads_file && absl::StartsWith(path, "releases/.persist-")) ++live_reads_;
    return FaultEnv::OpenAt(dir_fd, name, flags, mode, path);
  }

  int live_reads() const { return live_reads_.load(); }
  void Reset() { live_reads_ = 0; }

 private:
  std::atomic<int> live_reads_{0};
};

// The sample release's files in persistent paths: storage/logs/.gitignore,
// bootstrap/cache/.gitignore and public/uploads/demo/avatar.txt. A deploy
// moves them to shared/ (or, on a site that has them, to its stash) rather
// than linking them to the live release's.
constexpr int kInPersistentPaths = 3;

class DedupeDeployTest : public ::testing::Test {
 protected:
  DedupeDeployTest() {
    spdlog::set_level(spdlog::level::off);
    MakeDir(site());
    // The sample release with 30 vendor files of other sizes to link. Three
    // of its files are in persistent paths (kInPersistentPaths).
    SampleRelease release = SampleRelease::Laravel("v1");
    for (int i = 0; i < 30; ++i) {
      release.File("vendor/pkg/File" + std::to_string(i) + ".php",
                   "<?php // " + std::string(100 + i * 37, 'x') + "\n");
    }
    release.Write(upload());
  }

  std::string site() const { return dir_.Sub("site"); }
  std::string upload() const { return dir_.Sub("upload"); }

  absl::StatusOr<persist::Run> Deploy(const std::string& id, CopyStats* stats) {
    absl::StatusOr<std::unique_ptr<Site>> opened = Site::OpenForWriting(&env_, site(), "deploy");
    if (!opened.ok()) return opened.status();
    DeployRequest request;
    request.source = upload();
    request.release_id = id;
    request.dedupe = DEDUPE_HARDLINK;
    absl::StatusOr<DeployPlan> planned = PlanSiteDeploy(**opened, request, /*keep=*/5);
    if (!planned.ok()) return planned.status();
    RunOptions options = DeployRunOptions(**opened, *planned);
    options.copy_stats = stats;
    return ExecutePlan(**opened, planned->plan, options);
  }

  ino_t InodeOf(const std::string& path) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_ino;
  }

  TempDir dir_;
  CountingEnv env_{Env::Default()};
};

TEST_F(DedupeDeployTest, AnUnchangedReleaseIsLinkedWithoutReadingTheLiveOne) {
  CopyStats first;
  ASSERT_TRUE(Deploy("1", &first).ok());
  env_.Reset();
  CopyStats again;
  absl::StatusOr<persist::Run> run = Deploy("2", &again);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(again.files, first.files);
  EXPECT_EQ(again.linked, again.files - kInPersistentPaths)
      << "all but the files of storage/, bootstrap/cache/ and public/uploads/, which go to shared/";
  EXPECT_EQ(env_.live_reads(), 0);
  EXPECT_EQ(InodeOf(site() + "/releases/2/vendor/pkg/File7.php"),
            InodeOf(site() + "/releases/1/vendor/pkg/File7.php"));
}

TEST_F(DedupeDeployTest, ALiveFileWrittenSinceItsDeployIsReadAndNeverSpread) {
  CopyStats first;
  ASSERT_TRUE(Deploy("1", &first).ok());
  // Edited in place, with its size and mtime put back.
  const std::string live = site() + "/releases/1/vendor/pkg/File7.php";
  struct stat before;
  ASSERT_EQ(lstat(live.c_str(), &before), 0);
  const std::string shipped = ReadFile(live);
  WriteFile(live, std::string(shipped.size(), '!'));
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, live.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);

  env_.Reset();
  CopyStats again;
  absl::StatusOr<persist::Run> run = Deploy("2", &again);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(env_.live_reads(), 1) << "only the file written since is compared byte for byte";
  EXPECT_EQ(again.linked, again.files - kInPersistentPaths - 1);
  EXPECT_EQ(ReadFile(site() + "/releases/2/vendor/pkg/File7.php"), shipped);
  EXPECT_NE(InodeOf(site() + "/releases/2/vendor/pkg/File7.php"), InodeOf(live));
}

}  // namespace
}  // namespace testing
}  // namespace persist
