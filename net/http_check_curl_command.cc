// Copyright persist authors.
//
// ValidateHttpUrl and CheckUrl for the static build (--config=static),
// which cannot link libcurl (Debian 12's libcurl.a needs GSSAPI and SASL
// archives Debian does not ship) and does not speak HTTP by hand: it asks
// the host's own curl command, which every shared host has. One curl
// process per attempt, so every attempt is a fresh connection:
//
//   curl -q -sS -v -i --noproxy '*' --proto =http,https -A persist-health-check
//        --max-time T --connect-timeout T [-L --max-redirs 5 --proto-redir =http,https] URL
//
// -q first: no ~/.curlrc changes what is asked. -i puts each response's
// header block before the body on stdout; -v puts curl's account of the
// connection on stderr, which alone tells "Connection refused" from the
// other ways to fail to connect. Every option is as old as curl 7.20, so
// the curl of an old shared host serves too. Where no curl is on PATH, the
// URL is refused when it is validated, before a run changes anything.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/http_attempts.h"
#include "net/http_check.h"
#include "net/http_text.h"

extern char** environ;

namespace persist {
namespace {

constexpr int kMaxRedirects = 5;
// What is kept of curl's stderr (its -v account): the end of it.
constexpr size_t kStderrCap = 16 * 1024;

// The PATH curl is looked for in: the environment's, else the usual one.
std::string SearchPath() {
  const char* path = std::getenv("PATH");
  return path != nullptr && path[0] != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
}

// The first executable `curl` on PATH; NotFound, naming PATH and the way on,
// when there is none.
absl::StatusOr<std::string> FindCurl(const std::string& url) {
  const std::string path = SearchPath();
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrCat(dir, "/curl");
    struct stat info;
    if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot check \"", url,
      "\": this persist is the static build for shared hosts, which asks the host's curl "
      "command for health checks, and there is no curl on PATH (",
      path,
      "); put curl on PATH, or run with --no-health and check the site yourself, or remove "
      "health_url from shared/.persistence-config"));
}

// "http" or "https" from the front of `url`, lower-cased, or the scheme
// that is there instead.
std::string SchemeOf(absl::string_view url) {
  return absl::AsciiStrToLower(url.substr(0, url.find("://")));
}

