// Copyright persist authors.

#include "fsops/root.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {

absl::StatusOr<std::unique_ptr<Root>> Root::Open(Env* env, const std::string& dir) {
  absl::StatusOr<int> fd = env->OpenRoot(dir);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<Root>(new Root(env, Fd(env, *fd, dir), dir));
}

absl::StatusOr<Fd> Root::OpenDir(const std::string& rel) const {
  absl::StatusOr<int> fd = env_->OpenBeneath(fd_.get(), rel, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) {
    const int err = StatusErrno(fd.status());
    if (err == ELOOP || err == ENOTDIR || err == EXDEV) {
      return Annotate(fd.status(),
                      absl::StrCat("cannot reach ", PrintablePath(rel), " in ", dir_,
                                   ": a part of it is a symlink or not a directory, and persist "
                                   "never follows symlinks inside a site; make it a real directory "
                                   "or use another path"));
    }
    return fd.status();
  }
  return Fd(env_, *fd, rel);
}

absl::StatusOr<Fd> Root::OpenParent(const std::string& rel, std::string* leaf) const {
  auto [parent, name] = SplitParent(rel);
  *leaf = name;
  return OpenDir(parent);
}

absl::StatusOr<PathState> Root::Observe(const std::string& rel, bool with_digest) const {
  std::string leaf;
  absl::StatusOr<Fd> parent = OpenParent(rel, &leaf);
  if (!parent.ok()) {
    if (StatusErrno(parent.status()) == ENOENT) {
      PathState absent;
      absent.set_path(rel);
      absent.set_type(ABSENT);
      return absent;
    }
    return parent.status();
  }
  return ObservePath(env_, parent->get(), leaf, rel, with_digest);
}

absl::StatusOr<struct stat> Root::Lstat(const std::string& rel) const {
  struct stat st;
  if (rel.empty()) {
    absl::Status status = env_->StatAt(fd_.get(), "", &st, dir_);
    if (!status.ok()) return status;
    return st;
  }
  std::string leaf;
  absl::StatusOr<Fd> parent = OpenParent(rel, &leaf);
  if (!parent.ok()) return parent.status();
  absl::Status status = env_->StatAt(parent->get(), leaf, &st, rel);
  if (!status.ok()) return status;
  return st;
}

absl::Status Root::Access(const std::string& rel, int mode) const {
  if (rel.empty()) return env_->AccessAt(fd_.get(), ".", mode, dir_);
  std::string leaf;
  absl::StatusOr<Fd> parent = OpenParent(rel, &leaf);
  if (!parent.ok()) return parent.status();
  return env_->AccessAt(parent->get(), leaf, mode, rel);
}

absl::Status Root::MakeDirs(const std::string& rel, mode_t mode) const {
  absl::StatusOr<Fd> existing = OpenDir(rel);
  auto [parent, name] = SplitParent(rel);
  if (existing.ok()) {
    // Mended where it can be; where not, it is as usable as it was.
    if (geteuid() == 0 && !rel.empty()) {
      absl::StatusOr<Fd> dir = OpenDir(parent);
      if (dir.ok()) RestoreParentOwner(env_, dir->get(), name, rel).IgnoreError();
    }
    return absl::OkStatus();
  }
  if (StatusErrno(existing.status()) != ENOENT) return existing.status();
  if (!parent.empty()) {
    absl::Status made = MakeDirs(parent, mode);
    if (!made.ok()) return made;
  }
  absl::StatusOr<Fd> dir = OpenDir(parent);
  if (!dir.ok()) return dir.status();
  absl::Status status = env_->MkdirAt(dir->get(), name, mode, rel);
  if (!status.ok() && StatusErrno(status) != EEXIST) return status;
  if (status.ok()) {
    status = TakeParentOwner(env_, dir->get(), name, rel);
    if (!status.ok()) return status;
  }
  return env_->Fsync(dir->get(), parent);
}

absl::Status TakeParentOwner(Env* env, int dir_fd, const std::string& name,
                             const std::string& path) {
  if (geteuid() != 0) return absl::OkStatus();
  struct stat parent;
  absl::Status status = env->StatAt(dir_fd, "", &parent, SplitParent(path).first);
  if (!status.ok()) return status;
  if (parent.st_uid == 0 && parent.st_gid == 0) return absl::OkStatus();
  return env->ChownAt(dir_fd, name, parent.st_uid, parent.st_gid, path);
}

absl::Status RestoreParentOwner(Env* env, int dir_fd, const std::string& name,
                                const std::string& path) {
  if (geteuid() != 0) return absl::OkStatus();
  struct stat parent, st;
  absl::Status status = env->StatAt(dir_fd, "", &parent, SplitParent(path).first);
  if (!status.ok()) return status;
  if (parent.st_uid == 0 && parent.st_gid == 0) return absl::OkStatus();
  status = env->StatAt(dir_fd, name, &st, path);
  if (!status.ok()) return status;
  if (st.st_uid == parent.st_uid && st.st_gid == parent.st_gid) return absl::OkStatus();
  return env->ChownAt(dir_fd, name, parent.st_uid, parent.st_gid, path);
}

absl::StatusOr<std::vector<std::string>> Root::List(const std::string& rel) const {
  absl::StatusOr<Fd> dir = OpenDir(rel);
  if (!dir.ok()) {
    if (StatusErrno(dir.status()) == ENOENT) return std::vector<std::string>();
    return dir.status();
  }
  absl::StatusOr<std::vector<std::string>> names = env_->ListDir(dir->get(), rel);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  return names;
}

absl::StatusOr<std::string> Root::ReadFile(const std::string& rel, size_t max_bytes) const {
  std::string leaf;
  absl::StatusOr<Fd> parent = OpenParent(rel, &leaf);
  if (!parent.ok()) return parent.status();
  absl::StatusOr<int> fd = env_->OpenAt(parent->get(), leaf, O_RDONLY, 0, rel);
  if (!fd.ok()) return fd.status();
  Fd file(env_, *fd, rel);
  std::string content;
  char buf[65536];
  while (true) {
    absl::StatusOr<size_t> got = env_->Read(file.get(), buf, sizeof(buf), rel);
    if (!got.ok()) return got.status();
    if (*got == 0) return content;
    content.append(buf, *got);
    if (content.size() > max_bytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          PrintablePath(rel), " is larger than ", max_bytes, " bytes; persist reads it whole"));
    }
  }
}


}  // namespace persist
