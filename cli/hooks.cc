// Copyright persist authors.

#include "cli/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "journal/run_info.h"

extern char** environ;

namespace persist {
namespace {

constexpr size_t kKeptOutput = 64 << 10;

}  // namespace

absl::StatusOr<HookResult> RunHook(const std::string& phase, const std::string& command,
                                   const std::string& dir, const std::string& root,
                                   const std::string& release) {
  HookResult result;
  result.set_phase(phase);
  result.set_command(command);
  result.set_start_ns(NowNs());
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe for hook", command);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("PERSIST_ROOT=" + root);
  env_strings.push_back("PERSIST_RELEASE=" + release);
  // The child starts in the release, reads nothing, writes into the pipe.
  const std::string script = absl::StrCat("cd \"$PERSIST_HOOK_DIR\" && exec /bin/sh -c \"$PERSIST_HOOK\"");
  env_strings.push_back("PERSIST_HOOK_DIR=" + dir);
  env_strings.push_back("PERSIST_HOOK=" + command);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  char sh[] = "/bin/sh";
  char dash_c[] = "-c";
  std::vector<char> script_buf(script.begin(), script.end());
  script_buf.push_back('\0');
  char* argv[] = {sh, dash_c, script_buf.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return ErrnoStatus(rc, "start hook", command);
  }
  std::string output;
  char buf[8192];
  while (true) {
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, n);
    if (output.size() > 2 * kKeptOutput) output.erase(0, output.size() - kKeptOutput);
  }
  close(pipe_fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (output.size() > kKeptOutput) output.erase(0, output.size() - kKeptOutput);
  result.set_output(output);
  result.set_exit_code(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  result.set_end_ns(NowNs());
  return result;
}

}  // namespace persist
