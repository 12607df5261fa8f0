// Copyright persist authors.

#include "workflows/web_user.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "planner/profile.h"

namespace persist {

absl::StatusOr<WebUser> ResolveWebUser(const std::string& name, const std::string& site_dir) {
  WebUser user;
  std::vector<char> buffer(16384);
  struct passwd entry;
  struct passwd* found = nullptr;
  if (name.empty()) {
    struct stat st;
    if (stat(site_dir.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", site_dir);
    user.uid = st.st_uid;
    user.gids.push_back(st.st_gid);
    getpwuid_r(st.st_uid, &entry, buffer.data(), buffer.size(), &found);
    user.name = found != nullptr ? found->pw_name : absl::StrCat("uid ", st.st_uid);
    if (found == nullptr) return user;
  } else {
    getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "web_user \"", name, "\" in ", kProfilePath, " is no user of this host; give the user "
          "PHP-FPM or Apache runs as (e.g. www-data), or leave web_user out"));
    }
    user.name = name;
    user.uid = found->pw_uid;
  }
  int count = 64;
  std::vector<gid_t> groups(count);
  if (getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) < 0) {
    groups.resize(count);
    getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count);
  }
  groups.resize(count);
  user.gids.assign(groups.begin(), groups.end());
  return user;
}

}  // namespace persist
