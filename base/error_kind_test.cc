// Copyright persist authors.

#include "base/error_kind.h"

#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(ErrorKindTest, AnUntaggedStatusIsUsageWhenInvalidArgumentElseFailed) {
  EXPECT_EQ(ErrorKindOf(absl::InvalidArgumentError("x")), ErrorKind::kUsage);
  EXPECT_EQ(ErrorKindOf(absl::InternalError("x")), ErrorKind::kFailed);
  EXPECT_EQ(ErrorKindOf(absl::NotFoundError("x")), ErrorKind::kFailed);
}

TEST(ErrorKindTest, ATagOverridesTheCanonicalCode) {
  EXPECT_EQ(ErrorKindOf(WithErrorKind(absl::InternalError("x"), ErrorKind::kLocked)),
            ErrorKind::kLocked);
  EXPECT_EQ(ErrorKindOf(WithErrorKind(absl::InvalidArgumentError("x"), ErrorKind::kNeedsRecovery)),
            ErrorKind::kNeedsRecovery);
  EXPECT_EQ(ErrorKindOf(WithErrorKind(absl::InvalidArgumentError("x"), ErrorKind::kFailed)),
            ErrorKind::kFailed);
  EXPECT_EQ(ErrorKindOf(WithErrorKind(absl::UnavailableError("x"), ErrorKind::kUsage)),
            ErrorKind::kUsage);
}

TEST(ErrorKindTest, TheTagKeepsTheMessageAndTheLastTagWins) {
  absl::Status status = WithErrorKind(absl::InternalError("disk full"), ErrorKind::kUsage);
  status = WithErrorKind(status, ErrorKind::kLocked);
  EXPECT_EQ(status.message(), "disk full");
  EXPECT_EQ(ErrorKindOf(status), ErrorKind::kLocked);
}

TEST(ErrorKindTest, AUsageErrorIsInvalidArgumentTaggedUsage) {
  const absl::Status status = UsageError("--keep takes a number");
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), "--keep takes a number");
  EXPECT_EQ(ErrorKindOf(status), ErrorKind::kUsage);
}

TEST(ErrorKindTest, AnOkStatusStaysOk) {
  EXPECT_TRUE(WithErrorKind(absl::OkStatus(), ErrorKind::kFailed).ok());
}

}  // namespace
}  // namespace persist
