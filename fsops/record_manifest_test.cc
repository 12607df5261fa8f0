// Copyright persist authors.

#include "fsops/record_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using testing::MakeDir;
using testing::MakeSymlink;
using testing::TempDir;
using testing::WriteFile;

class CollectingSink : public ManifestSink {
 public:
  void Clear() override { entries.clear(); }
  void Add(const ManifestEntry& entry) override { entries.push_back(entry); }
  std::vector<ManifestEntry> entries;
};

TEST(RecordManifestTest, RecordsEveryPathInWalkOrderWithWhatCopyTreeRecords) {
  TempDir dir;
  const std::string tree = dir.Sub("release");
  WriteFile(tree + "/a.txt", "a text\n");
  WriteFile(tree + "/a/b.php", "<?php\n", 0600);
  MakeSymlink("../../shared/storage", tree + "/storage");
  MakeDir(tree + "/empty");
  CollectingSink sink;
  sink.entries.push_back(ManifestEntry());  // dropped: the sink is cleared
  ASSERT_TRUE(RecordManifest(Env::Default(), Entry{AT_FDCWD, tree, tree}, &sink).ok());
  std::vector<std::string> paths;
  for (const ManifestEntry& e : sink.entries) paths.push_back(e.path());
  EXPECT_EQ(paths, (std::vector<std::string>{"", "a", "a/b.php", "a.txt", "empty", "storage"}));
  for (size_t i = 1; i < paths.size(); ++i) EXPECT_TRUE(PathBefore(paths[i - 1], paths[i]));

  const ManifestEntry& php = sink.entries[2];
  struct stat st;
  ASSERT_EQ(stat((tree + "/a/b.php").c_str(), &st), 0);
  EXPECT_EQ(php.type(), REGULAR);
  EXPECT_EQ(php.mode(), 0600u);
  EXPECT_EQ(php.size(), 6u);
  EXPECT_EQ(php.digest(), DigestBytes("<?php\n"));
  EXPECT_EQ(php.inode(), st.st_ino);
  EXPECT_EQ(php.mtime_ns(), int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec);
  EXPECT_EQ(php.ctime_ns(), int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec);
  EXPECT_EQ(sink.entries[1].type(), DIRECTORY);
  const ManifestEntry& link = sink.entries[5];
  EXPECT_EQ(link.type(), SYMLINK);
  EXPECT_EQ(link.link_target(), "../../shared/storage");
  EXPECT_TRUE(link.digest().empty()) << "a symlink is recorded, never followed";
}

TEST(RecordManifestTest, AFifoIsAnErrorNamingIt) {
  TempDir dir;
  const std::string tree = dir.Sub("release");
  MakeDir(tree + "/storage");
  ASSERT_EQ(mkfifo((tree + "/storage/pipe").c_str(), 0600), 0);
  CollectingSink sink;
  absl::Status status = RecordManifest(Env::Default(), Entry{AT_FDCWD, tree, tree}, &sink);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("storage/pipe"), std::string::npos) << status;
}

}  // namespace
}  // namespace persist
