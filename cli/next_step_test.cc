// Copyright persist authors.

#include "cli/next_step.h"

#include "base/error_kind.h"
#include "base/next_step.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(SayNextStepTest, AStatusWithoutAStepIsLeftAsItIs) {
  const absl::Status status = absl::InternalError("disk full");
  EXPECT_EQ(SayNextStep(status, "/srv/shop"), status);
}

TEST(SayNextStepTest, TheStepNamesTheCommandAndTheSiteItIsAbout) {
  const absl::Status status = WithErrorKind(
      WithNextStep(absl::FailedPreconditionError("run r1 was interrupted"), NextStep::kRecover,
                   "/srv/shop"),
      ErrorKind::kNeedsRecovery);
  const absl::Status said = SayNextStep(status, ".");
  EXPECT_EQ(said.message(),
            "run r1 was interrupted; run `persist recover --root /srv/shop` to undo it exactly, then "
            "try again");
  EXPECT_EQ(said.code(), status.code());
  EXPECT_EQ(ErrorKindOf(said), ErrorKind::kNeedsRecovery);
}

TEST(SayNextStepTest, WithoutASiteInTheStepTheCommandsRootIsUsedAndDotLeftOut) {
  const absl::Status status = WithNextStep(absl::NotFoundError("no run x"), NextStep::kListRuns);
  EXPECT_EQ(SayNextStep(status, "/srv/shop").message(),
            "no run x; `persist log --root /srv/shop` lists the runs");
  EXPECT_EQ(SayNextStep(status, ".").message(), "no run x; `persist log` lists the runs");
}

TEST(SayNextStepTest, NamingTheRunGivesTheUndoToType) {
  const absl::Status status =
      WithNextStep(absl::FailedPreconditionError("the latest run failed"), NextStep::kNameTheRun,
                   "", "r7");
  EXPECT_EQ(SayNextStep(status, "site").message(),
            "the latest run failed; if that is what you mean, name it: `persist undo r7 --root site`");
}

}  // namespace
}  // namespace persist