// The URL's form, checked by hand as libcurl's parser would (the libcurl
// build's ValidateHttpUrl): a scheme of http or https, a host, a port of 1
// to 65535 if any, and no white space or control character anywhere.
absl::Status ValidateUrlForm(const std::string& url) {
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return BadHttpUrl(url, "is malformed (white space or a control character in it)");
    }
  }
  const size_t separator = url.find("://");
  if (separator == std::string::npos || separator == 0) {
    return BadHttpUrl(url, "is malformed (no scheme such as http://)");
  }
  const std::string scheme = SchemeOf(url);
  if (scheme != "http" && scheme != "https") {
    return BadHttpUrl(url,
                      absl::StrCat("is a ", scheme, ":// URL, not an http:// or https:// one"));
  }
  absl::string_view authority = absl::string_view(url).substr(separator + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) authority.remove_prefix(at + 1);
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {  // an IPv6 address, [::1]:8080
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return BadHttpUrl(url, "is malformed (no ']')");
    host = authority.substr(0, close + 1);
    port = authority.substr(close + 1);
    if (!port.empty() && !absl::ConsumePrefix(&port, ":")) {
      return BadHttpUrl(url, "is malformed (text after ']')");
    }
  } else if (const size_t colon = authority.find(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") return BadHttpUrl(url, "has no host");
  int number = 0;
  if (!port.empty() && (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535)) {
    return BadHttpUrl(url, absl::StrCat("is malformed (port \"", port, "\" is not 1 to 65535)"));
  }
  return absl::OkStatus();
}

// Seconds for curl's --max-time, to the millisecond ("0.3").
std::string Seconds(absl::Duration duration) {
  return absl::StrCat(absl::ToDoubleSeconds(absl::Trunc(duration, absl::Milliseconds(1))));
}

std::vector<std::string> CurlArgv(const std::string& curl, const std::string& url,
                                  const HttpCheckOptions& options) {
  std::vector<std::string> argv = {curl,
                                   "-q",
                                   "-sS",
                                   "-v",
                                   "-i",
                                   "--noproxy",
                                   "*",
                                   "--proto",
                                   "=http,https",
                                   "-A",
                                   "persist-health-check",
                                   "--max-time",
                                   Seconds(options.timeout),
                                   "--connect-timeout",
                                   Seconds(options.timeout)};
  if (options.follow_redirects) {
    argv.insert(argv.end(), {"-L", "--max-redirs", absl::StrCat(kMaxRedirects), "--proto-redir",
                             "=http,https"});
  }
  argv.push_back("--");
  argv.push_back(url);
  return argv;
}

// What curl wrote and how it ended.
struct CurlRun {
  std::string out;  // stdout: header blocks, then the body (cut past the cap)
  std::string err;  // the end of stderr
  // Stopped by us once stdout held more than the cap's worth: the answer
  // came, its rest is not wanted.
  bool stopped_at_cap = false;
  // Stopped by us 5 s after its own --max-time.
  bool overran = false;
  int exit_code = -1;  // -1 when a signal ended it
  int signal = 0;
};

// Header blocks are small; past this much stdout beyond the cap, the body
// has surely passed kHttpBodyCap.
constexpr size_t kHeaderAllowance = 64 * 1024;

// Splits stdout into the last answer's status and its body: -i writes
// every response's header block, an interim 1xx and, with -L, each
// redirect's, and only the last response's body.
void SplitAnswer(const std::string& out, bool follow_redirects, HttpAttempt* answer) {
  absl::string_view rest = out;
  while (absl::StartsWith(rest, "HTTP/")) {
    const size_t end = rest.find("\r\n\r\n");
    if (end == absl::string_view::npos) break;
    absl::string_view status_line = rest.substr(0, rest.find("\r\n"));
    std::vector<absl::string_view> words = absl::StrSplit(status_line, ' ', absl::SkipEmpty());
    long status = 0;
    if (words.size() >= 2 && absl::SimpleAtoi(words[1], &status)) answer->status = status;
    rest.remove_prefix(end + 4);
    const bool interim = status >= 100 && status < 200;
    const bool followed =
        follow_redirects && status >= 300 && status < 400 && absl::StartsWith(rest, "HTTP/");
    if (!interim && !followed) break;
  }
  answer->capped = rest.size() > kHttpBodyCap;
  answer->body = std::string(rest.substr(0, kHttpBodyCap));
}

// Reads curl's stdout and stderr until both close: stdout until it holds
// the cap's worth of body (then curl is stopped: the rest is not wanted),
// stderr keeping its end. Stops a curl that outlives its own --max-time by
// 5 s.
void ReadCurl(pid_t pid, int out_fd, int err_fd, absl::Duration timeout, CurlRun* run) {
  const absl::Time deadline = absl::Now() + timeout + absl::Seconds(5);
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const int wait_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    const int ready = poll(fds, 2, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {  // past the deadline (or poll failed): stop waiting
      kill(pid, SIGKILL);
      run->overran = true;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[64 * 1024];
      const ssize_t got = read(fds[i].fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        continue;
      }
      std::string& sink = i == 0 ? run->out : run->err;
      sink.append(buffer, static_cast<size_t>(got));
      if (i == 1 && sink.size() > 2 * kStderrCap) sink.erase(0, sink.size() - kStderrCap);
    }
    if (run->out.size() > kHttpBodyCap + kHeaderAllowance) {
      kill(pid, SIGKILL);
      run->stopped_at_cap = true;
      break;
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) run->exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run->signal = WTERMSIG(status);
}

// Runs `argv` with stdout and stderr to pipes; Internal when it cannot start.
absl::StatusOr<CurlRun> RunCurl(const std::vector<std::string>& argv, absl::Duration timeout) {
  int out_pipe[2];
  int err_pipe[2];
  // O_CLOEXEC: a check run in another thread must not hand these on.
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("cannot make a pipe for ", argv[0], ": ",
                                            std::strerror(errno), "; try again"));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int error = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    return absl::InternalError(absl::StrCat("cannot make a pipe for ", argv[0], ": ",
                                            std::strerror(error), "; try again"));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  CurlRun run;
  if (error == 0) ReadCurl(pid, out_pipe[0], err_pipe[0], timeout, &run);
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (error != 0) {
    return absl::InternalError(absl::StrCat("cannot run ", argv[0],
                                            " for the health check: ", std::strerror(error),
                                            "; check that it is an executable curl"));
  }
  return run;
}

// curl's own message, "curl: (7) Failed to connect ...", without its
// prefix; "" when it printed none.
std::string CurlMessage(const std::string& err) {
  std::string message;
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (absl::ConsumePrefix(&line, "curl: (")) {
      const size_t close = line.find(") ");
      message = std::string(close == absl::string_view::npos ? line : line.substr(close + 2));
    }
  }
  return std::string(absl::StripAsciiWhitespace(message));
}

