// Copyright persist authors.
//
// http_attempts: what both ways of asking a URL share (libcurl in
// http_check.cc; the host's curl command in http_check_curl_command.cc, for
// the static build): the refusal of a bad URL or bad options, the retry
// loop, and the judgement of an answer against the expectation. Each way
// only makes one attempt and says what came back. Internal to net/.

#ifndef PERSIST_NET_HTTP_ATTEMPTS_H_
#define PERSIST_NET_HTTP_ATTEMPTS_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/http_check.h"

namespace persist {

// What one attempt got.
struct HttpAttempt {
  // The answer's status; 0 when none came.
  long status = 0;
  // The body, at most kHttpBodyCap bytes of it.
  std::string body;
  // Whether the body went on past kHttpBodyCap (the rest was not read).
  bool capped = false;
  // Why no whole answer came, in words ("connection refused", "timed out
  // after 10 s"); "" when one did, which is then judged by its status and
  // body.
  std::string transfer_failure;
};

// InvalidArgument for a URL CheckUrl refuses: names `url`, says `why` ("has
// no host") and shows the form.
absl::Status BadHttpUrl(const std::string& url, absl::string_view why);

// InvalidArgument, naming `url`, for options out of range (attempts < 1,
// timeout <= 0, pause < 0); OK otherwise.
absl::Status CheckOptionsInRange(const std::string& url, const HttpCheckOptions& options);

// Makes `attempt` up to options.attempts times, options.pause apart, until
// an answer meets `expect`, and says what the last one got. `attempt` makes
// one fresh request; an error from it ends the check with that error.
absl::StatusOr<HttpCheckResult> RunAttempts(
    const std::string& url, const HttpExpectation& expect, const HttpCheckOptions& options,
    absl::FunctionRef<absl::StatusOr<HttpAttempt>()> attempt);

}  // namespace persist

#endif  // PERSIST_NET_HTTP_ATTEMPTS_H_
