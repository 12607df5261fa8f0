// Copyright persist authors.

#include "planner/repair_planner.h"

#include "gtest/gtest.h"
#include "planner/shared_links.h"

namespace persist {
namespace {

Op Chmod(const std::string& path, uint32_t mode) {
  Op op;
  op.mutable_chmod()->set_path(path);
  op.mutable_chmod()->set_mode(mode);
  return op;
}

TEST(PlanRepairTest, RepairsWhatCarriesARepairAndNamesTheRest) {
  const std::vector<Problem> problems = {
      {"current", "is missing", "persist switch r1", {SymlinkOf("releases/r1", "current")}},
      {"releases/r1/storage", "is a directory, not a link", "move it", {}},
      {"shared/.env", "is readable by every user", "chmod o-rwx", {Chmod("shared/.env", 0640)}},
  };
  RepairPlan plan = PlanRepair(problems);
  ASSERT_EQ(plan.plan.op_size(), 2);
  EXPECT_EQ(plan.plan.op(0).symlink().path(), "current");
  EXPECT_EQ(plan.plan.op(1).chmod().mode(), 0640u);
  ASSERT_EQ(plan.repaired.size(), 2u);
  ASSERT_EQ(plan.unrepairable.size(), 1u);
  EXPECT_EQ(plan.unrepairable[0].path, "releases/r1/storage");
}

TEST(PlanRepairTest, TwoChmodsOfOnePathGiveTheBitsBothAskFor) {
  const std::vector<Problem> problems = {
      {"shared/storage", "is not writable", "chmod u+w", {Chmod("shared/storage", 0555 | 0200)}},
      {"shared/storage",
       "cannot be read by www-data",
       "chmod",
       {Chmod("shared/storage", 0555 | 0050)}},
      {"shared/storage", "is missing", "mkdir", {MkdirOf("shared/x"), MkdirOf("shared/x")}},
  };
  RepairPlan plan = PlanRepair(problems);
  ASSERT_EQ(plan.plan.op_size(), 2);
  EXPECT_EQ(plan.plan.op(0).chmod().mode(), 0755u);
  EXPECT_EQ(plan.plan.op(1).mkdir().path(), "shared/x");
}

TEST(PlanRepairTest, CopiesToTwoPathsAreTwoOps) {
  Op a, b;
  a.mutable_copy()->set_from("releases/1/artisan");
  a.mutable_copy()->set_to("releases/2/artisan");
  b.mutable_copy()->set_from("releases/1/public/app.css");
  b.mutable_copy()->set_to("releases/2/public/app.css");
  RepairPlan plan = PlanRepair({{"releases/2/artisan", "changed", "redeploy", {a}},
                                {"releases/2/public/app.css", "missing", "redeploy", {b}}});
  ASSERT_EQ(plan.plan.op_size(), 2);
  EXPECT_EQ(plan.plan.op(1).copy().to(), "releases/2/public/app.css");
}

TEST(PlanRepairTest, NothingToRepairIsAnEmptyPlan) {
  RepairPlan plan = PlanRepair({});
  EXPECT_EQ(plan.plan.op_size(), 0);
  EXPECT_TRUE(plan.repaired.empty());
  EXPECT_TRUE(plan.unrepairable.empty());
}

}  // namespace
}  // namespace persist
