// Copyright persist authors.

#include "fsops/testing/fault_env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "fsops/errno_status.h"

namespace persist {

absl::Status FaultEnv::Alive(const std::string& path) const {
  if (crashed_.load()) return ErrnoStatus(ECANCELED, "crashed before", path);
  return absl::OkStatus();
}

absl::Status FaultEnv::Mutation(Kind kind, const char* what, const std::string& path) {
  absl::Status alive = Alive(path);
  if (!alive.ok()) return alive;
  int n, n_of_kind;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = ++count_;
    n_of_kind = ++kind_counts_[static_cast<int>(kind)];
  }
  // Outside the lock: a race test's hook may change the tree through this Env.
  if (hook_) hook_(n, kind);
  std::lock_guard<std::mutex> lock(mu_);
  if (crash_at_ > 0 && n >= crash_at_) {
    crashed_ = true;
    return Alive(path);
  }
  if (fail_at_ > 0 && !injected_) {
    const int nth = fail_kind_ == Kind::kAny ? n : n_of_kind;
    if ((fail_kind_ == Kind::kAny || fail_kind_ == kind) && nth == fail_at_) {
      injected_ = true;
      injected_kind_ = kind;
      injected_path_ = path;
      return ErrnoStatus(fail_errno_, what, path);
    }
  }
  return absl::OkStatus();
}

#define PERSIST_FAULT(kind, what, path)                  \
  do {                                                   \
    absl::Status _fault = Mutation(kind, what, path);    \
    if (!_fault.ok()) return _fault;                     \
  } while (0)

#define PERSIST_ALIVE(path)                              \
  do {                                                   \
    absl::Status _alive = Alive(path);                   \
    if (!_alive.ok()) return _alive;                     \
  } while (0)

absl::StatusOr<int> FaultEnv::OpenRoot(const std::string& path) {
  PERSIST_ALIVE(path);
  return target()->OpenRoot(path);
}

absl::StatusOr<int> FaultEnv::OpenBeneath(int root_fd, const std::string& rel, int flags) {
  PERSIST_ALIVE(rel);
  return target()->OpenBeneath(root_fd, rel, flags);
}

absl::StatusOr<int> FaultEnv::OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                                     const std::string& path) {
  if (flags & O_CREAT) {
    PERSIST_FAULT(Kind::kCreate, "create", path);
  } else {
    PERSIST_ALIVE(path);
  }
  return target()->OpenAt(dir_fd, name, flags, mode, path);
}

absl::Status FaultEnv::StatAt(int dir_fd, const std::string& name, struct stat* st,
                              const std::string& path) {
  PERSIST_ALIVE(path);
  return target()->StatAt(dir_fd, name, st, path);
}

absl::StatusOr<std::string> FaultEnv::ReadLinkAt(int dir_fd, const std::string& name,
                                                 const std::string& path) {
  PERSIST_ALIVE(path);
  return target()->ReadLinkAt(dir_fd, name, path);
}

absl::StatusOr<std::vector<DirEntry>> FaultEnv::ReadDir(int dir_fd, const std::string& path) {
  PERSIST_ALIVE(path);
  return target()->ReadDir(dir_fd, path);
}

absl::StatusOr<size_t> FaultEnv::Read(int fd, char* buf, size_t n, const std::string& path) {
  PERSIST_ALIVE(path);
  return target()->Read(fd, buf, n, path);
}

absl::Status FaultEnv::StatFs(int fd, struct statfs* st, const std::string& path) {
  PERSIST_ALIVE(path);
  absl::Status status = target()->StatFs(fd, st, path);
  if (status.ok() && fake_fs_type_ != 0) st->f_type = fake_fs_type_;
  return status;
}

absl::Status FaultEnv::Flock(int fd, int operation, const std::string& path) {
  PERSIST_ALIVE(path);
  return target()->Flock(fd, operation, path);
}

absl::Status FaultEnv::MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                               const std::string& path) {
  PERSIST_FAULT(Kind::kMkdir, "mkdir", path);
  return target()->MkdirAt(dir_fd, name, mode, path);
}

absl::Status FaultEnv::SymlinkAt(const std::string& target, int dir_fd, const std::string& name,
                                 const std::string& path) {
  PERSIST_FAULT(Kind::kSymlink, "symlink", path);
  return EnvWrapper::SymlinkAt(target, dir_fd, name, path);
}

