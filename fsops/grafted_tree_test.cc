// Copyright persist authors.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "fsops/env.h"
#include "fsops/source_tree.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

// An app whose public/ is stale, served from a web root of its own.
class GraftedTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeDir(dir_.Sub("app/public"));
    WriteFile(dir_.Sub("app/artisan"), "<?php\n");
    WriteFile(dir_.Sub("app/public/stale.css"), "old\n");
    MakeDir(dir_.Sub("web/uploads"));
    WriteFile(dir_.Sub("web/index.php"), "<?php // served\n");
    WriteFile(dir_.Sub("web/uploads/a.jpg"), "jpeg\n");
  }

  TempDir dir_;
  const DirectoryTree app_{Env::Default(), dir_.Sub("app")};
  const DirectoryTree web_{Env::Default(), dir_.Sub("web")};
  const GraftedTree tree_{app_, "public", web_};
};

TEST_F(GraftedTreeTest, ReadsTheGraftedTreeAsTheDirectory) {
  const GraftedTree& tree = tree_;
  absl::StatusOr<std::vector<std::string>> top = tree.List("");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(Sorted(*top), (std::vector<std::string>{"artisan", "public"}));
  absl::StatusOr<std::vector<std::string>> pub = tree.List("public");
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(Sorted(*pub), (std::vector<std::string>{"index.php", "uploads"}));

  absl::StatusOr<PathState> upload = tree.Observe("public/uploads/a.jpg", false);
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->type(), REGULAR);
  EXPECT_EQ(upload->path(), "public/uploads/a.jpg");
  absl::StatusOr<PathState> stale = tree.Observe("public/stale.css", false);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(stale->type(), ABSENT) << "the app's own public/ is hidden";

  absl::StatusOr<std::string> index = tree.Read("public/index.php", 100);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(*index, "<?php // served\n");
  absl::StatusOr<std::string> artisan = tree.Read("artisan", 100);
  ASSERT_TRUE(artisan.ok()) << artisan.status();
  EXPECT_EQ(*artisan, "<?php\n");
  EXPECT_EQ(tree.Name("public/index.php"), dir_.Sub("web/index.php"));
  EXPECT_EQ(tree.Name("artisan"), dir_.Sub("app/artisan"));
}

TEST_F(GraftedTreeTest, ListsTheDirectoryWhereTheBaseHasNone) {
  ASSERT_EQ(std::remove(dir_.Sub("app/public/stale.css").c_str()), 0);
  ASSERT_EQ(rmdir(dir_.Sub("app/public").c_str()), 0);
  const GraftedTree& tree = tree_;
  absl::StatusOr<std::vector<std::string>> top = tree.List("");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(Sorted(*top), (std::vector<std::string>{"artisan", "public"}));
  absl::StatusOr<PathState> pub = tree.Observe("public", false);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->type(), DIRECTORY);
}

}  // namespace
}  // namespace persist