// Why a curl that ended so got no whole answer, in the words the libcurl
// build uses (http_check.cc's TransferFailure), from curl's exit code.
std::string TransferFailure(const CurlRun& run, const HttpCheckOptions& options) {
  if (run.overran) return absl::StrCat("timed out after ", DurationInWords(options.timeout));
  if (run.signal != 0) return absl::StrCat("curl was ended by signal ", run.signal);
  const std::string message = CurlMessage(run.err);
  const std::string detail =
      message.empty() ? absl::StrCat("curl exited with status ", run.exit_code) : message;
  switch (run.exit_code) {
    case 7:  // CURLE_COULDNT_CONNECT
      if (absl::StrContains(run.err, "Connection refused")) return "connection refused";
      return absl::StrCat("cannot connect: ", detail);
    case 28:  // CURLE_OPERATION_TIMEDOUT
      return absl::StrCat("timed out after ", DurationInWords(options.timeout));
    case 6:  // CURLE_COULDNT_RESOLVE_HOST
      return absl::StrCat("cannot resolve the host: ", detail);
    case 52:  // CURLE_GOT_NOTHING
      return "the server closed the connection without answering";
    case 56:  // CURLE_RECV_ERROR
      if (absl::StrContains(run.err, "Connection reset")) return "the server reset the connection";
      return absl::StrCat("cannot read the answer: ", detail);
    case 47:  // CURLE_TOO_MANY_REDIRECTS
      return absl::StrCat("more than ", kMaxRedirects, " redirects");
    case 35:  // CURLE_SSL_CONNECT_ERROR
    case 51:  // CURLE_PEER_FAILED_VERIFICATION (old curl)
    case 58:  // CURLE_SSL_CERTPROBLEM
    case 60:  // CURLE_PEER_FAILED_VERIFICATION
    case 77:  // CURLE_SSL_CACERT_BADFILE
      return absl::StrCat("TLS: ", detail);
    default:
      return detail;
  }
}

}  // namespace

absl::Status ValidateHttpUrl(const std::string& url) {
  if (absl::Status form = ValidateUrlForm(url); !form.ok()) return form;
  return FindCurl(url).status();
}

absl::StatusOr<HttpCheckResult> CheckUrl(const std::string& url, const HttpExpectation& expect,
                                         const HttpCheckOptions& options) {
  if (absl::Status status = CheckOptionsInRange(url, options); !status.ok()) return status;
  if (absl::Status form = ValidateUrlForm(url); !form.ok()) return form;
  absl::StatusOr<std::string> curl = FindCurl(url);
  if (!curl.ok()) return curl.status();
  const std::vector<std::string> argv = CurlArgv(*curl, url, options);
  return RunAttempts(url, expect, options, [&]() -> absl::StatusOr<HttpAttempt> {
    absl::StatusOr<CurlRun> run = RunCurl(argv, options.timeout);
    if (!run.ok()) return run.status();
    HttpAttempt answer;
    SplitAnswer(run->out, options.follow_redirects, &answer);
    if (run->exit_code != 0 && !run->stopped_at_cap) {
      answer.transfer_failure = TransferFailure(*run, options);
    }
    return answer;
  });
}

}  // namespace persist
