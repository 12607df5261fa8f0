// Copyright persist authors.
//
// error_path: the file or directory an error is about, carried inside the
// Status as a payload, for output that machines read (persist --json).

#ifndef PERSIST_BASE_ERROR_PATH_H_
#define PERSIST_BASE_ERROR_PATH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace persist {

// Returns `status` carrying `path`. An OK status is returned unchanged.
absl::Status WithPath(absl::Status status, absl::string_view path);

// The path `status` carries, or "" when it carries none.
std::string StatusPath(const absl::Status& status);

}  // namespace persist

#endif  // PERSIST_BASE_ERROR_PATH_H_
