// Copyright persist authors.

#include "fsops/testing/power_cut_env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"

namespace persist {
namespace {

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) { return remove(path); }

void RemoveAllPlain(const std::string& path) { nftw(path.c_str(), RemoveEntry, 32, FTW_DEPTH | FTW_PHYS); }

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool ParentExists(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || Exists(path.substr(0, slash));
}

// nftw has no user pointer; tests are single-threaded.
thread_local dev_t find_dev;
thread_local ino_t find_ino;
thread_local std::string* find_result;

int MatchEntry(const char* path, const struct stat* st, int, struct FTW*) {
  if (st->st_dev == find_dev && st->st_ino == find_ino) {
    *find_result = path;
    return 1;
  }
  return 0;
}

}  // namespace

PowerCutEnv::PowerCutEnv(Env* base, std::string root_dir)
    : EnvWrapper(base), root_dir_(std::move(root_dir)) {}

PowerCutEnv::Id PowerCutEnv::IdOfFd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return {};
  return {st.st_dev, st.st_ino};
}

PowerCutEnv::Id PowerCutEnv::IdOf(int dir_fd, const std::string& name) const {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  return {st.st_dev, st.st_ino};
}

std::string PowerCutEnv::Find(const Id& id) const {
  std::string result;
  find_dev = id.dev;
  find_ino = id.ino;
  find_result = &result;
  nftw(root_dir_.c_str(), MatchEntry, 32, FTW_PHYS);
  return result;
}

absl::StatusOr<int> PowerCutEnv::OpenAt(int dir_fd, const std::string& name, int flags, mode_t mode,
                                        const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool creates = (flags & O_CREAT) && IdOf(dir_fd, name).ino == 0;
  absl::StatusOr<int> fd = target()->OpenAt(dir_fd, name, flags, mode, path);
  if (fd.ok() && creates) {
    RecordCreate(dir_fd, path);
  }
  return fd;
}

absl::Status PowerCutEnv::MkdirAt(int dir_fd, const std::string& name, mode_t mode,
                                  const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = target()->MkdirAt(dir_fd, name, mode, path);
  if (status.ok()) {
    RecordCreate(dir_fd, path);
  }
  return status;
}

absl::Status PowerCutEnv::SymlinkAt(const std::string& target, int dir_fd, const std::string& name,
                                    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = EnvWrapper::SymlinkAt(target, dir_fd, name, path);
  if (status.ok()) {
    RecordCreate(dir_fd, path);
  }
  return status;
}

absl::Status PowerCutEnv::RenameAt(int from_dir, const std::string& from_name, int to_dir,
                                   const std::string& to_name, unsigned flags,
                                   const std::string& from_path, const std::string& to_path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status =
      target()->RenameAt(from_dir, from_name, to_dir, to_name, flags, from_path, to_path);
  if (status.ok()) {
    Change change((flags & RENAME_EXCHANGE) ? Change::kExchange : Change::kRename);
    change.dir1 = IdOfFd(from_dir);
    change.dir2 = IdOfFd(to_dir);
    change.path1 = from_path;
    change.path2 = to_path;
    changes_.push_back(change);
  }
  return status;
}

absl::Status PowerCutEnv::UnlinkAt(int dir_fd, const std::string& name, int flags,
                                   const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, "unlink", path);
  }
  const bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir != ((flags & AT_REMOVEDIR) != 0)) {
    return ErrnoStatus(is_dir ? EISDIR : ENOTDIR, "unlink", path);
  }
  if (is_dir) {
    int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "rmdir", path);
    DIR* dir = fdopendir(fd);
    bool empty = true;
    while (struct dirent* entry = readdir(dir)) {
      std::string n = entry->d_name;
      if (n != "." && n != "..") empty = false;
    }
    closedir(dir);
    if (!empty) return ErrnoStatus(ENOTEMPTY, "rmdir", path);
  }
  // Kept in the graveyard, so that a power cut can bring it back.
  const std::string graveyard = Abs(GraveyardName());
  mkdir(graveyard.c_str(), 0700);
  std::string buried = absl::StrCat(graveyard, "/", ++buried_);
  if (renameat(dir_fd, name.c_str(), AT_FDCWD, buried.c_str()) != 0) {
    return ErrnoStatus(errno, "unlink", path);
  }
  Change change(Change::kUnlink);
  change.dir1 = IdOfFd(dir_fd);
  change.path1 = path;
  change.buried = buried;
  changes_.push_back(change);
  return absl::OkStatus();
}

absl::Status PowerCutEnv::Write(int fd, const char* buf, size_t n, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = target()->Write(fd, buf, n, path);
  Change change(Change::kData);
  change.object = IdOfFd(fd);
  changes_.push_back(change);
  return status;
}

absl::StatusOr<size_t> PowerCutEnv::CopyFileRange(int in_fd, int out_fd, size_t n,
                                                  const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<size_t> done = target()->CopyFileRange(in_fd, out_fd, n, path);
  Change change(Change::kData);
  change.object = IdOfFd(out_fd);
  changes_.push_back(change);
  return done;
}

