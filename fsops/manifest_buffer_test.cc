// Copyright persist authors.

#include "fsops/manifest_buffer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace persist {
namespace {

class CollectingSink : public ManifestSink {
 public:
  void Clear() override {
    ++clears;
    entries.clear();
  }
  void Add(const ManifestEntry& entry) override { entries.push_back(entry); }

  int clears = 0;
  std::vector<ManifestEntry> entries;
};

ManifestEntry File(const std::string& path, const std::string& digest, uint64_t inode) {
  ManifestEntry e;
  e.set_path(path);
  e.set_type(REGULAR);
  e.set_mode(0644);
  e.set_size(digest.size() * 1000 + 7);
  e.set_digest(digest);
  e.set_mtime_ns(-1700000000123456789);
  e.set_inode(inode);
  e.set_ctime_ns(1700000000987654321);
  return e;
}

ManifestEntry Dir(const std::string& path) {
  ManifestEntry e;
  e.set_path(path);
  e.set_type(DIRECTORY);
  e.set_mode(0755);
  e.set_mtime_ns(42);
  return e;
}

ManifestEntry Link(const std::string& path, const std::string& target) {
  ManifestEntry e;
  e.set_path(path);
  e.set_type(SYMLINK);
  e.set_mode(0777);
  e.set_link_target(target);
  return e;
}

TEST(ManifestBufferTest, HandsOverEveryFieldInWalkOrder) {
  // Added in archive order; "a/b" must come after "a" and before "a.txt"
  // ('/' sorts first in walk order, path.h PathBefore).
  const std::string digest(32, '\xab');
  const std::vector<ManifestEntry> added = {
      File("a.txt", digest, 7),
      Link("a/link", "b"),
      File("a/b", std::string(32, '\0'), 8),
      Dir("a"),
      Dir(""),
      File(std::string(5000, 'x'), digest, 9),
  };
  ManifestBuffer buffer;
  for (const ManifestEntry& e : added) buffer.Add(e);
  EXPECT_EQ(buffer.size(), added.size());

  CollectingSink sink;
  sink.entries.push_back(Dir("left over"));
  buffer.HandOver(&sink);
  EXPECT_EQ(sink.clears, 1);
  std::vector<std::string> paths;
  for (const ManifestEntry& e : sink.entries) paths.push_back(e.path());
  EXPECT_EQ(paths,
            (std::vector<std::string>{"", "a", "a/b", "a/link", "a.txt", std::string(5000, 'x')}));
  for (const ManifestEntry& out : sink.entries) {
    bool matched = false;
    for (const ManifestEntry& in : added) {
      if (in.path() == out.path()) {
        EXPECT_EQ(in.SerializeAsString(), out.SerializeAsString()) << out.path();
        matched = true;
      }
    }
    EXPECT_TRUE(matched) << out.path();
  }
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(ManifestBufferTest, HoldsMoreThanOneBlock) {
  // 3 MiB of paths: entries in several blocks keep their bytes.
  ManifestBuffer buffer;
  const int n = 30000;
  for (int i = n - 1; i >= 0; --i) {
    char name[16];
    snprintf(name, sizeof(name), "%08d", i);
    buffer.Add(File(std::string(name) + std::string(92, 'p'), std::string(32, char(i)), i));
  }
  CollectingSink sink;
  buffer.HandOver(&sink);
  ASSERT_EQ(sink.entries.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    char name[16];
    snprintf(name, sizeof(name), "%08d", i);
    ASSERT_EQ(sink.entries[i].path(), std::string(name) + std::string(92, 'p'));
    ASSERT_EQ(sink.entries[i].digest(), std::string(32, char(i)));
    ASSERT_EQ(sink.entries[i].inode(), static_cast<uint64_t>(i));
  }
}

TEST(ManifestBufferTest, FindsTheLastFileAddedAtAPath) {
  ManifestBuffer buffer;
  buffer.Add(File("x", std::string(32, '1'), 1));
  buffer.Add(Dir("d"));
  buffer.Add(File("x", std::string(32, '2'), 2));
  ManifestEntry found;
  ASSERT_TRUE(buffer.FindFile("x", &found));
  EXPECT_EQ(found.inode(), 2u);
  EXPECT_EQ(found.digest(), std::string(32, '2'));
  EXPECT_FALSE(buffer.FindFile("d", &found));  // a directory is no file
  EXPECT_FALSE(buffer.FindFile("y", &found));
}

}  // namespace
}  // namespace persist
