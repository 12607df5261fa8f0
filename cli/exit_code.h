// Copyright persist authors.
//
// exit_code: the command line's exit codes, from the kind of error a command
// ended with (base/error_kind.h). DESIGN.md fixes them: 0 success; 1 failed,
// or problems found; 2 usage or configuration error (nothing touched); 3 an
// interrupted run must be recovered first; 4 the site is locked by another
// run. Only cli/ speaks of exit codes.

#ifndef PERSIST_CLI_EXIT_CODE_H_
#define PERSIST_CLI_EXIT_CODE_H_

#include "absl/status/status.h"

namespace persist {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;

// The exit code for `status`: 0 when OK, else the code of its ErrorKind.
int ExitCodeOf(const absl::Status& status);

}  // namespace persist

#endif  // PERSIST_CLI_EXIT_CODE_H_
