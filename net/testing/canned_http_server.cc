// Copyright persist authors.

#include "net/testing/canned_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace persist {
namespace {

// How long the server waits for a request's headers before it answers
// anyway: a client that sends nothing must not stall the test.
constexpr int kRequestWaitMs = 2000;

absl::Status SocketError(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("canned HTTP server: ", what, ": ", std::strerror(errno)));
}

// A TCP socket bound to 127.0.0.1 on a port the kernel picks; -1 on error.
int BindLoopback(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::string CannedResponse(int status, absl::string_view body, absl::string_view extra_headers) {
  return absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\nContent-Type: text/html\r\n",
                      "Content-Length: ", body.size(), "\r\nConnection: close\r\n", extra_headers,
                      "\r\n", body);
}

CannedHttpServer::CannedHttpServer(std::vector<std::string> responses)
    : responses_(std::move(responses)) {}

CannedHttpServer::~CannedHttpServer() {
  if (thread_.joinable()) {
    const char stop = 's';
    while (write(stop_pipe_[1], &stop, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  for (int fd : silent_) close(fd);
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
    if (fd >= 0) close(fd);
  }
}

absl::Status CannedHttpServer::Start() {
  if (responses_.empty()) return absl::InvalidArgumentError("canned HTTP server: no responses");
  listen_fd_ = BindLoopback(&port_);
  if (listen_fd_ < 0) return SocketError("cannot bind a socket to 127.0.0.1");
  if (listen(listen_fd_, 16) != 0) return SocketError("cannot listen on 127.0.0.1");
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) return SocketError("cannot make a pipe");
  thread_ = std::thread(&CannedHttpServer::Serve, this);
  return absl::OkStatus();
}

std::string CannedHttpServer::Url(absl::string_view path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

std::vector<std::string> CannedHttpServer::requests() const {
  absl::MutexLock lock(&mutex_);
  return requests_;
}

void CannedHttpServer::Serve() {
  size_t served = 0;
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int connection = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    const std::string& response = responses_[std::min(served, responses_.size() - 1)];
    ++served;
    Answer(connection, response);
  }
}

void CannedHttpServer::Answer(int connection, const std::string& response) {
  // The request's headers first: answering before they are read would have
  // the kernel reset the connection when it closes with them unread.
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    pollfd fd = {connection, POLLIN, 0};
    if (poll(&fd, 1, kRequestWaitMs) <= 0) break;
    const ssize_t n = read(connection, buffer, sizeof(buffer));
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  {
    absl::MutexLock lock(&mutex_);
    requests_.push_back(request.substr(0, request.find("\r\n\r\n")));
  }
  if (response == kNeverAnswer) {
    silent_.push_back(connection);
    return;
  }
  // MSG_NOSIGNAL: a client that hangs up early (the check's body cap) must
  // not kill the test with SIGPIPE.
  size_t sent = 0;
  while (sent < response.size()) {
    const ssize_t n =
        send(connection, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(connection, SHUT_WR);
  close(connection);
}

RefusingPort::RefusingPort() { fd_ = BindLoopback(&port_); }

RefusingPort::~RefusingPort() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace persist
