// Copyright persist authors.
//
// errno_status: the one place where errno values become absl::Status.
//
// Every failing syscall is reported as a Status whose message reads
// "<what> <path>: <strerror> (<ENAME>)" and whose payload keeps the errno, so
// callers can branch on EXDEV or EINVAL without parsing text.

#ifndef PERSIST_FSOPS_ERRNO_STATUS_H_
#define PERSIST_FSOPS_ERRNO_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "base/error_path.h"
#include "absl/strings/string_view.h"

namespace persist {

// Returns a Status for `err` (an errno value) raised while doing `what` to
// `path`, e.g. ErrnoStatus(ENOSPC, "write", "shared/.env").
absl::Status ErrnoStatus(int err, absl::string_view what, absl::string_view path);

// The errno kept in `status`, or 0 when it carries none.
int StatusErrno(const absl::Status& status);

// The symbolic name of `err`, e.g. "ENOSPC"; "errno N" when unknown.
std::string ErrnoName(int err);

// Returns `status` with `context` put in front of its message, keeping its
// code and payloads. An OK status is returned unchanged.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace persist

#endif  // PERSIST_FSOPS_ERRNO_STATUS_H_
