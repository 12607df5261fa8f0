// Copyright persist authors.
//
// trash_emptier: emptying a site's .persist/trash/ once a command is done
// with the site.
//
// A command that takes the site lock may set trees aside in the trash (undo
// of a release that was staged but never visible, the purge of a stash that
// left the undo window; see fsops/trash.h), and a trash an earlier emptier
// was killed in may still hold some. Once the command has released the lock,
// main() empties each such site's trash the way --empty-trash (or
// PERSIST_EMPTY_TRASH) says:
//   background  (the default) a detached `persist empty-trash --root ROOT
//               --quiet`, in a session of its own with /dev/null for stdin,
//               stdout and stderr, not waited for: the way `git gc --auto`
//               detaches. The command returns at once; the files go after.
//   wait        emptied in the foreground, before persist exits.
//   later       left for `persist empty-trash`, or for the next command.
// Emptying needs no site lock (fsops/trash.h), so the next command never
// waits for it.

#ifndef PERSIST_WORKFLOWS_TRASH_EMPTIER_H_
#define PERSIST_WORKFLOWS_TRASH_EMPTIER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "fsops/trash.h"

namespace persist {

enum class TrashMode { kBackground, kWait, kLater };

// Records that the command opened the site at `root_dir` for writing, and
// so may have put something in its trash. Call it once the site lock is held.
void NoteSiteLocked(const std::string& root_dir);

// Called by main() once the command has returned and holds no site lock:
// for every site noted whose trash holds something, empties it as `mode`
// says. It never fails the command: a problem is logged with the way out,
// `persist empty-trash`.
void EmptyTrashAfterCommand(TrashMode mode);

// Moves this process to the idle I/O class (served only when no one else
// wants the disk) and nice 10: for an emptier, whose removals may take
// minutes on a `discard` mount. Best effort: where the kernel refuses, the
// priority stays as it was, and that is logged at debug level.
void RunAtIdlePriority();

// One line for people: what EmptyTrash removed, or that there was nothing.
std::string DescribeTrashReport(const TrashReport& report);

// `persist empty-trash`: empties the trash of the site at `root_dir` now,
// waiting for an emptier already at work, at idle priority when `idle`
// (RunAtIdlePriority). No site lock: runs only ever add new names to the
// trash, in one rename each, and never look inside it. Returns the
// DescribeTrashReport line; kUsage when the site cannot be opened.
absl::StatusOr<std::string> EmptySiteTrash(const std::string& root_dir, bool idle);

// For recover and undo: when the trash of `root` (opened from `root_dir`)
// now holds names that `before` (ListTrash before the command changed
// anything) did not, the line that says the staged trees were set aside
// there and how they will go, or "" when nothing was set aside.
std::string SetAsideNote(TrashMode mode, const Root& root, const std::string& root_dir,
                         const std::vector<std::string>& before);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_TRASH_EMPTIER_H_
