// Copyright persist authors.

#include "fsops/user_name.h"

#include <pwd.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace persist {

// getpwuid_r, because getpwuid's static buffer is shared by every thread.
std::string LoginName(uid_t uid) {
  std::vector<char> buffer(16384);
  struct passwd entry;
  struct passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return "";
  }
  return found->pw_name;
}

std::string UserName(uid_t uid) {
  std::string name = LoginName(uid);
  return name.empty() ? absl::StrCat("uid ", uid) : name;
}

std::string DescribeUser(uid_t uid) {
  std::string name = LoginName(uid);
  return name.empty() ? absl::StrCat("uid ", uid) : absl::StrCat(name, " (uid ", uid, ")");
}

}  // namespace persist
