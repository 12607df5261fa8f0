// Copyright persist authors.
//
// rename: renaming an entry without ever replacing what is at the target.
//
// renameat2(RENAME_NOREPLACE) does it in one step. Some kernels and
// filesystems lack the flag (the call fails with EINVAL or ENOSYS); there the
// target is checked with a stat and a plain rename follows. That fallback is
// two steps: it is only as safe as the caller's guarantee that nothing else
// creates the target in between (persist's site lock, or a name only this
// process makes).

#ifndef PERSIST_FSOPS_RENAME_H_
#define PERSIST_FSOPS_RENAME_H_

#include "absl/status/status.h"
#include "fsops/entry.h"
#include "fsops/env.h"

namespace persist {

// True when `status` is renameat2's answer to a flag the kernel or the
// filesystem does not support (EINVAL or ENOSYS): the caller falls back to
// another way of doing the same.
bool IsRenameFlagUnsupported(const absl::Status& status);

// Renames `from` to `to` through `env`, never over an existing entry: EEXIST
// (naming both paths) when something is at `to`, a symlink included. Where
// RENAME_NOREPLACE is unsupported, `to` is stat'ed first: an existing entry
// gives EEXIST, a missing one (ENOENT) a plain rename, and any other stat
// error is returned as it is (nothing renamed). Other rename errors (EXDEV,
// ENOENT for a missing source, ...) are returned as they are. Nothing is
// synced: the caller fsyncs the directories when the rename must be durable.
absl::Status RenameNoReplace(Env* env, const Entry& from, const Entry& to);

}  // namespace persist

#endif  // PERSIST_FSOPS_RENAME_H_
