// Copyright persist authors.

#include "fsops/tree_size.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fsops/errno_status.h"
#include "fsops/fd.h"

namespace persist {

absl::Status AddTreeSize(Env* env, int dir_fd, const std::string& name, const std::string& path,
                         TreeSize* size) {
  struct stat st;
  absl::Status stat = env->StatAt(dir_fd, name, &st, path);
  if (!stat.ok()) return StatusErrno(stat) == ENOENT ? absl::OkStatus() : stat;
  if (!S_ISDIR(st.st_mode)) {
    ++size->files;
    if (S_ISREG(st.st_mode)) size->bytes += static_cast<uint64_t>(st.st_size);
    return absl::OkStatus();
  }
  absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, path);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), path);
  if (!names.ok()) return names.status();
  for (const std::string& child : *names) {
    absl::Status added = AddTreeSize(env, dir.get(), child, path + "/" + child, size);
    if (!added.ok()) return added;
  }
  return absl::OkStatus();
}

absl::StatusOr<TreeSize> MeasureTree(const Root& root, const std::string& rel) {
  absl::StatusOr<struct stat> st = root.Lstat(rel);
  if (!st.ok()) return st.status();
  std::string leaf;
  absl::StatusOr<Fd> parent = root.OpenParent(rel, &leaf);
  if (!parent.ok()) return parent.status();
  TreeSize size;
  absl::Status added = AddTreeSize(root.env(), parent->get(), leaf, rel, &size);
  if (!added.ok()) return added;
  return size;
}

}  // namespace persist
