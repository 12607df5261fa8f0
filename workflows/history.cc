// Copyright persist authors.

#include "workflows/history.h"

#include <fcntl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/root.h"
#include "base/error_kind.h"
#include "journal/run_info.h"
#include "spdlog/spdlog.h"

namespace persist {
namespace {

absl::Status Append(const Site& site, const std::string& path, const std::string& line) {
  Env* env = site.env();
  std::string leaf;
  absl::StatusOr<Fd> dir = site.root().OpenParent(path, &leaf);
  if (!dir.ok()) return dir.status();
  bool created = true;
  absl::StatusOr<int> fd = env->OpenAt(dir->get(), leaf, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW,
                                       0644, path);
  if (!fd.ok() && StatusErrno(fd.status()) == EEXIST) {
    created = false;
    fd = env->OpenAt(dir->get(), leaf, O_WRONLY | O_APPEND | O_NOFOLLOW, 0, path);
  }
  if (!fd.ok()) return fd.status();
  Fd file(env, *fd, path);
  if (created) {
    // Owned as its directory, like everything else persist creates there.
    absl::Status status = TakeParentOwner(env, dir->get(), leaf, path);
    if (!status.ok()) return status;
  } else {
    // Found with another owner, it was made by a run killed before it gave
    // it away: mended where it can be.
    RestoreParentOwner(env, dir->get(), leaf, path).IgnoreError();
  }
  absl::Status status = env->Write(file.get(), line.data(), line.size(), path);
  if (!status.ok()) return status;
  return env->Fsync(file.get(), path);
}

}  // namespace

std::string HistoryLine(const std::string& what) {
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()), " ",
                      what, " by ", UserName(), "@", HostName());
}

std::string HistoryOutcome(const std::string& what, const absl::StatusOr<Run>& run) {
  if (run.ok()) return absl::StrCat(what, ": run ", run->id());
  if (ErrorKindOf(run.status()) != ErrorKind::kFailed) return "";
  std::string cause(run.status().message().substr(0, 300));
  std::replace(cause.begin(), cause.end(), '\n', ' ');
  return absl::StrCat(what, " failed: ", cause);
}

void AppendHistory(const Site& site, const std::string& what, const std::string& shared_dir) {
  if (what.empty()) return;
  absl::StatusOr<PathState> dir = site.root().Observe(shared_dir, false);
  if (!dir.ok() || dir->type() != DIRECTORY) return;
  const std::string path = JoinPath(shared_dir, ".deployment-history");
  absl::Status status = Append(site, path, HistoryLine(what) + "\n");
  if (!status.ok()) {
    spdlog::warn("could not add to {} ({}); the journal keeps the run all the same (persist log)",
                 path, std::string(status.message()));
  }
}

}  // namespace persist
