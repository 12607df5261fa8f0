// Copyright persist authors.
//
// path_state: observing a path as a PathState.

#ifndef PERSIST_FSOPS_PATH_STATE_H_
#define PERSIST_FSOPS_PATH_STATE_H_

#include <time.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/describe_op.h"
#include "proto/journal.pb.h"

namespace persist {

// The state of `name` in the directory `dir_fd`, recorded under `path`.
// A missing entry (ENOENT) is an ABSENT state, not an error. With
// `with_digest`, a regular file's content is read and hashed (SHA-256).
absl::StatusOr<PathState> ObservePath(Env* env, int dir_fd, const std::string& name,
                                      const std::string& path, bool with_digest);


// A stat time in nanoseconds since the epoch, as states and manifests keep it.
int64_t TimespecNs(const struct timespec& t);

// Fills type, mode, size and mtime from a stat buffer.
void FillFromStat(const struct stat& st, PathState* state);

}  // namespace persist

#endif  // PERSIST_FSOPS_PATH_STATE_H_
