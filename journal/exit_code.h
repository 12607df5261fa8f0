// Copyright persist authors.
//
// exit_code: the command line's exit codes, carried inside a Status.
//
// DESIGN.md fixes them: 0 success; 1 failed, or problems found; 2 usage or
// configuration error (nothing touched); 3 an interrupted run must be
// recovered first; 4 the site is locked by another run. Code deep in the
// engine knows which case it hit; the cli only maps.

#ifndef PERSIST_JOURNAL_EXIT_CODE_H_
#define PERSIST_JOURNAL_EXIT_CODE_H_

#include "absl/status/status.h"

namespace persist {

enum ExitCode {
  kExitOk = 0,
  kExitFailed = 1,
  kExitUsage = 2,
  kExitNeedsRecovery = 3,
  kExitLocked = 4,
};

// Returns `status` tagged with `code`.
absl::Status WithExitCode(absl::Status status, ExitCode code);

// The exit code for `status`: its tag; else 0 for OK, 2 for InvalidArgument,
// and 1 for everything else.
ExitCode ExitCodeOf(const absl::Status& status);

}  // namespace persist

#endif  // PERSIST_JOURNAL_EXIT_CODE_H_
