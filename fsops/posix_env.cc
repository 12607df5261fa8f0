// Copyright persist authors.
//
// PosixEnv: Env on Linux system calls.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_split.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"

namespace persist {
namespace {

template <typename F>
auto RetryOnEintr(F f) {
  decltype(f()) rc;
  do {
    rc = f();
  } while (rc < 0 && errno == EINTR);
  return rc;
}

class PosixEnv : public Env {
 public:
  absl::StatusOr<int> OpenRoot(const std::string& path) override {
    int fd = RetryOnEintr([&] { return open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return ErrnoStatus(errno, "open site root", path);
    return fd;
  }

  absl::StatusOr<int> OpenBeneath(int root_fd, const std::string& rel, int flags) override {
    if (flags & O_CREAT) return absl::InvalidArgumentError("OpenBeneath does not create files");
    if (rel.empty()) {
      int fd = RetryOnEintr([&] { return openat(root_fd, ".", flags | O_CLOEXEC); });
      if (fd < 0) return ErrnoStatus(errno, "open", ".");
      return fd;
    }
    if (have_openat2_) {
      struct open_how how = {};
      how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      long fd = RetryOnEintr(
          [&] { return syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof(how)); });
      if (fd >= 0) return static_cast<int>(fd);
      if (errno != ENOSYS) return ErrnoStatus(errno, "open", rel);
      have_openat2_ = false;
    }
    return WalkBeneath(root_fd, rel, flags);
  }

  absl::StatusOr<int> OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                             const std::string& path) override {
    int fd = RetryOnEintr(
        [&] { return openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode); });
    if (fd < 0) return ErrnoStatus(errno, (flags & O_CREAT) ? "create" : "open", path);
    return fd;
  }

  void Close(int fd) override {
    if (fd >= 0) close(fd);
  }

  absl::Status StatAt(int dir_fd, const std::string& name, struct stat* st,
                      const std::string& path) override {
    int rc = name.empty() ? fstat(dir_fd, st)
                          : fstatat(dir_fd, name.c_str(), st, AT_SYMLINK_NOFOLLOW);
    if (rc < 0) return ErrnoStatus(errno, "stat", path);
    return absl::OkStatus();
  }

  absl::Status AccessAt(int dir_fd, const std::string& name, int mode,
                        const std::string& path) override {
    if (faccessat(dir_fd, name.c_str(), mode, AT_EACCESS) < 0) {
      return ErrnoStatus(errno, "access", path);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadLinkAt(int dir_fd, const std::string& name,
                                         const std::string& path) override {
    std::string buf(256, '\0');
    while (true) {
      ssize_t n = readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
      if (n < 0) return ErrnoStatus(errno, "readlink", path);
      if (static_cast<size_t>(n) < buf.size()) {
        buf.resize(n);
        return buf;
      }
      buf.resize(buf.size() * 2);
    }
  }

  absl::StatusOr<std::vector<DirEntry>> ReadDir(int dir_fd, const std::string& path) override {
    // getdents64 on the descriptor itself: no second open, no DIR stream.
    if (lseek(dir_fd, 0, SEEK_SET) < 0) return ErrnoStatus(errno, "read directory", path);
    alignas(struct dirent64) char buf[32 * 1024];
    std::vector<DirEntry> entries;
    while (true) {
      const ssize_t n = RetryOnEintr([&] { return getdents64(dir_fd, buf, sizeof(buf)); });
      if (n < 0) return ErrnoStatus(errno, "read directory", path);
      if (n == 0) return entries;
      for (ssize_t at = 0; at < n;) {
        const auto* entry = reinterpret_cast<const struct dirent64*>(buf + at);
        at += entry->d_reclen;
        const char* name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        entries.push_back(DirEntry{name, entry->d_type});
      }
    }
  }

  absl::StatusOr<size_t> Read(int fd, char* buf, size_t n, const std::string& path) override {
    ssize_t got = RetryOnEintr([&] { return read(fd, buf, n); });
    if (got < 0) return ErrnoStatus(errno, "read", path);
    return static_cast<size_t>(got);
  }

  absl::Status StatFs(int fd, struct statfs* st, const std::string& path) override {
    if (fstatfs(fd, st) < 0) return ErrnoStatus(errno, "statfs", path);
    return absl::OkStatus();
  }

  void WriteBack(int fd) override { syncfs(fd); }

  absl::Status Flock(int fd, int operation, const std::string& path) override {
    if (RetryOnEintr([&] { return flock(fd, operation); }) < 0) {
      return ErrnoStatus(errno, "lock", path);
    }
    return absl::OkStatus();
  }

  absl::Status LinkAt(int from_dir, const std::string& from_name, int to_dir,
                      const std::string& to_name, const std::string& path) override {
    if (linkat(from_dir, from_name.c_str(), to_dir, to_name.c_str(), 0) < 0) {
      return ErrnoStatus(errno, "link", path);
    }
    return absl::OkStatus();
  }

  absl::Status CloneFile(int in_fd, int out_fd, const std::string& path) override {
    if (ioctl(out_fd, FICLONE, in_fd) < 0) return ErrnoStatus(errno, "reflink", path);
    return absl::OkStatus();
  }

  absl::Status ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                       const std::string& path) override {
    int rc = name.empty() ? fchown(dir_fd, uid, gid)
                          : fchownat(dir_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
    if (rc < 0) return ErrnoStatus(errno, "chown", path);
    return absl::OkStatus();
  }

  absl::Status Ftruncate(int fd, off_t length, const std::string& path) override {
    if (ftruncate(fd, length) < 0) return ErrnoStatus(errno, "truncate", path);
    return absl::OkStatus();
  }

  absl::Status Fallocate(int fd, int mode, off_t offset, off_t length,
                         const std::string& path) override {
    if (RetryOnEintr([&] { return fallocate(fd, mode, offset, length); }) < 0) {
      return ErrnoStatus(errno, "fallocate", path);
    }
    return absl::OkStatus();
  }

  absl::Status SetNoCow(int fd, const std::string& path) override {
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) return ErrnoStatus(errno, "get the flags of", path);
    if (flags & FS_NOCOW_FL) return absl::OkStatus();
    flags |= FS_NOCOW_FL;
    if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) return ErrnoStatus(errno, "set no-copy-on-write on", path);
    return absl::OkStatus();
  }

