// Copyright persist authors.

#include "fsops/record_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {
namespace {

absl::Status Record(Env* env, int dir_fd, const std::string& name, const std::string& shown,
                    const std::string& rel, ManifestSink* sink, ManifestEntry* entry) {
  struct stat st;
  absl::Status status = env->StatAt(dir_fd, name, &st, shown);
  if (!status.ok()) return status;
  PathState state;
  FillFromStat(st, &state);
  entry->Clear();
  entry->set_path(rel);
  entry->set_mode(state.mode());
  entry->set_mtime_ns(state.mtime_ns());
  if (S_ISLNK(st.st_mode)) {
    absl::StatusOr<std::string> target = env->ReadLinkAt(dir_fd, name, shown);
    if (!target.ok()) return target.status();
    entry->set_type(SYMLINK);
    entry->set_mode(0777);
    entry->set_link_target(*target);
    sink->Add(*entry);
    return absl::OkStatus();
  }
  if (S_ISREG(st.st_mode)) {
    absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY | O_NOFOLLOW, 0, shown);
    if (!fd.ok()) return fd.status();
    Fd file(env, *fd, shown);
    // Identity and size from the file read, not the name stat'ed before.
    status = env->StatAt(file.get(), "", &st, shown);
    if (!status.ok()) return status;
    FillFromStat(st, &state);
    absl::StatusOr<std::string> digest = DigestFd(env, file.get(), shown, st.st_size);
    if (!digest.ok()) return digest.status();
    entry->set_type(REGULAR);
    entry->set_mode(state.mode());
    entry->set_mtime_ns(state.mtime_ns());
    entry->set_size(state.size());
    entry->set_digest(*digest);
    entry->set_inode(st.st_ino);
    entry->set_ctime_ns(TimespecNs(st.st_ctim));
    sink->Add(*entry);
    return absl::OkStatus();
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(PrintablePath(shown),
                     " is a fifo, socket or device; a release holds files, "
                     "directories and symlinks only: move it out"));
  }
  entry->set_type(DIRECTORY);
  sink->Add(*entry);
  absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, shown);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), shown);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  for (const std::string& child : *names) {
    status =
        Record(env, dir.get(), child, JoinPath(shown, child), JoinPath(rel, child), sink, entry);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RecordManifest(Env* env, const Entry& tree, ManifestSink* sink) {
  sink->Clear();
  ManifestEntry entry;
  return Record(env, tree.dir_fd, tree.name, tree.path, "", sink, &entry);
}

}  // namespace persist
