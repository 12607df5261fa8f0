// Copyright persist authors.

#include "planner/special_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"

namespace persist {
namespace {

// How many paths a refusal lists before it only counts the rest: a release
// with thousands of sockets needs one clear message, not thousands of lines.
constexpr size_t kListed = 20;

const char* KindOf(mode_t mode) {
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  return nullptr;
}

// Walks the directory open at `dir_fd` (`rel` beneath the scanned one, `shown`
// for messages), one open directory per level, never by path string.
absl::Status Scan(Env* env, int dir_fd, const std::string& rel, const std::string& shown,
                  std::vector<SpecialFile>* found) {
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir_fd, shown);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    const std::string child = JoinPath(rel, name);
    const std::string child_shown = JoinPath(shown, name);
    struct stat st;
    absl::Status status = env->StatAt(dir_fd, name, &st, child_shown);
    if (!status.ok()) return status;
    if (const char* kind = KindOf(st.st_mode)) {
      found->push_back(SpecialFile{child, kind});
    } else if (S_ISDIR(st.st_mode)) {
      absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY, 0, child_shown);
      if (!fd.ok()) return fd.status();
      Fd sub(env, *fd, child_shown);
      status = Scan(env, sub.get(), child, child_shown, found);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<SpecialFile>> FindSpecialFiles(Env* env, const std::string& dir) {
  absl::StatusOr<int> fd = env->OpenAt(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0, dir);
  if (!fd.ok()) return fd.status();
  Fd top(env, *fd, dir);
  std::vector<SpecialFile> found;
  absl::Status status = Scan(env, top.get(), "", dir, &found);
  if (!status.ok()) return status;
  std::sort(found.begin(), found.end(),
            [](const SpecialFile& a, const SpecialFile& b) { return a.path < b.path; });
  return found;
}

absl::Status RefuseSpecialFiles(Env* env, const std::string& dir) {
  absl::StatusOr<std::vector<SpecialFile>> found = FindSpecialFiles(env, dir);
  if (!found.ok()) {
    return Annotate(found.status(), absl::StrCat("cannot read the release ", dir,
                                                 " (every file of it must be readable by this user)"));
  }
  if (found->empty()) return absl::OkStatus();
  std::string listed;
  for (size_t i = 0; i < found->size() && i < kListed; ++i) {
    absl::StrAppend(&listed, i == 0 ? "" : ", ", PrintablePath((*found)[i].path), " (",
                    (*found)[i].kind, ")");
  }
  if (found->size() > kListed) absl::StrAppend(&listed, " and ", found->size() - kListed, " more");
  return absl::InvalidArgumentError(absl::StrCat(
      "the release ", PrintablePath(dir), " holds ", found->size(), " fifo", found->size() == 1 ? "" : "s",
      ", socket", found->size() == 1 ? "" : "s", " or device", found->size() == 1 ? "" : "s",
      ", which persist never copies: ", listed, "; remove ", found->size() == 1 ? "it" : "them",
      " from ", PrintablePath(dir), " and deploy again (nothing was changed)"));
}

}  // namespace persist
