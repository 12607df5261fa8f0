// Copyright persist authors.

#include "planner/special_files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <atomic>
#include <string>
#include <vector>

#include "fsops/testing/fault_env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {
namespace {

// Counts the stats of a scan, and can hide the types a directory listing
// carries, as a filesystem that does not record them (DT_UNKNOWN) would.
class ListingEnv : public FaultEnv {
 public:
  ListingEnv(Env* base, bool hide_types) : FaultEnv(base), hide_types_(hide_types) {}

  absl::StatusOr<std::vector<DirEntry>> ReadDir(int dir_fd, const std::string& path) override {
    absl::StatusOr<std::vector<DirEntry>> entries = FaultEnv::ReadDir(dir_fd, path);
    if (entries.ok() && hide_types_) {
      for (DirEntry& entry : *entries) entry.type = DT_UNKNOWN;
    }
    return entries;
  }

  absl::Status StatAt(int dir_fd, const std::string& name, struct stat* st,
                      const std::string& path) override {
    ++stats_;
    return FaultEnv::StatAt(dir_fd, name, st, path);
  }

  int stats() const { return stats_.load(); }

 private:
  const bool hide_types_;
  std::atomic<int> stats_{0};
};

class SpecialFilesTest : public ::testing::Test {
 protected:
  SpecialFilesTest() {
    WriteFile(rel("app/Http/Kernel.php"), "<?php\n");
    WriteFile(rel("vendor/pkg/src/A.php"), "<?php\n");
    MakeSymlink("../vendor", rel("public/vendor-link"));
    MakeDir(rel("storage/logs"));
    EXPECT_EQ(mkfifo(rel("storage/logs/queue").c_str(), 0600), 0);
    EXPECT_EQ(mknod(rel("vendor/pkg/php-fpm.sock").c_str(), S_IFSOCK | 0644, 0), 0);
    // A symlink to a fifo is a symlink: persist copies it as one.
    MakeSymlink("storage/logs/queue", rel("queue-link"));
  }

  std::string rel(const std::string& path) const { return dir_.Sub("release/" + path); }
  std::string release() const { return dir_.Sub("release"); }

  // What FindSpecialFiles finds in the release, as "path kind"; the stats it
  // made go to *stats.
  std::vector<std::string> Found(bool hide_types, int* stats) {
    ListingEnv env(Env::Default(), hide_types);
    absl::StatusOr<std::vector<SpecialFile>> found = FindSpecialFiles(&env, release());
    EXPECT_TRUE(found.ok()) << found.status();
    *stats = env.stats();
    std::vector<std::string> described;
    if (!found.ok()) return described;
    for (const SpecialFile& file : *found) described.push_back(file.path + " " + file.kind);
    return described;
  }

  const std::vector<std::string> kSpecial = {"storage/logs/queue fifo",
                                             "vendor/pkg/php-fpm.sock socket"};
  TempDir dir_;
};

TEST_F(SpecialFilesTest, FindsEveryFifoAndSocketFromTheListingAloneWithoutAStat) {
  int stats = -1;
  EXPECT_EQ(Found(/*hide_types=*/false, &stats), kSpecial);
  EXPECT_EQ(stats, 0);  // this filesystem records types in its directories
}

TEST_F(SpecialFilesTest, WhereTheListingHasNoTypesEachEntryIsStatted) {
  int stats = -1;
  EXPECT_EQ(Found(/*hide_types=*/true, &stats), kSpecial);
  // Every entry beneath the release: app, app/Http, Kernel.php, vendor,
  // vendor/pkg, src, A.php, php-fpm.sock, public, vendor-link, storage, logs,
  // queue, queue-link.
  EXPECT_EQ(stats, 14);
}

}  // namespace
}  // namespace testing
}  // namespace persist