  absl::Status MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                       const std::string& path) override {
    if (mkdirat(dir_fd, name.c_str(), mode) < 0) return ErrnoStatus(errno, "mkdir", path);
    return absl::OkStatus();
  }

  absl::Status SymlinkAt(const std::string& target, int dir_fd, const std::string& name,
                         const std::string& path) override {
    if (symlinkat(target.c_str(), dir_fd, name.c_str()) < 0) {
      return ErrnoStatus(errno, "symlink", path);
    }
    return absl::OkStatus();
  }

  absl::Status RenameAt(int from_dir, const std::string& from_name, int to_dir,
                        const std::string& to_name, unsigned flags, const std::string& from_path,
                        const std::string& to_path) override {
    int rc = renameat2(from_dir, from_name.c_str(), to_dir, to_name.c_str(), flags);
    if (rc < 0) {
      const char* what = (flags & RENAME_EXCHANGE) ? "exchange" : "rename";
      return ErrnoStatus(errno, what, from_path + " -> " + to_path);
    }
    return absl::OkStatus();
  }

  absl::Status UnlinkAt(int dir_fd, const std::string& name, int flags,
                        const std::string& path) override {
    if (unlinkat(dir_fd, name.c_str(), flags) < 0) {
      return ErrnoStatus(errno, (flags & AT_REMOVEDIR) ? "rmdir" : "unlink", path);
    }
    return absl::OkStatus();
  }

  absl::Status Write(int fd, const char* buf, size_t n, const std::string& path) override {
    while (n > 0) {
      ssize_t done = RetryOnEintr([&] { return write(fd, buf, n); });
      if (done < 0) return ErrnoStatus(errno, "write", path);
      buf += done;
      n -= static_cast<size_t>(done);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> CopyFileRange(int in_fd, int out_fd, size_t n,
                                       const std::string& path) override {
    ssize_t done =
        RetryOnEintr([&] { return copy_file_range(in_fd, nullptr, out_fd, nullptr, n, 0); });
    if (done < 0) return ErrnoStatus(errno, "copy_file_range", path);
    return static_cast<size_t>(done);
  }

  absl::Status Fchmod(int fd, mode_t mode, const std::string& path) override {
    if (fchmod(fd, mode) < 0) return ErrnoStatus(errno, "chmod", path);
    return absl::OkStatus();
  }

  absl::Status FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                        const std::string& path) override {
    if (fchmodat(dir_fd, name.c_str(), mode, 0) < 0) return ErrnoStatus(errno, "chmod", path);
    return absl::OkStatus();
  }

  absl::Status UtimensAt(int dir_fd, const std::string& name, const struct timespec times[2],
                         const std::string& path) override {
    int rc = name.empty() ? futimens(dir_fd, times)
                          : utimensat(dir_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    if (rc < 0) return ErrnoStatus(errno, "set times of", path);
    return absl::OkStatus();
  }

  absl::Status Fsync(int fd, const std::string& path) override {
    if (fsync(fd) < 0) return ErrnoStatus(errno, "fsync", path);
    return absl::OkStatus();
  }

  absl::Status Syncfs(int fd, const std::string& path) override {
    if (syncfs(fd) < 0) return ErrnoStatus(errno, "syncfs", path);
    return absl::OkStatus();
  }

  absl::Status BeforeJournalWrite(const std::string& what) override { return absl::OkStatus(); }

 private:
  // The fallback for kernels without openat2: one component at a time, each
  // opened with O_NOFOLLOW so that a symlink anywhere fails with ELOOP.
  absl::StatusOr<int> WalkBeneath(int root_fd, const std::string& rel, int flags) {
    std::vector<std::string> parts = absl::StrSplit(rel, '/');
    int dir = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return ErrnoStatus(errno, "open", ".");
    for (size_t i = 0; i < parts.size(); ++i) {
      const bool last = i + 1 == parts.size();
      if (parts[i].empty() || parts[i] == "." || parts[i] == "..") {
        close(dir);
        return ErrnoStatus(EXDEV, "open", rel);  // what openat2 says for an escape
      }
      int next_flags = last ? (flags | O_NOFOLLOW | O_CLOEXEC)
                            : (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int next = RetryOnEintr([&] { return openat(dir, parts[i].c_str(), next_flags); });
      int err = errno;
      close(dir);
      if (next < 0) return ErrnoStatus(err, "open", rel);
      dir = next;
    }
    return dir;
  }

  bool have_openat2_ = true;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> Env::ListDir(int dir_fd, const std::string& path) {
  absl::StatusOr<std::vector<DirEntry>> entries = ReadDir(dir_fd, path);
  if (!entries.ok()) return entries.status();
  std::vector<std::string> names;
  names.reserve(entries->size());
  for (DirEntry& entry : *entries) names.push_back(std::move(entry.name));
  return names;
}

Env* Env::Default() {
  static Env* env = new PosixEnv;
  return env;
}

}  // namespace persist
