// Copyright persist authors.

#include "journal/run_info.h"

#include <pwd.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace persist {

int64_t NowNs() { return absl::GetCurrentTimeNanos(); }

std::string UserName() {
  struct passwd* pw = getpwuid(geteuid());
  if (pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
  return absl::StrCat("uid ", geteuid());
}

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "unknown-host";
  return host;
}

}  // namespace persist
