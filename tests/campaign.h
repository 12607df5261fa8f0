// Copyright persist authors.
//
// campaign: running a plan on a fresh sample site through a FaultEnv, for the
// crash, error and power-cut campaigns.

#ifndef PERSIST_TESTS_CAMPAIGN_H_
#define PERSIST_TESTS_CAMPAIGN_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/testing/fault_env.h"
#include "journal/site.h"
#include "proto/journal.pb.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace testing {

// One sample site in its own temporary directory.
class SampleSite {
 public:
  SampleSite() { BuildSampleSite(dir_.path()); }
  const std::string& root() const { return dir_.path(); }
  Snapshot Take() const { return TakeSnapshot(dir_.path()); }

  // Runs `plan` with `env`; the Site (lock, journal handle) is closed before
  // returning, as when the process ends.
  absl::StatusOr<Run> Execute(Env* env, const Plan& plan, bool group_intents = true) const;

  // Runs recovery with `env` on a fresh journal handle. nullopt: nothing to
  // recover.
  absl::StatusOr<std::optional<Run>> RecoverWith(Env* env) const;

  // Undoes the latest committed run with `env`.
  absl::StatusOr<Run> UndoWith(Env* env) const;

  // Lists the runs through a fresh read-only handle: the journal opens.
  absl::StatusOr<std::vector<Run>> Runs() const;

 private:
  TempDir dir_;
};

// The sample plan, parsed.
Plan SamplePlan();

// True when the error `env` injected hit a call persist makes only on a
// best-effort basis, whose failure is absorbed by design: the blocks kept for
// a full disk (.persist/reserve, the journal's spare blocks and no-CoW flag,
// journal/store.h and site.h) and the lock's holder line, which a full disk
// may refuse.
bool BestEffortCall(const FaultEnv& env);

// Every how manyth crash or fault point a campaign visits: 1 (every one)
// unless PERSIST_CAMPAIGN_STRIDE sets more. The sanitizer build sets it
// (.bazelrc, config asan): its code runs several times slower, and each
// point it visits still crashes, recovers and compares the whole tree.
int CampaignStride();

}  // namespace testing
}  // namespace persist

#endif  // PERSIST_TESTS_CAMPAIGN_H_
