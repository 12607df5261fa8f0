// Copyright persist authors.

#include "workflows/trash_emptier.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ioprio.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/real_path.h"
#include "fsops/trash.h"
#include "base/error_kind.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace persist {
namespace {

// A site the command locked. One process runs one command, and main() reads
// these after it: a process-wide list is all the state there is.
struct LockedSite {
  std::string dir;         // absolute where it can be made so
  bool announced = false;  // the command already said what its trash holds
};

std::vector<LockedSite>& LockedSites() {
  static auto* sites = new std::vector<LockedSite>();
  return *sites;
}

LockedSite* Find(const std::string& dir) {
  for (LockedSite& site : LockedSites()) {
    if (site.dir == dir) return &site;
  }
  return nullptr;
}

std::string Absolute(const std::string& dir) {
  absl::StatusOr<std::string> resolved = RealPath(dir);
  return resolved.ok() ? *resolved : dir;
}

std::string Entries(size_t n) { return absl::StrCat(n, n == 1 ? " entry" : " entries"); }

// Starts `persist empty-trash --root DIR --quiet --idle` detached from this
// process, at idle priority so that it never competes with the site it serves:
// a session of its own (no terminal, no signal from the shell's job
// control), /dev/null for stdin, stdout and stderr and no other descriptor,
// default signal handling, and not waited for. It needs no lock, so it may outlive this command and
// overlap the next one.
absl::Status SpawnEmptier(const std::string& dir) {
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&files, 1, 2);
  // Nothing else this process inherited either: a caller's pipe held open
  // by the emptier would keep `$(persist ...)`, or a test harness, waiting
  // for its end.
  posix_spawn_file_actions_addclosefrom_np(&files, 3);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  std::string arg0 = "persist", command = "empty-trash", root_flag = "--root", root = dir,
              quiet = "--quiet", idle = "--idle";
  char* argv[] = {arg0.data(), command.data(), root_flag.data(), root.data(),
                  quiet.data(),  idle.data(),    nullptr};
  pid_t pid;
  const int err = posix_spawn(&pid, "/proc/self/exe", &files, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&files);
  if (err != 0) return ErrnoStatus(err, "posix_spawn", "/proc/self/exe");
  return absl::OkStatus();
}

void EmptySite(LockedSite& site, TrashMode mode) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), site.dir);
  if (!root.ok()) return;  // gone with the site: nothing to empty
  absl::StatusOr<std::vector<std::string>> names = ListTrash(**root);
  if (!names.ok()) {
    spdlog::warn("cannot read {}/{}: {}; `persist empty-trash --root {}` empties it", site.dir,
                 kTrashDir, std::string(names.status().message()), site.dir);
    return;
  }
  if (names->empty()) return;
  switch (mode) {
    case TrashMode::kLater:
      if (!site.announced) {
        spdlog::info("{} of {}/ wait to be removed; `persist empty-trash --root {}` removes them",
                     Entries(names->size()), kTrashDir, site.dir);
      }
      return;
    case TrashMode::kWait: {
      absl::StatusOr<TrashReport> report = EmptyTrash(**root, /*wait=*/true);
      if (!report.ok()) {
        spdlog::warn("{}", std::string(report.status().message()));
      } else {
        spdlog::info("{}", DescribeTrashReport(*report));
      }
      return;
    }
    case TrashMode::kBackground: {
      absl::Status spawned = SpawnEmptier(site.dir);
      if (!spawned.ok()) {
        spdlog::warn("could not start removing {}/{} in the background: {}; `persist empty-trash "
                     "--root {}` removes what it holds",
                     site.dir, kTrashDir, std::string(spawned.message()), site.dir);
      } else if (!site.announced) {
        spdlog::info("removing {} of {}/ in the background; `persist empty-trash --root {}` "
                     "waits for that",
                     Entries(names->size()), kTrashDir, site.dir);
      }
      return;
    }
  }
}

}  // namespace

void RunAtIdlePriority() {
  if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0)) != 0) {
    spdlog::debug("ioprio_set (idle class): {}", strerror(errno));
  }
  if (setpriority(PRIO_PROCESS, 0, 10) != 0) spdlog::debug("setpriority (nice 10): {}", strerror(errno));
}

void NoteSiteLocked(const std::string& root_dir) {
  const std::string dir = Absolute(root_dir);
  if (Find(dir) == nullptr) LockedSites().push_back(LockedSite{dir, false});
}

void EmptyTrashAfterCommand(TrashMode mode) {
  for (LockedSite& site : LockedSites()) EmptySite(site, mode);
}

std::string DescribeTrashReport(const TrashReport& report) {
  if (report.entries == 0) return absl::StrCat("the trash (", kTrashDir, "/) is empty: nothing to remove");
  return absl::StrFormat("removed %s from %s/: %d files, %.1f MB", Entries(report.entries),
                         kTrashDir, report.files, report.bytes / 1048576.0);
}

std::string SetAsideNote(TrashMode mode, const Root& root, const std::string& root_dir,
                         const std::vector<std::string>& before) {
  absl::StatusOr<std::vector<std::string>> now = ListTrash(root);
  if (!now.ok()) return "";
  const std::set<std::string> old(before.begin(), before.end());
  const size_t added = std::count_if(now->begin(), now->end(),
                                     [&](const std::string& name) { return old.count(name) == 0; });
  if (added == 0) return "";
  const std::string dir = Absolute(root_dir);
  if (LockedSite* site = Find(dir)) site->announced = true;
  const bool one = added == 1;
  std::string line = one ? "the tree it had staged was set aside in "
                         : absl::StrCat("the ", added, " trees it had staged were set aside in ");
  absl::StrAppend(&line, kTrashDir, "/");
  switch (mode) {
    case TrashMode::kBackground:
      absl::StrAppend(&line, one ? " and is" : " and are", " being removed in the background; ",
                      "`persist empty-trash --root ", dir, "` waits for that");
      break;
    case TrashMode::kWait:
      absl::StrAppend(&line, one ? " and is" : " and are", " removed now, before persist exits");
      break;
    case TrashMode::kLater:
      absl::StrAppend(&line, one ? " and waits" : " and wait",
                      " there (--empty-trash later): `persist empty-trash --root ", dir,
                      "` removes ", one ? "it" : "them");
      break;
  }
  return line;
}

absl::StatusOr<std::string> EmptySiteTrash(const std::string& root_dir, bool idle) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), root_dir);
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot open the site (give an existing directory "
                                                 "with --root)"),
                         ErrorKind::kUsage);
  }
  if (idle) RunAtIdlePriority();
  // The trash's own flock, taken by EmptyTrash, makes this wait for an
  // emptier already at work (one a command started in the background)
  // instead of racing it.
  absl::StatusOr<TrashReport> report = EmptyTrash(**root, /*wait=*/true);
  if (!report.ok()) return report.status();
  return DescribeTrashReport(*report);
}

}  // namespace persist
