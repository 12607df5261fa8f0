// Copyright persist authors.

#include "workflows/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "fsops/errno_status.h"
#include "journal/run_info.h"
#include "planner/profile.h"

extern char** environ;

namespace persist {
namespace {

constexpr size_t kKeptOutput = 64 << 10;
// Between SIGTERM and SIGKILL to a hook that overran its time.
constexpr absl::Duration kKillGrace = absl::Seconds(5);
// How often the hook is checked on where the kernel has no pidfd to poll.
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

// The output of a hook as it comes, keeping the last kKeptOutput bytes.
class Output {
 public:
  explicit Output(int fd) : fd_(fd) {}
  ~Output() { close(fd_); }
  int fd() const { return fd_; }
  bool open() const { return open_; }

  // One read. False at end of file, or when nothing is there (EAGAIN).
  bool ReadSome() {
    char buf[8192];
    ssize_t n;
    do {
      n = read(fd_, buf, sizeof(buf));
    } while (n < 0 && errno == EINTR);
    if (n == 0) open_ = false;
    if (n <= 0) return false;
    text_.append(buf, n);
    if (text_.size() > 2 * kKeptOutput) text_.erase(0, text_.size() - kKeptOutput);
    return true;
  }

  // What the pipe holds now, without waiting for more. True when some
  // process still holds its write end (no end of file).
  bool Drain() {
    const int flags = fcntl(fd_, F_GETFL);
    if (flags >= 0) fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    // Bounded: a background process writing without pause must not keep
    // persist here.
    for (int i = 0; i < 64 && open_ && ReadSome(); ++i) {
    }
    return open_;
  }

  std::string Take() {
    if (text_.size() > kKeptOutput) text_.erase(0, text_.size() - kKeptOutput);
    return std::move(text_);
  }

 private:
  int fd_;
  bool open_ = true;
  std::string text_;
};

// Waits until `pid` has exited (true, its status in *wstatus) or `deadline`
// has passed (false), reading `out` meanwhile. `pidfd` (-1 when the kernel
// has none) becomes readable when the process exits.
bool WaitUntil(pid_t pid, int pidfd, absl::Time deadline, Output& out, int* wstatus) {
  while (true) {
    pid_t done;
    do {
      done = waitpid(pid, wstatus, WNOHANG);
    } while (done < 0 && errno == EINTR);
    if (done == pid || (done < 0 && errno == ECHILD)) return true;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd fds[2];
    int n = 0;
    if (out.open()) fds[n++] = pollfd{out.fd(), POLLIN, 0};
    if (pidfd >= 0) fds[n++] = pollfd{pidfd, POLLIN, 0};
    const absl::Duration wait = pidfd >= 0 ? left : std::min(left, kPollInterval);
    // Rounded up, so that a wait never spins at 0 ms.
    const int ms = static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(wait) + 1, 60000));
    const int ready = poll(fds, n, ms);
    if (ready > 0 && out.open() && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) out.ReadSome();
  }
}

std::string PhaseName(const std::string& phase) {
  return absl::StrReplaceAll(phase, {{"_", "-"}});
}

}  // namespace

absl::StatusOr<HookOutcome> RunHook(const std::string& phase, const std::string& command,
                                    const std::string& dir, const std::string& root,
                                    const std::string& release, absl::Duration timeout) {
  HookOutcome outcome;
  HookResult& result = outcome.result;
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
  // A process group of its own, so that a timeout stops what it started too.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  char sh[] = "/bin/sh";
  char dash_c[] = "-c";
  std::vector<char> script_buf(script.begin(), script.end());
  script_buf.push_back('\0');
  char* argv[] = {sh, dash_c, script_buf.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  Output out(pipe_fds[0]);
  if (rc != 0) return ErrnoStatus(rc, "start hook", command);

  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  int wstatus = 0;
  if (!WaitUntil(pid, pidfd, absl::Now() + timeout, out, &wstatus)) {
    outcome.timed_out = true;
    kill(-pid, SIGTERM);
    if (!WaitUntil(pid, pidfd, absl::Now() + kKillGrace, out, &wstatus)) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
    }
    // Whatever the hook started and left behind goes with it.
    kill(-pid, SIGKILL);
  }
  if (pidfd >= 0) close(pidfd);
  outcome.left_running = out.Drain() && !outcome.timed_out;
  std::string output = out.Take();
  if (outcome.timed_out) {
    absl::StrAppend(&output, output.empty() || output.back() == '\n' ? "" : "\n",
                    "[persist: killed after ", absl::FormatDuration(timeout), " (hook_timeout)]\n");
  } else if (outcome.left_running) {
    absl::StrAppend(&output, output.empty() || output.back() == '\n' ? "" : "\n",
                    "[persist: the hook exited and left a process running that holds its output; "
                    "persist stopped reading it]\n");
  }
  result.set_output(output);
  result.set_exit_code(!outcome.timed_out && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  result.set_end_ns(NowNs());
  return outcome;
}

absl::Status HookFailure(const HookOutcome& hook, absl::Duration timeout,
                         const std::string& consequence) {
  const HookResult& result = hook.result;
  if (!hook.timed_out && result.exit_code() == 0) return absl::OkStatus();
  std::string what;
  if (hook.timed_out) {
    what = absl::StrCat("did not finish within ", absl::FormatDuration(timeout),
                        " and was killed with every process it started (raise hook_timeout, in "
                        "seconds, in ", kProfilePath, " if it needs longer)");
  } else if (result.exit_code() < 0) {
    what = "was killed by a signal";
  } else {
    what = absl::StrCat("failed with exit ", result.exit_code());
  }
  return absl::AbortedError(
      absl::StrCat(PhaseName(result.phase()), " hook `", result.command(), "` ", what, consequence));
}

}  // namespace persist
