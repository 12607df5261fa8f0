// Copyright persist authors.

#include "fsops/tree_size.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "fsops/env.h"
#include "gtest/gtest.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::MakeDir;
using ::persist::testing::MakeSymlink;
using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

std::unique_ptr<Root> OpenRoot(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir);
  EXPECT_TRUE(root.ok()) << root.status();
  return root.ok() ? *std::move(root) : nullptr;
}

TEST(TreeSizeTest, CountsFilesAndBytesAllTheWayDown) {
  TempDir dir;
  MakeDir(dir.path() + "/app/public/css");
  WriteFile(dir.path() + "/app/index.php", "12345");
  WriteFile(dir.path() + "/app/public/css/a.css", "1234567890");
  std::unique_ptr<Root> root = OpenRoot(dir.path());
  absl::StatusOr<TreeSize> size = MeasureTree(*root, "app");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(size->bytes, 15u);
  EXPECT_EQ(size->files, 2u);
}

TEST(TreeSizeTest, NeverFollowsASymlinkOutOfTheTree) {
  TempDir dir;
  MakeDir(dir.path() + "/shared/storage");
  WriteFile(dir.path() + "/shared/storage/big", std::string(4096, 'x'));
  MakeDir(dir.path() + "/release");
  MakeSymlink("../shared/storage", dir.path() + "/release/storage");
  std::unique_ptr<Root> root = OpenRoot(dir.path());
  absl::StatusOr<TreeSize> size = MeasureTree(*root, "release");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(size->bytes, 0u);
  EXPECT_EQ(size->files, 1u);
}

TEST(TreeSizeTest, AMissingTreeIsNotFound) {
  TempDir dir;
  std::unique_ptr<Root> root = OpenRoot(dir.path());
  absl::StatusOr<TreeSize> size = MeasureTree(*root, "shared");
  ASSERT_FALSE(size.ok());
  EXPECT_TRUE(absl::IsNotFound(size.status())) << size.status();
}

}  // namespace
}  // namespace persist
