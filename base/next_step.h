// Copyright persist authors.
//
// next_step: what the operator does after an error, carried inside the
// Status as a payload. Code below cli/ describes the fault and the path and
// says which step follows; only the command line puts the step into words
// (cli/next_step.h), since only it knows its commands and flags.

#ifndef PERSIST_BASE_NEXT_STEP_H_
#define PERSIST_BASE_NEXT_STEP_H_

#include <string>

#include "absl/status/status.h"

namespace persist {

enum class NextStep {
  kNone,
  // A run was left interrupted: recover it (undo it exactly), then try again.
  kRecover,
  // A recovery or an undo stopped on the error: once it is fixed, recover
  // again; it resumes where it stopped.
  kRecoverAgain,
  // Emptying the trash failed: once fixed, empty it again.
  kEmptyTrash,
  // No such run: the run log lists them.
  kListRuns,
  // An undo without a run id that would undo an older run than meant: name
  // the run (NextStepOf(...).run_id).
  kNameTheRun,
  // Damage, or something only a look at the whole site can tell: verify it.
  kVerify,
  // The directory is not the site: give the site's directory.
  kGiveTheSite,
  // Not an archive a backup wrote: give one.
  kGiveABackup,
};

struct NextStepOf {
  explicit NextStepOf(const absl::Status& status);
  NextStep step = NextStep::kNone;
  std::string site_dir;  // the site it is about, where known
  std::string run_id;    // kNameTheRun: the run to name
};

// Returns `status` carrying `step`, about the site at `site_dir` ("" when
// the code that fails does not know it) and, for kNameTheRun, `run_id`. An
// OK status is returned unchanged; the last step set wins.
absl::Status WithNextStep(absl::Status status, NextStep step, const std::string& site_dir = "",
                          const std::string& run_id = "");

}  // namespace persist

#endif  // PERSIST_BASE_NEXT_STEP_H_
