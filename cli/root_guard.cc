// Copyright persist authors.

#include "cli/root_guard.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "fsops/path.h"
#include "journal/exit_code.h"

namespace persist {

absl::Status CheckRootOnSite(const std::string& site_dir, const std::string& command,
                             bool allow_root) {
  if (allow_root || geteuid() != 0) return absl::OkStatus();
  struct stat st;
  if (stat(site_dir.c_str(), &st) != 0 || st.st_uid == 0) return absl::OkStatus();
  const struct passwd* pw = getpwuid(st.st_uid);
  const std::string user = pw != nullptr ? pw->pw_name : std::to_string(st.st_uid);
  const std::string owner = pw != nullptr ? absl::StrCat(user, " (uid ", st.st_uid, ")")
                                          : absl::StrCat("uid ", st.st_uid);
  return WithExitCode(
      absl::FailedPreconditionError(absl::StrCat(
          PrintablePath(site_dir), " belongs to ", owner,
          " and persist runs as root: run it as that user (sudo -u ", user, " persist ", command,
          " ...), or add --allow-root if root is meant; what persist creates then takes the owner "
          "of the directory it is created in")),
      kExitUsage);
}

}  // namespace persist
