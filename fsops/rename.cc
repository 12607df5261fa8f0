// Copyright persist authors.

#include "fsops/rename.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fsops/errno_status.h"

namespace persist {

bool IsRenameFlagUnsupported(const absl::Status& status) {
  const int err = StatusErrno(status);
  return err == EINVAL || err == ENOSYS;
}

absl::Status RenameNoReplace(Env* env, const Entry& from, const Entry& to) {
  absl::Status status = env->RenameAt(from.dir_fd, from.name, to.dir_fd, to.name,
                                      RENAME_NOREPLACE, from.path, to.path);
  if (status.ok() || !IsRenameFlagUnsupported(status)) return status;
  struct stat st;
  absl::Status there = env->StatAt(to.dir_fd, to.name, &st, to.path);
  if (there.ok()) return ErrnoStatus(EEXIST, "rename", from.path + " -> " + to.path);
  // Anything but "absent" leaves the answer unknown: renaming then could
  // replace what the stat could not see.
  if (StatusErrno(there) != ENOENT) return there;
  return env->RenameAt(from.dir_fd, from.name, to.dir_fd, to.name, 0, from.path, to.path);
}

}  // namespace persist
