// Copyright persist authors.

#include "fsops/tree_size.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "fsops/fd.h"
#include "fsops/path.h"

namespace persist {
namespace {

// Adds what the directory open at `dir` holds to *size, depth first. Every
// subdirectory is opened beneath its parent's fd with O_NOFOLLOW, so a
// directory swapped for a symlink meanwhile is refused, never followed.
absl::Status AddDirectory(Env* env, const Fd& dir, TreeSize* size) {
  absl::StatusOr<std::vector<DirEntry>> entries = env->ReadDir(dir.get(), dir.path());
  if (!entries.ok()) return entries.status();
  for (const DirEntry& entry : *entries) {
    const std::string path = JoinPath(dir.path(), entry.name);
    struct stat st;
    absl::Status stat = env->StatAt(dir.get(), entry.name, &st, path);
    if (!stat.ok()) return stat;
    if (!S_ISDIR(st.st_mode)) {
      ++size->files;
      if (S_ISREG(st.st_mode)) size->bytes += static_cast<uint64_t>(st.st_size);
      continue;
    }
    absl::StatusOr<int> child = env->OpenAt(dir.get(), entry.name, O_RDONLY | O_DIRECTORY, 0, path);
    if (!child.ok()) return child.status();
    absl::Status added = AddDirectory(env, Fd(env, *child, path), size);
    if (!added.ok()) return added;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TreeSize> MeasureTree(const Root& root, const std::string& rel) {
  TreeSize size;
  absl::StatusOr<struct stat> st = root.Lstat(rel);
  if (!st.ok()) return st.status();
  if (!S_ISDIR(st->st_mode)) {
    size.files = 1;
    if (S_ISREG(st->st_mode)) size.bytes = static_cast<uint64_t>(st->st_size);
    return size;
  }
  absl::StatusOr<Fd> dir = root.OpenDir(rel);
  if (!dir.ok()) return dir.status();
  absl::Status added = AddDirectory(root.env(), *dir, &size);
  if (!added.ok()) return added;
  return size;
}

}  // namespace persist
