// Copyright persist authors.

#include "cli/exit_code.h"

#include "base/error_kind.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(ExitCodeTest, EachKindHasTheCodeDesignMdGivesIt) {
  EXPECT_EQ(ExitCodeOf(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeOf(absl::InternalError("x")), 1);
  EXPECT_EQ(ExitCodeOf(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeOf(WithErrorKind(absl::InternalError("x"), ErrorKind::kUsage)), 2);
  EXPECT_EQ(ExitCodeOf(WithErrorKind(absl::InvalidArgumentError("x"), ErrorKind::kFailed)), 1);
  EXPECT_EQ(ExitCodeOf(WithErrorKind(absl::InternalError("x"), ErrorKind::kNeedsRecovery)), 3);
  EXPECT_EQ(ExitCodeOf(WithErrorKind(absl::InternalError("x"), ErrorKind::kLocked)), 4);
}

}  // namespace
}  // namespace persist
