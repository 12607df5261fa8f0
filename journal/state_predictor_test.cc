// Copyright persist authors.

#include "journal/state_predictor.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fsops/digest.h"
#include "fsops/env.h"
#include "fsops/ops.h"
#include "fsops/path_state.h"
#include "fsops/root.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "proto/journal.pb.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

using ::persist::testing::BuildSampleSite;
using ::persist::testing::DiffSnapshots;
using ::persist::testing::SamplePlanText;
using ::persist::testing::TakeSnapshot;
using ::persist::testing::TempDir;

Plan ParsePlanText(const std::string& text) {
  Plan plan;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &plan)) << text;
  return plan;
}

// What a prediction must get right: everything exactness compares except
// mtimes (a new object's time is only known once it exists).
std::string Describe(const PathState& state) {
  return absl::StrCat(FileTypeName(state.type()), " mode=", absl::StrFormat("%04o", state.mode()),
                      " size=", state.size(), " digest=", HexDigest(state.digest()),
                      " link=", state.link_target());
}

// Predicts, for each op of `plan` on the untouched sample site, the state of
// the op's paths and of `probes[i]` just before op i runs (and, for index
// plan.op_size(), after the last op). Then applies the ops one by one for
// real and compares each prediction with what Root::Observe says.
void ExpectPredictionsMatchReality(const std::string& plan_text,
                                   const std::vector<std::vector<std::string>>& probes = {}) {
  TempDir dir;
  BuildSampleSite(dir.path());
  absl::StatusOr<std::unique_ptr<Root>> opened = Root::Open(Env::Default(), dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Root& root = **opened;
  const Plan plan = ParsePlanText(plan_text);

  auto paths_at = [&](int i) {
    std::vector<std::string> paths;
    if (i < plan.op_size()) paths = OpPaths(plan.op(i));
    if (i < static_cast<int>(probes.size())) {
      paths.insert(paths.end(), probes[i].begin(), probes[i].end());
    }
    return paths;
  };

  // Phase 1: predict everything with the tree untouched.
  const ::persist::testing::Snapshot untouched = TakeSnapshot(dir.path());
  StatePredictor predictor(&root);
  std::vector<std::vector<PathState>> predicted(plan.op_size() + 1);
  for (int i = 0; i <= plan.op_size(); ++i) {
    for (const std::string& path : paths_at(i)) {
      absl::StatusOr<PathState> state = predictor.Predict(path);
      ASSERT_TRUE(state.ok()) << path << ": " << state.status();
      EXPECT_EQ(state->path(), path);
      predicted[i].push_back(*state);
    }
    if (i < plan.op_size()) {
      ASSERT_TRUE(predictor.Apply(plan.op(i)).ok());
    }
  }
  ASSERT_EQ(DiffSnapshots(untouched, TakeSnapshot(dir.path())), "") << "prediction touched the tree";

  // Phase 2: apply for real, comparing before each op and at the end.
  for (int i = 0; i <= plan.op_size(); ++i) {
    const std::vector<std::string> paths = paths_at(i);
    std::vector<PathState> before;
    for (size_t k = 0; k < paths.size(); ++k) {
      absl::StatusOr<PathState> actual = root.Observe(paths[k], true);
      ASSERT_TRUE(actual.ok()) << paths[k] << ": " << actual.status();
      EXPECT_EQ(Describe(predicted[i][k]), Describe(*actual))
          << "path " << paths[k] << " before op " << i + 1
          << (i < plan.op_size() ? " (" + DescribeOp(plan.op(i)) + ")" : " (after the last op)");
      if (k < OpPaths(i < plan.op_size() ? plan.op(i) : Op()).size()) before.push_back(*actual);
    }
    if (i == plan.op_size()) break;
    OpContext ctx;
    ctx.root = &root;
    ctx.run_id = "predict";
    ctx.index = static_cast<uint32_t>(i);
    ctx.before = before;
    ctx.record_swap = [&ctx](uint64_t dev, uint64_t inode) {
      ctx.swap_recorded = true;
      ctx.staged_dev = dev;
      ctx.staged_inode = inode;
      return absl::OkStatus();
    };
    absl::Status applied = ApplyOp(plan.op(i), ctx);
    ASSERT_TRUE(applied.ok()) << DescribeOp(plan.op(i)) << ": " << applied;
  }
}

TEST(StatePredictorTest, PredictsUntouchedPathsAsTheyAre) {
  ExpectPredictionsMatchReality(R"(op { remove { path: "releases/r1/tmp" } })",
                                {{"shared/.env", "current", "releases/r1", "nothing/here",
                                  "incoming/v2/config"}});
}

TEST(StatePredictorTest, PredictsAMoveOutOfAFreshCopy) {
  ExpectPredictionsMatchReality(
      R"(
        op { copy { from: "incoming/v2" to: "releases/r2" } }
        op { move { from: "releases/r2/public/uploads" to: "shared/vendor-uploads" } }
        op { move { from: "releases/r2/vendor" to: "releases/r2/vendor-old" } }
      )",
      {{},
       {"releases/r2/public/uploads/vendor-demo.jpg", "releases/r2/public/css/app.css",
        "releases/r2/public/absolute-link", "releases/r2/config"},
       {"shared/vendor-uploads/vendor-demo.jpg", "releases/r2/public/uploads",
        "incoming/v2/public/uploads/vendor-demo.jpg"},
       {"releases/r2/vendor-old/autoload.php", "releases/r2/vendor",
        "releases/r2/vendor-old/laravel/framework/src/Application.php",
        "shared/vendor-uploads/vendor-demo.jpg"}});
}

