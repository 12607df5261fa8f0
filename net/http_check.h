// Copyright persist authors.
//
// http_check: is the site answering as it should? One URL asked over HTTP
// (libcurl, or the curl command), its status and body held against what the profile expects
// (health_expect), retried a few times before it is called failed.
//
// A check says what it saw, in words an operator can act on: "connection
// refused", "status 500 outside 200-399", "body does not contain
// \"Welcome\"", "timed out after 10 s". A failing check is a result, not an
// error: the caller decides what a failure means (undo the run, or report).
//
// What a check does not do, and why:
//  - follow redirects (unless asked): a 302 to a login page is an answer of
//    the application, judged by its own status;
//  - use a proxy from the environment (http_proxy, HTTPS_PROXY, ...): a check
//    of http://127.0.0.1/ must reach this machine's server, not a proxy;
//  - read a body without end: at most kHttpBodyCap bytes are kept, and the
//    body text is looked for in those;
//  - send cookies or credentials, or ask for a compressed body.
//
// The static build (--config=static) has no libcurl: there a check runs the
// host's curl command, one process per attempt (http_check_curl_command.cc),
// with the same results in the same words. Where no curl is on PATH,
// ValidateHttpUrl and CheckUrl refuse every URL with FailedPrecondition,
// naming PATH and the way on (--no-health).
//
// Thread-safe: libcurl is initialised once, on the first check; checks may
// run side by side.

#ifndef PERSIST_NET_HTTP_CHECK_H_
#define PERSIST_NET_HTTP_CHECK_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace persist {

// What a healthy answer looks like: a status within [min_status,
// max_status] and, unless empty, a body that holds `body_contains`.
struct HttpExpectation {
  int min_status = 200;
  int max_status = 399;
  std::string body_contains;
};

// Parses the profile's health_expect: a status or a range of statuses, then
// optionally, after white space, the text the body must hold (the rest of
// the line, inner spaces kept, outer ones dropped). For example "200",
// "200-299", "200-399 Welcome to Acme". Statuses are 100 to 599, a range
// low to high. InvalidArgument, naming the text and the expected form, for
// anything else: an empty text, a range backwards, a second line.
absl::StatusOr<HttpExpectation> ParseHttpExpectation(absl::string_view text);

// The expectation's statuses as the messages print them: "200" or "200-399".
std::string DescribeStatusRange(const HttpExpectation& expect);

struct HttpCheckOptions {
  // For one attempt, connecting included.
  absl::Duration timeout = absl::Seconds(10);
  // Attempts in all, at least 1; the check stops at the first that passes.
  int attempts = 3;
  // Between one failed attempt and the next.
  absl::Duration pause = absl::Seconds(1);
  // Follow up to 5 redirects to http:// or https:// URLs, and judge the last
  // answer. Off by default: see the top of this file.
  bool follow_redirects = false;
};

// The most of a body a check reads; the rest is not fetched.
inline constexpr size_t kHttpBodyCap = 64 * 1024;

struct HttpCheckResult {
  std::string url;
  bool passed = false;
  // The last attempt's HTTP status; 0 when it got no response.
  long status = 0;
  // The last attempt's body, its first lines only (at most about 1 KiB),
  // made printable: control characters and bytes that are not UTF-8 become
  // '?', "\r\n" becomes "\n".
  std::string body_head;
  // Why the last attempt failed, in words ("" when passed): "connection
  // refused", "status 500 outside 200-399", "body does not contain
  // \"Welcome\"", "timed out after 10 s".
  std::string failure;
  // Attempts made.
  int attempts = 0;
  // From the first attempt's start to the last one's end, pauses included.
  absl::Duration elapsed;
};

// InvalidArgument, naming the URL and showing the form, unless `url` is an
// http:// or https:// URL with a host: what CheckUrl refuses, asked before
// a check is due (a deploy validates its health URLs before it runs).
absl::Status ValidateHttpUrl(const std::string& url);

// Asks `url` until an answer meets `expect` or `options.attempts` are
// spent. A check that fails is a result (passed false), not an error. The
// Status is InvalidArgument only for a URL that is not an http:// or
// https:// URL with a host (the message names it and shows the form), or for
// options out of range (attempts < 1, timeout <= 0, pause < 0), and Internal
// when libcurl cannot be initialised.
absl::StatusOr<HttpCheckResult> CheckUrl(const std::string& url, const HttpExpectation& expect,
                                         const HttpCheckOptions& options);

// The result for a message, one line, or two when a failed check got a body:
//   http://127.0.0.1:8080/: passed, status 200 (1 attempt, 12 ms)
//   http://127.0.0.1:8080/: failed: status 500 outside 200-399 (3 attempts, 2.1 s)
//     body: fatal
std::string DescribeResult(const HttpCheckResult& result);

}  // namespace persist

#endif  // PERSIST_NET_HTTP_CHECK_H_
