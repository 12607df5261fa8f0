// Copyright persist authors.

#include "fsops/stash_layout.h"

#include "fsops/ops.h"
#include "fsops/path.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(StashLayoutTest, TheStashIsInTheStateDirectory) {
  EXPECT_TRUE(IsWithin(kStashRoot, kStateDir));
  EXPECT_TRUE(ValidateRelativePath(kStashRoot).ok());
}

TEST(StashLayoutTest, StashDirIsPerRunAndOp) {
  EXPECT_EQ(RunStashDir("testrun"), ".persist/stash/testrun");
  EXPECT_EQ(StashDir("testrun", 0), ".persist/stash/testrun/0");
  EXPECT_EQ(StashDir("20261128T101500Z-2", 12), ".persist/stash/20261128T101500Z-2/12");
  EXPECT_EQ(SplitParent(StashDir("r", 3)).first, RunStashDir("r"));
}

TEST(StashLayoutTest, SlotsAreNamesInAnOpsStash) {
  EXPECT_EQ(StashSlot("r", 4, kOldSlot), ".persist/stash/r/4/old");
  EXPECT_EQ(StashSlot("r", 4, kSrcSlot), ".persist/stash/r/4/src");
}

TEST(StashLayoutTest, APointerLiesBesideItsSlotAndIsKnownByItsName) {
  EXPECT_EQ(ElsewherePointerName(kOldSlot), "old.elsewhere");
  EXPECT_EQ(StashSlot("r", 0, ElsewherePointerName(kSrcSlot)), ".persist/stash/r/0/src.elsewhere");
  EXPECT_TRUE(IsElsewherePointerName(ElsewherePointerName(kOldSlot)));
  EXPECT_TRUE(IsElsewherePointerName("x.elsewhere"));
  EXPECT_FALSE(IsElsewherePointerName(".elsewhere")) << "a pointer names its slot";
  EXPECT_FALSE(IsElsewherePointerName(kOldSlot));
  EXPECT_FALSE(IsElsewherePointerName("old.elsewhere.tmp"));
}

TEST(StashLayoutTest, TheStashElsewhereIsPerRunAndOpBeneathTheTop) {
  EXPECT_EQ(ElsewhereStashDir("shared", "r", 2), "shared/.persist-stash/r/2");
  EXPECT_EQ(ElsewhereStashDir("", "r", 2), ".persist-stash/r/2");
  EXPECT_EQ(ElsewhereRunStashDir(ElsewhereStashDir("mnt/data", "r", 7)), "mnt/data/.persist-stash/r");
}

}  // namespace
}  // namespace persist