absl::Status PowerCutEnv::LinkAt(int from_dir, const std::string& from_name, int to_dir,
                                 const std::string& to_name, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = target()->LinkAt(from_dir, from_name, to_dir, to_name, path);
  if (status.ok()) {
    RecordCreate(to_dir, path);
  }
  return status;
}

absl::Status PowerCutEnv::CloneFile(int in_fd, int out_fd, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = target()->CloneFile(in_fd, out_fd, path);
  Change change(Change::kData);
  change.object = IdOfFd(out_fd);
  changes_.push_back(change);
  return status;
}

absl::Status PowerCutEnv::ChownAt(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                                  const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (name.empty()) {
    RecordMeta(-1, "", dir_fd);
  } else {
    RecordMeta(dir_fd, name, -1);
  }
  return target()->ChownAt(dir_fd, name, uid, gid, path);
}

absl::Status PowerCutEnv::Ftruncate(int fd, off_t length, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = target()->Ftruncate(fd, length, path);
  Change change(Change::kData);
  change.object = IdOfFd(fd);
  changes_.push_back(change);
  return status;
}

void PowerCutEnv::RecordCreate(int dir_fd, const std::string& path) {
  Change change(Change::kCreate);
  change.dir1 = IdOfFd(dir_fd);
  change.path1 = path;
  changes_.push_back(change);
}

void PowerCutEnv::RecordMeta(int dir_fd, const std::string& name, int fd) {
  Change change(Change::kMeta);
  if (fd >= 0) {
    fstat(fd, &change.old_stat);
  } else {
    fstatat(dir_fd, name.c_str(), &change.old_stat, AT_SYMLINK_NOFOLLOW);
    change.dir1 = IdOfFd(dir_fd);
  }
  change.object = {change.old_stat.st_dev, change.old_stat.st_ino};
  changes_.push_back(change);
}

absl::Status PowerCutEnv::Fchmod(int fd, mode_t mode, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  RecordMeta(-1, "", fd);
  return target()->Fchmod(fd, mode, path);
}

absl::Status PowerCutEnv::FchmodAt(int dir_fd, const std::string& name, mode_t mode,
                                   const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  RecordMeta(dir_fd, name, -1);
  return target()->FchmodAt(dir_fd, name, mode, path);
}

absl::Status PowerCutEnv::UtimensAt(int dir_fd, const std::string& name,
                                    const struct timespec times[2], const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (name.empty()) {
    RecordMeta(-1, "", dir_fd);
  } else {
    RecordMeta(dir_fd, name, -1);
  }
  return target()->UtimensAt(dir_fd, name, times, path);
}

absl::Status PowerCutEnv::Fsync(int fd, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = target()->Fsync(fd, path);
  if (!status.ok()) return status;
  const Id id = IdOfFd(fd);
  for (Change& change : changes_) {
    if (change.durable) continue;
    switch (change.kind) {
      case Change::kCreate:
      case Change::kUnlink:
        change.durable = change.dir1 == id;
        break;
      case Change::kRename:
      case Change::kExchange:
        change.synced1 = change.synced1 || change.dir1 == id;
        change.synced2 = change.synced2 || change.dir2 == id;
        change.durable = change.synced1 && change.synced2;
        break;
      case Change::kData:
        change.durable = change.object == id;
        break;
      case Change::kMeta:
        change.durable = change.object == id || (change.dir1.ino != 0 && change.dir1 == id);
        break;
    }
  }
  return status;
}

absl::Status PowerCutEnv::Syncfs(int fd, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = target()->Syncfs(fd, path);
  if (!status.ok()) return status;
  for (Change& change : changes_) change.durable = true;
  return status;
}

void PowerCutEnv::Cut() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = changes_.rbegin(); it != changes_.rend(); ++it) {
    const Change& change = *it;
    if (change.durable) continue;
    ++reverted_;
    switch (change.kind) {
      case Change::kCreate:
        RemoveAllPlain(Abs(change.path1));
        break;
      case Change::kRename:
        if (Exists(Abs(change.path2)) && !Exists(Abs(change.path1)) && ParentExists(Abs(change.path1))) {
          rename(Abs(change.path2).c_str(), Abs(change.path1).c_str());
        }
        break;
      case Change::kExchange:
        renameat2(AT_FDCWD, Abs(change.path1).c_str(), AT_FDCWD, Abs(change.path2).c_str(),
                  RENAME_EXCHANGE);
        break;
      case Change::kUnlink:
        if (ParentExists(Abs(change.path1)) && !Exists(Abs(change.path1))) {
          rename(change.buried.c_str(), Abs(change.path1).c_str());
        }
        break;
      case Change::kData: {
        std::string path = Find(change.object);
        if (!path.empty()) truncate(path.c_str(), 0);
        break;
      }
      case Change::kMeta: {
        std::string path = Find(change.object);
        if (path.empty()) break;
        lchown(path.c_str(), change.old_stat.st_uid, change.old_stat.st_gid);
        if (!S_ISLNK(change.old_stat.st_mode)) chmod(path.c_str(), change.old_stat.st_mode & 07777);
        struct timespec times[2] = {change.old_stat.st_atim, change.old_stat.st_mtim};
        utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
        break;
      }
    }
  }
  RemoveAllPlain(Abs(GraveyardName()));
  changes_.clear();
}

}  // namespace persist