TEST(StatePredictorTest, PredictsASymlinkWrittenOverAFreshFile) {
  ExpectPredictionsMatchReality(
      R"(
        op { write { path: "shared/new.txt" content: "fresh content\n" mode: 0640 } }
        op { symlink { target: "../releases/r1/index.php" path: "shared/new.txt" } }
        op { write { path: "shared/new.txt" content: "again" } }
      )",
      {{}, {"shared/new.txt"}, {"shared/new.txt"}, {"shared/new.txt"}});
}

TEST(StatePredictorTest, PredictsADirectoryMadeWhereOneWasRemoved) {
  ExpectPredictionsMatchReality(
      R"(
        op { remove { path: "releases/r1/tmp" } }
        op { mkdir { path: "releases/r1/tmp" mode: 0711 } }
        op { mkdir { path: "releases/r1/tmp" } }
        op { write { path: "releases/r1/tmp/cache.bin" content: "new" } }
      )",
      {{"releases/r1/tmp/cache.bin"},
       {"releases/r1/tmp/cache.bin"},
       {"releases/r1/tmp/cache.bin"},
       {},
       {"releases/r1/tmp", "releases/r1/tmp/cache.bin"}});
}

TEST(StatePredictorTest, PredictsAnExchangeOfTwoTrees) {
  ExpectPredictionsMatchReality(
      R"(
        op { exchange { a: "releases/r1" b: "incoming/v2" } }
        op { exchange { a: "releases/r1/index.php" b: "shared/.env" } }
      )",
      {{},
       {"releases/r1/artisan", "releases/r1/vendor/autoload.php", "incoming/v2/tmp/cache.bin",
        "incoming/v2/vendor", "releases/r1/config"},
       {"releases/r1/index.php", "shared/.env", "incoming/v2/index.php"}});
}

TEST(StatePredictorTest, PredictsAChmodOfAPathInsideACopy) {
  ExpectPredictionsMatchReality(
      R"(
        op { copy { from: "incoming/v2" to: "releases/r2" } }
        op { chmod { path: "releases/r2/artisan" mode: 0700 } }
        op { chmod { path: "releases/r2/config" mode: 0750 } }
        op { copy { from: "releases/r2" to: "releases/r3" } }
      )",
      {{},
       {"incoming/v2/artisan"},
       {"releases/r2/config/app.php", "incoming/v2/config"},
       {"releases/r2/artisan", "incoming/v2/artisan"},
       {"releases/r3/artisan", "releases/r3/config", "releases/r3/config/app.php",
        "releases/r2/artisan", "incoming/v2/artisan", "incoming/v2/config"}});
}

TEST(StatePredictorTest, PredictsACopyOfATreeChangedEarlierInThePlan) {
  ExpectPredictionsMatchReality(
      R"(
        op { chmod { path: "incoming/v2/artisan" mode: 0700 } }
        op { write { path: "incoming/v2/new.php" content: "<?php // new\n" } }
        op { remove { path: "incoming/v2/dangling" } }
        op { copy { from: "incoming/v2" to: "releases/r2" } }
        op { write { path: "incoming/v2/index.php" content: "changed after the copy" } }
      )",
      {{},
       {},
       {},
       {},
       {"releases/r2/artisan", "releases/r2/new.php", "releases/r2/dangling", "releases/r2/index.php"},
       {"releases/r2/index.php", "incoming/v2/index.php", "releases/r2/artisan"}});
}

TEST(StatePredictorTest, PredictsAMoveOfAMovedTree) {
  ExpectPredictionsMatchReality(
      R"(
        op { move { from: "releases/r1" to: "releases/r1-old" } }
        op { mkdir { path: "releases/r1" } }
        op { move { from: "releases/r1-old/public" to: "releases/r1/public" } }
        op { copy { from: "releases/r1-old" to: "releases/r1-copy" } }
      )",
      {{},
       {"releases/r1", "releases/r1-old/index.php"},
       {"releases/r1/public/uploads/demo.jpg"},
       {"releases/r1/public/uploads/demo.jpg", "releases/r1-old/public"},
       {"releases/r1-copy/index.php", "releases/r1-copy/public", "releases/r1-copy/tmp/cache.bin"}});
}

TEST(StatePredictorTest, PredictsEveryOpOfTheSamplePlan) {
  ExpectPredictionsMatchReality(SamplePlanText());
}

TEST(StatePredictorTest, MarksPredictedStatesOfNewObjectsWithInodeZero) {
  TempDir dir;
  BuildSampleSite(dir.path());
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir.path());
  ASSERT_TRUE(root.ok());
  StatePredictor predictor(root->get());
  absl::StatusOr<PathState> observed = predictor.Predict("shared/.env");
  ASSERT_TRUE(observed.ok());
  EXPECT_NE(observed->inode(), 0u);
  Plan plan = ParsePlanText(R"(
    op { copy { from: "incoming/v2" to: "releases/r2" } }
    op { write { path: "shared/new" content: "x" } }
  )");
  for (const Op& op : plan.op()) ASSERT_TRUE(predictor.Apply(op).ok());
  for (const char* path : {"releases/r2", "releases/r2/index.php", "shared/new"}) {
    absl::StatusOr<PathState> state = predictor.Predict(path);
    ASSERT_TRUE(state.ok());
    EXPECT_NE(state->type(), ABSENT) << path;
    EXPECT_EQ(state->inode(), 0u) << path;
  }
}

}  // namespace
}  // namespace persist
