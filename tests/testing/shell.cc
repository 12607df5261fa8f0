// Copyright persist authors.

#include "tests/testing/shell.h"

#include <stdio.h>
#include <sys/wait.h>

#include "absl/strings/str_replace.h"

namespace persist {
namespace testing {

std::string Quote(const std::string& s) {
  return "'" + absl::StrReplaceAll(s, {{"'", "'\\''"}}) + "'";
}

::testing::AssertionResult Sh(const std::string& dir, const std::string& command) {
  const std::string full =
      "export PATH=/usr/bin:/bin && cd " + Quote(dir) + " && (" + command + ") </dev/null 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return ::testing::AssertionFailure() << "popen: " << full;
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return ::testing::AssertionFailure() << "command failed (" << status << "): " << full << "\n"
                                         << output;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace testing
}  // namespace persist
