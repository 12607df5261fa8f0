// Copyright persist authors.

#include "fsops/source_tree.h"

#include <fcntl.h>

#include <algorithm>

#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {

absl::StatusOr<PathState> DirectoryTree::Observe(const std::string& rel, bool with_digest) const {
  const std::string path = Name(rel);
  return ObservePath(env_, AT_FDCWD, path, path, with_digest);
}

absl::StatusOr<std::vector<std::string>> DirectoryTree::List(const std::string& rel) const {
  const std::string path = Name(rel);
  // Not through a symlink in the tree: a link in a release is no directory
  // of it (the tree's own path may be one).
  const int flags = O_RDONLY | O_DIRECTORY | (rel.empty() ? 0 : O_NOFOLLOW);
  absl::StatusOr<int> fd = env_->OpenAt(AT_FDCWD, path, flags, 0, path);
  if (!fd.ok()) return fd.status();
  Fd dir(env_, *fd, path);
  absl::StatusOr<std::vector<std::string>> names = env_->ListDir(dir.get(), path);
  if (names.ok()) std::sort(names->begin(), names->end());
  return names;
}

std::string DirectoryTree::Name(const std::string& rel) const {
  return rel.empty() ? dir_ : dir_ + "/" + rel;
}

absl::StatusOr<PathState> RootTree::Observe(const std::string& rel, bool with_digest) const {
  return root_.Observe(JoinPath(dir_, rel), with_digest);
}

absl::StatusOr<std::vector<std::string>> RootTree::List(const std::string& rel) const {
  absl::StatusOr<Fd> fd = root_.OpenDir(JoinPath(dir_, rel));
  if (!fd.ok()) return fd.status();
  absl::StatusOr<std::vector<std::string>> names = root_.env()->ListDir(fd->get(), fd->path());
  if (names.ok()) std::sort(names->begin(), names->end());
  return names;
}

std::string RootTree::Name(const std::string& rel) const {
  return JoinPath(root_.dir(), JoinPath(dir_, rel));
}

absl::StatusOr<PathState> SubTree::Observe(const std::string& rel, bool with_digest) const {
  absl::StatusOr<PathState> state = base_.Observe(JoinPath(dir_, rel), with_digest);
  if (state.ok()) state->set_path(rel);
  return state;
}

absl::StatusOr<std::vector<std::string>> SubTree::List(const std::string& rel) const {
  return base_.List(JoinPath(dir_, rel));
}

std::string SubTree::Name(const std::string& rel) const { return base_.Name(JoinPath(dir_, rel)); }

absl::StatusOr<SourceTree::Size> SourceTree::Measure(const std::string& rel) const {
  Size size;
  absl::StatusOr<PathState> state = Observe(rel, false);
  if (!state.ok()) return state.status();
  if (state->type() == ABSENT) return size;
  if (state->type() != DIRECTORY) {
    size.files = 1;
    size.bytes = state->size();
    return size;
  }
  absl::StatusOr<std::vector<std::string>> names = List(rel);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    absl::StatusOr<Size> child = Measure(JoinPath(rel, name));
    if (!child.ok()) return child.status();
    size.files += child->files;
    size.bytes += child->bytes;
  }
  return size;
}

namespace {

// Adds what `name` in the directory open at `dir_fd` holds to `size`.
absl::Status MeasureAt(Env* env, int dir_fd, const std::string& name, const std::string& path,
                       SourceTree::Size* size) {
  absl::StatusOr<PathState> state = ObservePath(env, dir_fd, name, path, false);
  if (!state.ok()) return state.status();
  if (state->type() == ABSENT) return absl::OkStatus();
  if (state->type() != DIRECTORY) {
    ++size->files;
    size->bytes += state->size();
    return absl::OkStatus();
  }
  absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, path);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), path);
  if (!names.ok()) return names.status();
  for (const std::string& child : *names) {
    absl::Status status = MeasureAt(env, dir.get(), child, path + "/" + child, size);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SourceTree::Size> DirectoryTree::Measure(const std::string& rel) const {
  Size size;
  const std::string path = Name(rel);
  absl::Status status = MeasureAt(env_, AT_FDCWD, path, path, &size);
  if (!status.ok()) return status;
  return size;
}

}  // namespace persist
