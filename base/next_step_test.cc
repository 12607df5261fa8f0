// Copyright persist authors.

#include "base/next_step.h"

#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(NextStepTest, AStatusWithoutOneHasNone) {
  EXPECT_EQ(NextStepOf(absl::InternalError("x")).step, NextStep::kNone);
  EXPECT_EQ(NextStepOf(absl::OkStatus()).step, NextStep::kNone);
}

TEST(NextStepTest, TheStepTheSiteAndTheRunComeBackAsSet) {
  const absl::Status status =
      WithNextStep(absl::InternalError("disk full"), NextStep::kNameTheRun, "/srv/a b", "r7");
  const NextStepOf next(status);
  EXPECT_EQ(next.step, NextStep::kNameTheRun);
  EXPECT_EQ(next.site_dir, "/srv/a b");
  EXPECT_EQ(next.run_id, "r7");
  EXPECT_EQ(status.message(), "disk full");
}

TEST(NextStepTest, TheLastStepSetWinsAndOkStaysOk) {
  absl::Status status = WithNextStep(absl::InternalError("x"), NextStep::kRecover, "/a");
  status = WithNextStep(status, NextStep::kVerify);
  EXPECT_EQ(NextStepOf(status).step, NextStep::kVerify);
  EXPECT_EQ(NextStepOf(status).site_dir, "");
  EXPECT_TRUE(WithNextStep(absl::OkStatus(), NextStep::kRecover).ok());
}

}  // namespace
}  // namespace persist
