// Copyright persist authors.
//
// inspect: the commands that only read a site: its runs (log, show), what
// changed between two releases (diff, by their manifests), and how the
// blueprint classifies an app's paths (classify). No lock is taken: LMDB
// readers never block the writer.

#ifndef PERSIST_WORKFLOWS_INSPECT_H_
#define PERSIST_WORKFLOWS_INSPECT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "planner/audit.h"
#include "planner/classifier.h"
#include "proto/journal.pb.h"

namespace persist {

struct RunList {
  std::vector<Run> runs;  // oldest first
  bool live = false;      // another process holds the site lock now
  std::string current;    // the release `current` points at, "" when none
};

// kFailed (FailedPrecondition) when the site has no journal yet.
absl::StatusOr<RunList> ListRuns(const std::string& root_dir);

struct RunDetail {
  Run run;
  std::vector<OpRecord> ops;
};

// kUsage when the journal has no run `run_id`.
absl::StatusOr<RunDetail> ShowRun(const std::string& root_dir, const std::string& run_id);

// What changed from release `from` to release `to`; kUsage when either has
// no manifest.
absl::StatusOr<std::vector<Change>> DiffReleases(const std::string& root_dir, const std::string& from,
                                                 const std::string& to);

// How the blueprint, with the profile of the site at `root_dir` ("" for the
// blueprint's defaults), classifies every path of the app at `app_dir`.
absl::StatusOr<std::vector<Classification>> ClassifyApp(const std::string& app_dir,
                                                        const std::string& root_dir);

// The paths of the app at `app_dir` that live in shared/ once deployed
// (with the profile of the site at `root_dir`, "" for the blueprint's):
// the top-most persistent ones, and the exact persistent paths (.env,
// storage/) whether the app ships them or not, in path order.
absl::StatusOr<std::vector<Classification>> PersistentPathsOf(const std::string& app_dir,
                                                              const std::string& root_dir);

// The format number of the journals this persist writes (journal/format.h).
int JournalFormatVersion();

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_INSPECT_H_
