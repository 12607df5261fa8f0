// Copyright persist authors.

#include "tests/campaign.h"

#include <stdlib.h>

#include "workflows/plan_file.h"
#include "journal/recovery.h"
#include "journal/transaction.h"
#include "spdlog/spdlog.h"

namespace persist {
namespace testing {
namespace {

// The engine's progress lines would drown the test logs.
const bool kQuietLog = [] {
  spdlog::set_level(spdlog::level::warn);
  return true;
}();

}  // namespace

absl::StatusOr<Run> SampleSite::Execute(Env* env, const Plan& plan, bool group_intents) const {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(env, root(), "test");
  if (!site.ok()) return site.status();
  RunOptions options;
  options.group_intents = group_intents;
  return ExecutePlan(**site, plan, options);
}

absl::StatusOr<std::optional<Run>> SampleSite::RecoverWith(Env* env) const {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(env, root(), "recover");
  if (!site.ok()) return site.status();
  return Recover(**site);
}

absl::StatusOr<Run> SampleSite::UndoWith(Env* env) const {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForWriting(env, root(), "undo");
  if (!site.ok()) return site.status();
  return UndoLatest(**site, "");
}

absl::StatusOr<std::vector<Run>> SampleSite::Runs() const {
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), root());
  if (!site.ok()) return site.status();
  return (*site)->store().ListRuns();
}

Plan SamplePlan() {
  absl::StatusOr<Plan> plan = ParsePlan(SamplePlanText(), "sample plan");
  if (!plan.ok()) {
    fprintf(stderr, "%s\n", std::string(plan.status().message()).c_str());
    abort();
  }
  return *plan;
}

bool BestEffortCall(const FaultEnv& env) {
  if (!env.injected()) return false;
  const FaultEnv::Kind kind = env.injected_kind();
  const std::string path = env.injected_path();
  if (kind == FaultEnv::Kind::kFallocate || kind == FaultEnv::Kind::kSetFlags) return true;
  if (path == ".persist/reserve") return true;
  return path == ".persist/lock" &&
         (kind == FaultEnv::Kind::kWrite || kind == FaultEnv::Kind::kTruncate);
}

int CampaignStride() {
  const char* set = std::getenv("PERSIST_CAMPAIGN_STRIDE");
  const int stride = set != nullptr ? std::atoi(set) : 1;
  return stride >= 1 ? stride : 1;
}

}  // namespace testing
}  // namespace persist
