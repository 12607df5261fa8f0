// Copyright persist authors.

#include "fsops/byte_arena.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(ByteArenaTest, CopiesStayPutAcrossBlocks) {
  ByteArena arena;
  std::vector<std::string> originals;
  std::vector<absl::string_view> kept;
  // 20,000 copies of 40 bytes, then one larger than a block: several blocks.
  for (int i = 0; i < 20000; ++i) {
    originals.push_back(std::to_string(i) + std::string(35, static_cast<char>('a' + i % 26)));
  }
  originals.push_back(std::string(200 << 10, 'z'));
  for (const std::string& s : originals) kept.push_back(arena.Keep(s));
  for (size_t i = 0; i < originals.size(); ++i) {
    ASSERT_EQ(kept[i], originals[i]) << i;
    ASSERT_NE(kept[i].data(), originals[i].data()) << i;  // a copy, not a view
  }
}

TEST(ByteArenaTest, KeepsAnEmptyStringAsEmpty) {
  ByteArena arena;
  EXPECT_TRUE(arena.Keep("").empty());
  EXPECT_EQ(arena.Keep(std::string("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace persist
