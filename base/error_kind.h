// Copyright persist authors.
//
// error_kind: what kind of failure a Status reports, carried inside it as a
// payload, so that code deep in the engine, which knows which case it hit,
// can say so, and the command line alone decides what that means to a shell
// (cli/exit_code.h maps kinds to exit codes).

#ifndef PERSIST_BASE_ERROR_KIND_H_
#define PERSIST_BASE_ERROR_KIND_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace persist {

enum class ErrorKind {
  // The work was tried and did not succeed, or problems were found.
  kFailed,
  // Bad input or configuration: refused with nothing touched.
  kUsage,
  // A run was interrupted and must be recovered before anything else.
  kNeedsRecovery,
  // Another run holds the site.
  kLocked,
};

// Returns `status` tagged with `kind`; an OK status is returned as it is.
absl::Status WithErrorKind(absl::Status status, ErrorKind kind);

// Bad input or configuration, refused with nothing touched: InvalidArgument
// with `message`, tagged kUsage.
absl::Status UsageError(absl::string_view message);

// The kind of a failed `status`: its tag; else kUsage for InvalidArgument,
// and kFailed for everything else. Meaningless for an OK status.
ErrorKind ErrorKindOf(const absl::Status& status);

}  // namespace persist

#endif  // PERSIST_BASE_ERROR_KIND_H_
