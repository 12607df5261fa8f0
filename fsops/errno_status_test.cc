// Copyright persist authors.

#include "fsops/errno_status.h"

#include <errno.h>
#include <string.h>

#include <string>

#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

bool Contains(absl::string_view text, absl::string_view part) {
  return text.find(part) != absl::string_view::npos;
}

TEST(ErrnoStatusTest, MessageNamesWhatPathCauseAndErrnoName) {
  absl::Status status = ErrnoStatus(ENOSPC, "write", "shared/.env");
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Contains(status.message(), "write")) << status;
  EXPECT_TRUE(Contains(status.message(), "shared/.env")) << status;
  EXPECT_TRUE(Contains(status.message(), strerror(ENOSPC))) << status;
  EXPECT_TRUE(Contains(status.message(), "ENOSPC")) << status;
  EXPECT_EQ(status.message(),
            std::string("write shared/.env: ") + strerror(ENOSPC) + " (ENOSPC)");
}

TEST(ErrnoStatusTest, CarriesItsPathThroughAnnotate) {
  absl::Status status = Annotate(ErrnoStatus(ENOSPC, "write", "shared/.env"), "deploy");
  EXPECT_EQ(StatusPath(status), "shared/.env");
  EXPECT_EQ(StatusPath(ErrnoStatus(EACCES, "open", "")), ".");
}

TEST(ErrnoStatusTest, WithPathSetsThePathAndLeavesOkAlone) {
  EXPECT_EQ(StatusPath(absl::InvalidArgumentError("no")), "");
  EXPECT_EQ(StatusPath(WithPath(absl::InvalidArgumentError("no"), "/srv/up")), "/srv/up");
  EXPECT_TRUE(WithPath(absl::OkStatus(), "/srv/up").ok());
  EXPECT_EQ(StatusPath(WithPath(absl::OkStatus(), "/srv/up")), "");
}

TEST(ErrnoStatusTest, AnEmptyPathIsShownAsTheRoot) {
  absl::Status status = ErrnoStatus(EACCES, "open", "");
  EXPECT_TRUE(Contains(status.message(), "open .:")) << status;
}

TEST(ErrnoStatusTest, CodesFollowTheErrno) {
  EXPECT_TRUE(absl::IsNotFound(ErrnoStatus(ENOENT, "stat", "x")));
  EXPECT_TRUE(absl::IsAlreadyExists(ErrnoStatus(EEXIST, "rename", "x")));
  EXPECT_TRUE(absl::IsPermissionDenied(ErrnoStatus(EACCES, "open", "x")));
  EXPECT_TRUE(absl::IsResourceExhausted(ErrnoStatus(ENOSPC, "write", "x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(ErrnoStatus(EXDEV, "rename", "x")));
  EXPECT_TRUE(absl::IsUnimplemented(ErrnoStatus(ENOSYS, "rename", "x")));
  EXPECT_TRUE(absl::IsDataLoss(ErrnoStatus(EIO, "fsync", "x")));
}

TEST(StatusErrnoTest, RoundTripsTheErrno) {
  for (int err : {ENOENT, EEXIST, EXDEV, EINVAL, ENOSYS, ENOSPC, EIO, ELOOP, EWOULDBLOCK}) {
    EXPECT_EQ(StatusErrno(ErrnoStatus(err, "op", "p")), err) << ErrnoName(err);
  }
}

TEST(StatusErrnoTest, IsZeroForAStatusWithoutErrno) {
  EXPECT_EQ(StatusErrno(absl::OkStatus()), 0);
  EXPECT_EQ(StatusErrno(absl::InternalError("no errno here")), 0);
}

TEST(ErrnoNameTest, NamesKnownErrnosSymbolically) {
  EXPECT_EQ(ErrnoName(EXDEV), "EXDEV");
  EXPECT_EQ(ErrnoName(ENOENT), "ENOENT");
}

TEST(ErrnoNameTest, NumbersUnknownErrnos) {
  EXPECT_EQ(ErrnoName(99999), "errno 99999");
}

TEST(AnnotateTest, PutsContextInFrontAndKeepsCodeAndErrno) {
  absl::Status base = ErrnoStatus(EXDEV, "rename", "a -> b");
  base.SetPayload("test/extra", absl::Cord("kept"));
  absl::Status annotated = Annotate(base, "move releases/r1 -> shared");
  EXPECT_EQ(annotated.code(), base.code());
  EXPECT_EQ(StatusErrno(annotated), EXDEV);
  EXPECT_EQ(annotated.message(), std::string("move releases/r1 -> shared: ") +
                                     std::string(base.message()));
  auto extra = annotated.GetPayload("test/extra");
  ASSERT_TRUE(extra.has_value());
  EXPECT_EQ(std::string(*extra), "kept");
}

TEST(AnnotateTest, CanBeStacked) {
  absl::Status status = Annotate(Annotate(ErrnoStatus(EIO, "fsync", "f"), "inner"), "outer");
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_EQ(StatusErrno(status), EIO);
  EXPECT_TRUE(Contains(status.message(), "outer: inner: fsync f")) << status;
}

TEST(AnnotateTest, LeavesAnOkStatusOk) {
  EXPECT_TRUE(Annotate(absl::OkStatus(), "context").ok());
}

}  // namespace
}  // namespace persist
