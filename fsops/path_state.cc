// Copyright persist authors.

#include "fsops/path_state.h"

#include <fcntl.h>

#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"

namespace persist {
namespace {

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return REGULAR;
  if (S_ISDIR(mode)) return DIRECTORY;
  if (S_ISLNK(mode)) return SYMLINK;
  return OTHER;
}

}  // namespace

int64_t TimespecNs(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

void FillFromStat(const struct stat& st, PathState* state) {
  state->set_type(TypeOf(st.st_mode));
  state->set_mode(st.st_mode & 07777);
  state->set_size(S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0);
  state->set_mtime_ns(TimespecNs(st.st_mtim));
  state->set_inode(st.st_ino);
  state->set_dev(st.st_dev);
}

absl::StatusOr<PathState> ObservePath(Env* env, int dir_fd, const std::string& name,
                                      const std::string& path, bool with_digest) {
  PathState state;
  state.set_path(path);
  struct stat st;
  absl::Status status = env->StatAt(dir_fd, name, &st, path);
  if (!status.ok()) {
    if (StatusErrno(status) == ENOENT) {
      state.set_type(ABSENT);
      return state;
    }
    return status;
  }
  FillFromStat(st, &state);
  if (state.type() == SYMLINK) {
    absl::StatusOr<std::string> target = env->ReadLinkAt(dir_fd, name, path);
    if (!target.ok()) return target.status();
    state.set_link_target(*target);
  } else if (state.type() == REGULAR && with_digest) {
    absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY, 0, path);
    if (!fd.ok()) return fd.status();
    Fd owned(env, *fd, path);
    absl::StatusOr<std::string> digest = DigestFd(env, owned.get(), path, st.st_size);
    if (!digest.ok()) return digest.status();
    state.set_digest(*digest);
  }
  return state;
}

}  // namespace persist