absl::Status FaultEnv::RenameAt(int from_dir, const std::string& from_name, int to_dir,
                                const std::string& to_name, unsigned flags,
                                const std::string& from_path, const std::string& to_path) {
  PERSIST_FAULT(Kind::kRename, "rename", from_path + " -> " + to_path);
  if (flags != 0 && (flags & refused_rename_flags_) == flags) {
    return ErrnoStatus(EINVAL, "rename", from_path + " -> " + to_path);
  }
  return target()->RenameAt(from_dir, from_name, to_dir, to_name, flags, from_path, to_path);
}

absl::Status FaultEnv::UnlinkAt(int dir_fd, const std::string& name, int flags,
                                const std::string& path) {
  PERSIST_FAULT(Kind::kUnlink, "unlink", path);
  return target()->UnlinkAt(dir_fd, name, flags, path);
}

absl::Status FaultEnv::Write(int fd, const char* buf, size_t n, const std::string& path) {
  PERSIST_FAULT(Kind::kWrite, "write", path);
  return target()->Write(fd, buf, n, path);
}

absl::StatusOr<size_t> FaultEnv::CopyFileRange(int in_fd, int out_fd, size_t n,
                                               const std::string& path) {
  PERSIST_FAULT(Kind::kCopyRange, "copy_file_range", path);
  return target()->CopyFileRange(in_fd, out_fd, n, path);
}

absl::Status FaultEnv::LinkAt(int from_dir, const std::string& from_name, int to_dir,
                              const std::string& to_name, const std::string& path) {
  PERSIST_FAULT(Kind::kLink, "link", path);
  return target()->LinkAt(from_dir, from_name, to_dir, to_name, path);
}

absl::Status FaultEnv::CloneFile(int in_fd, int out_fd, const std::string& path) {
  PERSIST_FAULT(Kind::kClone, "reflink", path);
  return target()->CloneFile(in_fd, out_fd, path);
}

absl::Status FaultEnv::ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                               const std::string& path) {
  PERSIST_FAULT(Kind::kChown, "chown", path);
  return target()->ChownAt(dir_fd, name, uid, gid, path);
}

absl::Status FaultEnv::Ftruncate(int fd, off_t length, const std::string& path) {
  PERSIST_FAULT(Kind::kTruncate, "truncate", path);
  return target()->Ftruncate(fd, length, path);
}

absl::Status FaultEnv::Fallocate(int fd, int mode, off_t offset, off_t length,
                                 const std::string& path) {
  PERSIST_FAULT(Kind::kFallocate, "fallocate", path);
  return target()->Fallocate(fd, mode, offset, length, path);
}

absl::Status FaultEnv::SetNoCow(int fd, const std::string& path) {
  PERSIST_FAULT(Kind::kSetFlags, "set flags", path);
  return target()->SetNoCow(fd, path);
}

absl::Status FaultEnv::Fchmod(int fd, mode_t mode, const std::string& path) {
  PERSIST_FAULT(Kind::kChmod, "chmod", path);
  return target()->Fchmod(fd, mode, path);
}

absl::Status FaultEnv::FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                                const std::string& path) {
  PERSIST_FAULT(Kind::kChmod, "chmod", path);
  return target()->FchmodAt(dir_fd, name, mode, path);
}

absl::Status FaultEnv::UtimensAt(int dir_fd, const std::string& name,
                                 const struct timespec times[2], const std::string& path) {
  PERSIST_FAULT(Kind::kUtimens, "set times of", path);
  return target()->UtimensAt(dir_fd, name, times, path);
}

absl::Status FaultEnv::Fsync(int fd, const std::string& path) {
  PERSIST_FAULT(Kind::kFsync, "fsync", path);
  return target()->Fsync(fd, path);
}

absl::Status FaultEnv::Syncfs(int fd, const std::string& path) {
  PERSIST_FAULT(Kind::kSyncfs, "syncfs", path);
  return target()->Syncfs(fd, path);
}

absl::Status FaultEnv::BeforeJournalWrite(const std::string& what) {
  PERSIST_FAULT(Kind::kJournal, "journal write", what);
  return target()->BeforeJournalWrite(what);
}

}  // namespace persist
