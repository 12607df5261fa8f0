// Copyright persist authors.

#include "fsops/tree_diff.h"

#include <fcntl.h>

#include <algorithm>

#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {
namespace {

// Lists the names in the directory `entry`, sorted; `fd` gets it open.
absl::StatusOr<std::vector<std::string>> SortedNames(Env* env, const Entry& entry, Fd* fd) {
  absl::StatusOr<int> dir =
      env->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0, entry.path);
  if (!dir.ok()) return dir.status();
  *fd = Fd(env, *dir, entry.path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(fd->get(), entry.path);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  return names;
}

// True when the directory `entry` holds a fifo, socket or device somewhere.
absl::StatusOr<bool> HoldsSpecial(Env* env, const Entry& entry) {
  Fd fd;
  absl::StatusOr<std::vector<std::string>> names = SortedNames(env, entry, &fd);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    const Entry child{fd.get(), name, JoinPath(entry.path, name)};
    absl::StatusOr<PathState> state = ObservePath(env, child.dir_fd, child.name, child.path, false);
    if (!state.ok()) return state.status();
    if (state->type() == OTHER) return true;
    if (state->type() != DIRECTORY) continue;
    absl::StatusOr<bool> below = HoldsSpecial(env, child);
    if (!below.ok() || *below) return below;
  }
  return false;
}

// Reports `entry` (of type `type`), which the reference does not match,
// whole; or, when it is a directory holding a special file, what it holds.
absl::Status Unmatched(Env* env, const Entry& entry, FileType type, const std::string& rel,
                       Difference::Kind kind, std::vector<Difference>* out) {
  if (type == OTHER) return absl::OkStatus();
  if (type == DIRECTORY) {
    absl::StatusOr<bool> special = HoldsSpecial(env, entry);
    if (!special.ok()) return special.status();
    if (*special) {
      Fd fd;
      absl::StatusOr<std::vector<std::string>> names = SortedNames(env, entry, &fd);
      if (!names.ok()) return names.status();
      for (const std::string& name : *names) {
        const Entry child{fd.get(), name, JoinPath(entry.path, name)};
        absl::StatusOr<PathState> state =
            ObservePath(env, child.dir_fd, child.name, child.path, false);
        if (!state.ok()) return state.status();
        absl::Status status =
            Unmatched(env, child, state->type(), JoinPath(rel, name), Difference::kMissing, out);
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    }
  }
  out->push_back(Difference{rel, kind});
  return absl::OkStatus();
}

absl::Status Compare(Env* env, const Entry& tree, const Entry& reference, const std::string& rel,
                     std::vector<Difference>* out) {
  absl::StatusOr<PathState> mine = ObservePath(env, tree.dir_fd, tree.name, tree.path, false);
  if (!mine.ok()) return mine.status();
  absl::StatusOr<PathState> theirs =
      ObservePath(env, reference.dir_fd, reference.name, reference.path, false);
  if (!theirs.ok()) return theirs.status();
  if (mine->type() == ABSENT || mine->type() == OTHER) return absl::OkStatus();
  if (theirs->type() == ABSENT) {
    return Unmatched(env, tree, mine->type(), rel, Difference::kMissing, out);
  }
  bool same = mine->type() == theirs->type();
  if (same && mine->type() == SYMLINK) same = mine->link_target() == theirs->link_target();
  if (same && mine->type() == REGULAR) {
    same = mine->size() == theirs->size();
    if (same) {
      // Equal sizes: only the content can tell.
      mine = ObservePath(env, tree.dir_fd, tree.name, tree.path, true);
      if (!mine.ok()) return mine.status();
      theirs = ObservePath(env, reference.dir_fd, reference.name, reference.path, true);
      if (!theirs.ok()) return theirs.status();
      same = mine->digest() == theirs->digest();
    }
  }
  if (!same) return Unmatched(env, tree, mine->type(), rel, Difference::kDiffers, out);
  if (mine->type() != DIRECTORY) return absl::OkStatus();

  Fd tree_fd;
  absl::StatusOr<std::vector<std::string>> names = SortedNames(env, tree, &tree_fd);
  if (!names.ok()) return names.status();
  absl::StatusOr<int> b =
      env->OpenAt(reference.dir_fd, reference.name, O_RDONLY | O_DIRECTORY, 0, reference.path);
  if (!b.ok()) return b.status();
  Fd reference_fd(env, *b, reference.path);
  for (const std::string& name : *names) {
    absl::Status status = Compare(env, Entry{tree_fd.get(), name, JoinPath(tree.path, name)},
                                  Entry{reference_fd.get(), name, JoinPath(reference.path, name)},
                                  JoinPath(rel, name), out);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Difference>> DataNotIn(Env* env, const Entry& tree,
                                                  const Entry& reference) {
  std::vector<Difference> out;
  absl::Status status = Compare(env, tree, reference, "", &out);
  if (!status.ok()) return status;
  return out;
}

}  // namespace persist
