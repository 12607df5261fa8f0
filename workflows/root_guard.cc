// Copyright persist authors.

#include "workflows/root_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/real_path.h"
#include "fsops/user_name.h"

namespace persist {
namespace {

using Identity = std::pair<dev_t, ino_t>;

// A directory fd closed when it goes.
class DirFd {
 public:
  explicit DirFd(int fd) : fd_(fd) {}
  DirFd(DirFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirFd& operator=(DirFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~DirFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Whether `name` in the directory `dir_fd` is a directory (following a
// symlink when `follow`), and which.
std::optional<Identity> DirIdentity(int dir_fd, const char* name, bool follow) {
  struct stat st;
  if (fstatat(dir_fd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  if (!S_ISDIR(st.st_mode)) return std::nullopt;
  return Identity{st.st_dev, st.st_ino};
}

bool HoldsSite(int dir_fd) { return DirIdentity(dir_fd, ".persist", false).has_value(); }

// `path` without its last `levels` components ("/" at the top).
std::string Climb(std::string path, int levels) {
  for (int i = 0; i < levels; ++i) {
    const size_t slash = path.rfind('/');
    path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
  return path;
}

}  // namespace

std::optional<std::string> FindSiteAbove() {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr || cwd[0] != '/') return std::nullopt;
  // getcwd gives the physical path: climbing it by its components climbs
  // "..", as the kernel does.
  std::string dir = cwd;
  for (bool first = true;; first = false) {
    const std::string state = dir == "/" ? "/.persist" : dir + "/.persist";
    struct stat st;
    if (lstat(state.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return first ? "." : dir;
    if (dir == "/") return std::nullopt;
    dir = Climb(dir, 1);
  }
}

bool HasSiteState(const std::string& site_dir) {
  struct stat st;
  return lstat(JoinPath(site_dir, ".persist").c_str(), &st) == 0 || errno != ENOENT;
}

absl::Status CheckNotInsideAnotherSite(const std::string& site_dir, bool existing_ok) {
  DirFd dir(open(site_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return absl::OkStatus();
  const bool existing = HoldsSite(dir.get());
  if (existing && existing_ok) return absl::OkStatus();
  std::optional<Identity> here = DirIdentity(dir.get(), ".", true);
  if (!here.has_value()) return absl::OkStatus();
  // site_dir and every directory between it and the one being looked at.
  std::vector<Identity> below = {*here};
  for (int levels = 1;; ++levels) {
    DirFd parent(openat(dir.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent.valid()) return absl::OkStatus();
    std::optional<Identity> id = DirIdentity(parent.get(), ".", true);
    if (!id.has_value() || *id == below.back()) return absl::OkStatus();  // "/"
    if (HoldsSite(parent.get())) {
      for (const char* own : {"current", "releases", "shared"}) {
        std::optional<Identity> tree = DirIdentity(parent.get(), own, true);
        if (!tree.has_value() || std::find(below.begin(), below.end(), *tree) == below.end()) {
          continue;
        }
        const absl::StatusOr<std::string> resolved = RealPath(site_dir);
        const std::string shown = resolved.ok() ? *resolved : site_dir;
        const std::string site = Climb(shown, levels);
        const std::string where = std::string(own) == "current"
                                      ? "the live release (what current points at)"
                                      : absl::StrCat("the ", own, "/");
        return WithErrorKind(
            WithPath(absl::FailedPreconditionError(absl::StrCat(
                PrintablePath(shown), *tree == below.front() ? " is " : " lies inside ", where,
                " of the site ", PrintablePath(site),
                ": persist never makes a site inside another site's releases/, shared/ or live "
                "release; to work on that site, give --root ",
                PrintablePath(site), " (or run persist from anywhere inside it, without --root)",
                existing ? absl::StrCat("; the .persist/ in ", PrintablePath(shown),
                                        " was made by an older persist: `persist undo --root ",
                                        PrintablePath(shown), "` still reverses its runs")
                         : "")),
                     shown),
            ErrorKind::kUsage);
      }
    }
    below.push_back(*id);
    dir = std::move(parent);
  }
}

absl::Status CheckRootOnSite(const std::string& site_dir, const std::string& command,
                             bool allow_root) {
  if (allow_root || geteuid() != 0) return absl::OkStatus();
  struct stat st;
  if (stat(site_dir.c_str(), &st) != 0 || st.st_uid == 0) return absl::OkStatus();
  std::string user = LoginName(st.st_uid);
  if (user.empty()) user = std::to_string(st.st_uid);
  const std::string owner = DescribeUser(st.st_uid);
  return WithErrorKind(
      WithPath(absl::FailedPreconditionError(absl::StrCat(
          PrintablePath(site_dir), " belongs to ", owner,
          " and persist runs as root: run it as that user (sudo -u ", user, " persist ", command,
          " ...), or add --allow-root if root is meant; what persist creates then takes the owner "
          "of the directory it is created in")),
               site_dir),
      ErrorKind::kUsage);
}

absl::Status CheckSiteForChange(const std::string& site_dir, const std::string& command,
                                bool allow_root) {
  absl::Status status =
      CheckNotInsideAnotherSite(site_dir, /*existing_ok=*/command == "recover" || command == "undo");
  if (!status.ok()) return status;
  return CheckRootOnSite(site_dir, command, allow_root);
}

}  // namespace persist
