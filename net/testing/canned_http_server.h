// Copyright persist authors.
//
// canned_http_server: a tiny HTTP server on 127.0.0.1 for tests of the
// health check, answering each connection with the next of a list of
// canned responses, byte for byte. Real sockets, a real kernel: what libcurl
// meets is what it meets in production, short of a real application.
//
//   CannedHttpServer server({"HTTP/1.1 503 ...", "HTTP/1.1 200 ..."});
//   ASSERT_TRUE(server.Start().ok());
//   CheckUrl(server.Url("/"), ...);   // the first connection gets the 503
//
// Test-only; one thread serves the connections one at a time.

#ifndef PERSIST_NET_TESTING_CANNED_HTTP_SERVER_H_
#define PERSIST_NET_TESTING_CANNED_HTTP_SERVER_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace persist {

// A response that is never sent: the connection is accepted, its request
// read, and then the server says nothing until it stops (a hung backend).
inline constexpr absl::string_view kNeverAnswer = "<never answer>";

// "HTTP/1.1 STATUS REASON" with Content-Length and Connection: close, and
// `extra_headers` (each ending in "\r\n") before the blank line.
std::string CannedResponse(int status, absl::string_view body,
                           absl::string_view extra_headers = "");

class CannedHttpServer {
 public:
  // The i-th connection gets responses[i]; those after the last get the
  // last one again.
  explicit CannedHttpServer(std::vector<std::string> responses);
  // Stops serving and closes every connection.
  ~CannedHttpServer();
  CannedHttpServer(const CannedHttpServer&) = delete;
  CannedHttpServer& operator=(const CannedHttpServer&) = delete;

  // Listens on 127.0.0.1 on a port the kernel picks, and serves in a thread.
  absl::Status Start();
  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path.
  std::string Url(absl::string_view path) const;
  // The requests received so far, each up to the blank line after its
  // headers.
  std::vector<std::string> requests() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  void Serve();
  void Answer(int connection, const std::string& response);

  const std::vector<std::string> responses_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};  // written to by the destructor
  int port_ = 0;
  std::thread thread_;
  std::vector<int> silent_;  // connections kept open without an answer
  mutable absl::Mutex mutex_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mutex_);
};

// A port on 127.0.0.1 where a connection is refused: a socket bound to it
// and not listening, which holds the port so that nothing else can take it
// while it lives.
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  // 0 when the socket could not be bound.
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace persist

#endif  // PERSIST_NET_TESTING_CANNED_HTTP_SERVER_H_
