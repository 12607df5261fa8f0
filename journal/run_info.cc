// Copyright persist authors.

#include "journal/run_info.h"

#include <unistd.h>

#include "absl/time/clock.h"
#include "fsops/user_name.h"

namespace persist {

int64_t NowNs() { return absl::GetCurrentTimeNanos(); }

// fsops' UserName reads the user database with getpwuid_r: getpwuid's
// buffer is shared by every thread.
std::string UserName() { return UserName(geteuid()); }

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "unknown-host";
  return host;
}

}  // namespace persist
