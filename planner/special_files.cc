// Copyright persist authors.

#include "planner/special_files.h"

#include <dirent.h>
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

// The file type bits of a directory entry's DT_* type, or of a stat where the
// filesystem does not record types in its directories.
absl::StatusOr<mode_t> TypeOf(Env* env, int dir_fd, const DirEntry& entry, const std::string& shown) {
  if (entry.type != DT_UNKNOWN) return DTTOIF(entry.type);
  struct stat st;
  absl::Status status = env->StatAt(dir_fd, entry.name, &st, shown);
  if (!status.ok()) return status;
  return st.st_mode & S_IFMT;
}

// Walks the directory open at `dir_fd` (`rel` beneath the scanned one, `shown`
// for messages), one open directory per level, never by path string. The
// listing's own types answer for nearly every entry, so a release of 17,000
// files costs its directories' listings and not a stat per file.
absl::Status Scan(Env* env, int dir_fd, const std::string& rel, const std::string& shown,
                  std::vector<SpecialFile>* found) {
  absl::StatusOr<std::vector<DirEntry>> entries = env->ReadDir(dir_fd, shown);
  if (!entries.ok()) return entries.status();
  for (const DirEntry& entry : *entries) {
    const std::string child_shown = JoinPath(shown, entry.name);
    absl::StatusOr<mode_t> type = TypeOf(env, dir_fd, entry, child_shown);
    if (!type.ok()) return type.status();
    if (const char* kind = KindOf(*type)) {
      found->push_back(SpecialFile{JoinPath(rel, entry.name), kind});
    } else if (S_ISDIR(*type)) {
      absl::StatusOr<int> fd =
          env->OpenAt(dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0, child_shown);
      if (!fd.ok()) return fd.status();
      Fd sub(env, *fd, child_shown);
      absl::Status status = Scan(env, sub.get(), JoinPath(rel, entry.name), child_shown, found);
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
