// Copyright persist authors.

#include "cli/exit_code.h"

#include "base/error_kind.h"

namespace persist {

int ExitCodeOf(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  switch (ErrorKindOf(status)) {
    case ErrorKind::kFailed:
      return 1;
    case ErrorKind::kUsage:
      return kExitUsage;
    case ErrorKind::kNeedsRecovery:
      return 3;
    case ErrorKind::kLocked:
      return 4;
  }
  return 1;
}

}  // namespace persist
