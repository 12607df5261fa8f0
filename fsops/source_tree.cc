// Copyright persist authors.

#include "fsops/source_tree.h"

#include <errno.h>
#include <fcntl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/tree_size.h"

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

absl::StatusOr<std::string> DirectoryTree::Read(const std::string& rel, size_t max_bytes) const {
  const std::string path = Name(rel);
  absl::StatusOr<int> fd = env_->OpenAt(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW, 0, path);
  if (!fd.ok()) {
    if (StatusErrno(fd.status()) == ENOENT) {
      return absl::NotFoundError(absl::StrCat(PrintablePath(path), " does not exist"));
    }
    return fd.status();
  }
  Fd file(env_, *fd, path);
  std::string content;
  absl::Status status = ReadToEnd(env_, file.get(), -1, path, [&](const char* data, size_t n) {
    if (content.size() + n > max_bytes) {
      return absl::FailedPreconditionError(
          absl::StrCat(PrintablePath(path), " is larger than ", max_bytes, " bytes"));
    }
    content.append(data, n);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return content;
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

absl::StatusOr<SourceTree::Size> DirectoryTree::Measure(const std::string& rel) const {
  TreeSize tree;
  const std::string path = Name(rel);
  absl::Status status = AddTreeSize(env_, AT_FDCWD, path, path, &tree);
  if (!status.ok()) return status;
  Size size;
  size.files = static_cast<int>(tree.files);
  size.bytes = tree.bytes;
  return size;
}

absl::StatusOr<PathState> TreeWithout::Observe(const std::string& rel, bool with_digest) const {
  if (!rel.empty() && IsWithin(rel, hidden_)) {
    PathState absent;
    absent.set_path(rel);
    absent.set_type(ABSENT);
    return absent;
  }
  return base_.Observe(rel, with_digest);
}

absl::StatusOr<std::vector<std::string>> TreeWithout::List(const std::string& rel) const {
  absl::StatusOr<std::vector<std::string>> names = base_.List(rel);
  if (!names.ok()) return names;
  names->erase(std::remove_if(
                   names->begin(), names->end(),
                   [&](const std::string& name) { return IsWithin(JoinPath(rel, name), hidden_); }),
               names->end());
  return names;
}

absl::StatusOr<std::string> TreeWithout::Read(const std::string& rel, size_t max_bytes) const {
  if (!rel.empty() && IsWithin(rel, hidden_)) {
    return absl::NotFoundError(absl::StrCat(PrintablePath(Name(rel)), " does not exist"));
  }
  return base_.Read(rel, max_bytes);
}

namespace {

// ABSENT for what a walk could not reach (beneath a file or a symlink).
absl::StatusOr<PathState> Reachable(absl::StatusOr<PathState> state, const std::string& rel) {
  if (state.ok()) return state;
  const int err = StatusErrno(state.status());
  if (err != ENOTDIR && err != ELOOP) return state;
  PathState absent;
  absent.set_path(rel);
  absent.set_type(ABSENT);
  return absent;
}

}  // namespace

std::optional<std::string> GraftedTree::InGrafted(const std::string& rel) const {
  if (rel.empty() || !IsWithin(rel, dir_)) return std::nullopt;
  return rel.size() == dir_.size() ? std::string() : rel.substr(dir_.size() + 1);
}

absl::StatusOr<PathState> GraftedTree::Observe(const std::string& rel, bool with_digest) const {
  std::optional<std::string> inside = InGrafted(rel);
  if (!inside.has_value()) return base_.Observe(rel, with_digest);
  absl::StatusOr<PathState> state = grafted_.Observe(*inside, with_digest);
  if (state.ok()) state->set_path(rel);
  return state;
}

absl::StatusOr<std::vector<std::string>> GraftedTree::List(const std::string& rel) const {
  std::optional<std::string> inside = InGrafted(rel);
  if (inside.has_value()) return grafted_.List(*inside);
  absl::StatusOr<std::vector<std::string>> names = base_.List(rel);
  if (!names.ok() || !rel.empty()) return names;
  if (std::find(names->begin(), names->end(), dir_) == names->end()) names->push_back(dir_);
  return names;
}

std::string GraftedTree::Name(const std::string& rel) const {
  std::optional<std::string> inside = InGrafted(rel);
  return inside.has_value() ? grafted_.Name(*inside) : base_.Name(rel);
}

absl::StatusOr<std::string> GraftedTree::Read(const std::string& rel, size_t max_bytes) const {
  std::optional<std::string> inside = InGrafted(rel);
  return inside.has_value() ? grafted_.Read(*inside, max_bytes) : base_.Read(rel, max_bytes);
}

absl::StatusOr<PathState> EmptyTree::Observe(const std::string& rel, bool /*with_digest*/) const {
  PathState state;
  state.set_path(rel);
  state.set_type(rel.empty() ? DIRECTORY : ABSENT);
  if (rel.empty()) state.set_mode(0755);
  return state;
}

absl::StatusOr<std::vector<std::string>> EmptyTree::List(const std::string& rel) const {
  if (!rel.empty()) return ErrnoStatus(ENOENT, "list", Name(rel));
  return std::vector<std::string>();
}

absl::StatusOr<std::string> EmptyTree::Read(const std::string& rel, size_t /*max_bytes*/) const {
  return absl::NotFoundError(absl::StrCat(PrintablePath(Name(rel)), " does not exist"));
}

absl::StatusOr<PathState> OverlayTree::InTop(const std::string& rel, bool with_digest) const {
  return Reachable(top_.Observe(rel, with_digest), rel);
}

absl::StatusOr<PathState> OverlayTree::Observe(const std::string& rel, bool with_digest) const {
  // The release's own directory is the base's.
  if (rel.empty()) return base_.Observe(rel, with_digest);
  absl::StatusOr<PathState> top = InTop(rel, with_digest);
  if (!top.ok() || top->type() != ABSENT) return top;
  PathState absent;
  absent.set_path(rel);
  absent.set_type(ABSENT);
  for (std::string above = SplitParent(rel).first; !above.empty();
       above = SplitParent(above).first) {
    absl::StatusOr<PathState> over = InTop(above, false);
    if (!over.ok()) return over;
    // Beneath one of top's files or symlinks: nothing of base remains.
    if (over->type() != ABSENT && over->type() != DIRECTORY) return absent;
  }
  for (const std::string& gone : removed_) {
    if (IsWithin(rel, gone)) return absent;
  }
  return Reachable(base_.Observe(rel, with_digest), rel);
}

absl::StatusOr<std::string> OverlayTree::Read(const std::string& rel, size_t max_bytes) const {
  absl::StatusOr<PathState> top = InTop(rel, false);
  if (!top.ok()) return top.status();
  if (top->type() != ABSENT) return top_.Read(rel, max_bytes);
  absl::StatusOr<PathState> here = Observe(rel, false);
  if (!here.ok()) return here.status();
  if (here->type() == ABSENT) {
    return absl::NotFoundError(absl::StrCat(PrintablePath(Name(rel)), " does not exist"));
  }
  return base_.Read(rel, max_bytes);
}

absl::StatusOr<std::vector<std::string>> OverlayTree::List(const std::string& rel) const {
  absl::StatusOr<PathState> state = Observe(rel, false);
  if (!state.ok()) return state.status();
  if (state->type() != DIRECTORY) {
    return ErrnoStatus(state->type() == ABSENT ? ENOENT : ENOTDIR, "list", Name(rel));
  }
  std::vector<std::string> candidates;
  for (const SourceTree* tree : {&top_, &base_}) {
    // A side without this directory (or with a file or symlink there)
    // adds nothing.
    absl::StatusOr<std::vector<std::string>> names = tree->List(rel);
    if (names.ok()) candidates.insert(candidates.end(), names->begin(), names->end());
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<std::string> names;
  for (const std::string& name : candidates) {
    absl::StatusOr<PathState> child = Observe(JoinPath(rel, name), false);
    if (!child.ok()) return child.status();
    if (child->type() != ABSENT) names.push_back(name);
  }
  return names;
}

}  // namespace persist
