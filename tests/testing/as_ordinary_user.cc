// Copyright persist authors.

#include "tests/testing/as_ordinary_user.h"

#include <linux/capability.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace persist {
namespace testing {

ChildResult RunWithoutPermissionOverride(const std::function<absl::Status()>& fn) {
  ChildResult result;
  int pipe_fds[2];
  EXPECT_EQ(pipe(pipe_fds), 0);
  fflush(nullptr);
  pid_t pid = fork();
  EXPECT_GE(pid, 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &header, data) != 0) _exit(77);
    data[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    if (syscall(SYS_capset, &header, data) != 0) _exit(77);
    absl::Status status = fn();
    std::string message(status.message());
    if (write(pipe_fds[1], message.data(), message.size()) < 0) _exit(2);
    _exit(status.ok() ? 0 : 1);
  }
  close(pipe_fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof(buf))) > 0) result.message.append(buf, n);
  close(pipe_fds[0]);
  int wstatus = 0;
  EXPECT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus)) << "the child died: " << result.message;
  result.skipped = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 77;
  result.ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
  return result;
}

}  // namespace testing
}  // namespace persist
