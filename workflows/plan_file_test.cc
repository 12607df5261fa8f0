// Copyright persist authors.

#include "workflows/plan_file.h"

#include <errno.h>

#include <string>
#include <vector>

#include "fsops/errno_status.h"
#include "gtest/gtest.h"
#include "proto/journal.pb.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::TempDir;
using ::persist::testing::WriteFile;

bool Contains(absl::string_view text, absl::string_view part) {
  return text.find(part) != absl::string_view::npos;
}

// The example from DESIGN.md, "Command line".
constexpr char kDesignExample[] = R"(op { mkdir   { path: "shared/public" } }
op { copy    { from: "incoming/v2" to: "releases/r2" } }
op { move    { from: "releases/r2/public/uploads" to: "shared/public/uploads" } }
op { symlink { target: "../../../shared/public/uploads" path: "releases/r2/public/uploads" } }
op { remove  { path: "releases/r1/tmp" } }
op { write   { path: "shared/.deployment-history" content: "..." } }
)";

TEST(ParsePlanTest, ParsesTheDesignExampleIntoTheRightOps) {
  absl::StatusOr<Plan> plan = ParsePlan(kDesignExample, "deploy.plan");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->op_size(), 6);
  std::vector<Op::KindCase> kinds;
  for (const Op& op : plan->op()) kinds.push_back(op.kind_case());
  EXPECT_EQ(kinds, (std::vector<Op::KindCase>{Op::kMkdir, Op::kCopy, Op::kMove, Op::kSymlink,
                                              Op::kRemove, Op::kWrite}));
  EXPECT_EQ(plan->op(0).mkdir().path(), "shared/public");
  EXPECT_EQ(plan->op(1).copy().from(), "incoming/v2");
  EXPECT_EQ(plan->op(1).copy().to(), "releases/r2");
  EXPECT_EQ(plan->op(2).move().from(), "releases/r2/public/uploads");
  EXPECT_EQ(plan->op(2).move().to(), "shared/public/uploads");
  EXPECT_EQ(plan->op(3).symlink().target(), "../../../shared/public/uploads");
  EXPECT_EQ(plan->op(3).symlink().path(), "releases/r2/public/uploads");
  EXPECT_EQ(plan->op(4).remove().path(), "releases/r1/tmp");
  EXPECT_EQ(plan->op(5).write().path(), "shared/.deployment-history");
  EXPECT_EQ(plan->op(5).write().content(), "...");
}

TEST(ParsePlanTest, ParsesExchangeChmodAndOctalModes) {
  absl::StatusOr<Plan> plan = ParsePlan(R"(
    # Comments are allowed.
    op { exchange { a: "x" b: "y" } }
    op { chmod { path: "releases/r2/artisan" mode: 0700 } }
    op { mkdir { path: "d" mode: 0750 } }
    op { write { path: ".env" content: "A=1\nB=2\n" mode: 0600 } }
  )",
                                        "p");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->op_size(), 4);
  EXPECT_EQ(plan->op(0).exchange().a(), "x");
  EXPECT_EQ(plan->op(1).chmod().mode(), 0700u);
  EXPECT_EQ(plan->op(2).mkdir().mode(), 0750u);
  EXPECT_EQ(plan->op(3).write().content(), "A=1\nB=2\n");
  EXPECT_EQ(plan->op(3).write().mode(), 0600u);
}

TEST(ParsePlanTest, ASyntaxErrorNamesTheFileLineAndColumn) {
  const std::string text =
      "op { mkdir { path: \"a\" } }\n"
      "op { remove { path: \"b\" } }\n"
      "op { remove { path: \"c\" ]\n";
  absl::StatusOr<Plan> plan = ParsePlan(text, "deploy.plan");
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << plan.status();
  // The stray ']' is on line 3, column 25 (1-based).
  EXPECT_TRUE(Contains(plan.status().message(), "deploy.plan:3:25:")) << plan.status();
}

TEST(ParsePlanTest, AnUnknownFieldIsNamedWithItsLine) {
  absl::StatusOr<Plan> plan =
      ParsePlan("op { mkdir { path: \"a\" } }\n\nop { rmrf { path: \"/\" } }\n", "x.plan");
  ASSERT_FALSE(plan.ok());
  // The parser points just past the name it does not know.
  EXPECT_TRUE(Contains(plan.status().message(), "x.plan:3:11:")) << plan.status();
  EXPECT_TRUE(Contains(plan.status().message(), "rmrf")) << plan.status();
}

TEST(ParsePlanTest, AnErrorOnTheFirstLineIsLineOne) {
  absl::StatusOr<Plan> plan = ParsePlan("{", "p");
  ASSERT_FALSE(plan.ok());
  // The first character of the file is line 1, column 1.
  EXPECT_TRUE(Contains(plan.status().message(), "p:1:1:")) << plan.status();
}

TEST(ParsePlanTest, AnEmptyPlanIsRefused) {
  for (const char* text : {"", "\n\n", "# only a comment\n"}) {
    absl::StatusOr<Plan> plan = ParsePlan(text, "empty.plan");
    ASSERT_FALSE(plan.ok()) << "accepted: \"" << text << "\"";
    EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << plan.status();
    EXPECT_TRUE(Contains(plan.status().message(), "empty.plan")) << plan.status();
    EXPECT_TRUE(Contains(plan.status().message(), "no op")) << plan.status();
  }
}

TEST(ReadPlanFileTest, ReadsAndParsesAFile) {
  TempDir dir;
  WriteFile(dir.Sub("deploy.plan"), kDesignExample);
  absl::StatusOr<Plan> plan = ReadPlanFile(dir.Sub("deploy.plan"));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->op_size(), 6);
}

TEST(ReadPlanFileTest, NamesTheFileInSyntaxErrors) {
  TempDir dir;
  WriteFile(dir.Sub("bad.plan"), "op { mkdir { path: \"a\" }\n");
  absl::StatusOr<Plan> plan = ReadPlanFile(dir.Sub("bad.plan"));
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(Contains(plan.status().message(), dir.Sub("bad.plan") + ":")) << plan.status();
}

TEST(ReadPlanFileTest, AMissingFileIsAnErrorNamingIt) {
  TempDir dir;
  absl::StatusOr<Plan> plan = ReadPlanFile(dir.Sub("missing.plan"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(StatusErrno(plan.status()), ENOENT) << plan.status();
  EXPECT_TRUE(Contains(plan.status().message(), dir.Sub("missing.plan"))) << plan.status();
}

}  // namespace
}  // namespace persist
