// Copyright persist authors.
//
// CheckUrl on libcurl's easy interface: one handle per check, one fresh
// connection per attempt.

#include "net/http_check.h"

#include <curl/curl.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/http_attempts.h"
#include "net/http_text.h"

namespace persist {
namespace {

constexpr long kMaxRedirects = 5;

// curl_global_init is not thread-safe in every libcurl, and must run once
// before any handle is made: a function-local static is initialised exactly
// once, the other threads waiting for it. The library stays initialised
// until the process ends (curl_global_cleanup would race with checks still
// running in other threads).
absl::Status InitCurlOnce() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code == CURLE_OK) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("cannot initialise libcurl for the HTTP check: ", curl_easy_strerror(code),
                   "; check that libcurl4 and its TLS library are installed whole (tools/setup)"));
}

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

// The body as it arrives, up to kHttpBodyCap bytes; past the cap the
// transfer is stopped (the callback refuses the rest), so a huge or endless
// page costs no more memory than the cap.
struct BodySink {
  std::string data;
  bool capped = false;
};

size_t WriteBody(char* bytes, size_t size, size_t count, void* user) {
  BodySink* sink = static_cast<BodySink*>(user);
  const size_t length = size * count;
  const size_t room = kHttpBodyCap - sink->data.size();
  if (length > room) {
    sink->data.append(bytes, room);
    sink->capped = true;
    return 0;  // CURLE_WRITE_ERROR: enough has been read
  }
  sink->data.append(bytes, length);
  return length;
}

// Why a transfer that ended in `code` got no whole answer, in words.
std::string TransferFailure(CURL* curl, CURLcode code, const char* error_buffer,
                            const HttpCheckOptions& options) {
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return "connection refused";
      if (os_errno != 0) return absl::StrCat("cannot connect: ", std::strerror(os_errno));
      return absl::StrCat("cannot connect: ", detail);
    case CURLE_OPERATION_TIMEDOUT:
      return absl::StrCat("timed out after ", DurationInWords(options.timeout));
    case CURLE_COULDNT_RESOLVE_HOST:
      return absl::StrCat("cannot resolve the host: ", detail);
    case CURLE_GOT_NOTHING:
      return "the server closed the connection without answering";
    case CURLE_RECV_ERROR:
      if (os_errno == ECONNRESET) return "the server reset the connection";
      return absl::StrCat("cannot read the answer: ", detail);
    case CURLE_TOO_MANY_REDIRECTS:
      return absl::StrCat("more than ", kMaxRedirects, " redirects");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return absl::StrCat("TLS: ", detail);
    default:
      return detail;
  }
}

// The options every attempt shares. An error here is a libcurl built
// without what a check needs; its message names the option.
absl::Status Configure(CURL* curl, const std::string& url, const HttpCheckOptions& options,
                       BodySink* body, char* error_buffer) {
  const long timeout_ms = static_cast<long>(absl::ToInt64Milliseconds(options.timeout));
  struct Setting {
    const char* name;
    CURLcode code;
  };
  const Setting settings[] = {
      {"CURLOPT_URL", curl_easy_setopt(curl, CURLOPT_URL, url.c_str())},
      {"CURLOPT_PROTOCOLS_STR", curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https")},
      {"CURLOPT_REDIR_PROTOCOLS_STR",
       curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")},
      {"CURLOPT_FOLLOWLOCATION",
       curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, options.follow_redirects ? 1L : 0L)},
      {"CURLOPT_MAXREDIRS", curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects)},
      // No proxy, whatever http_proxy, HTTPS_PROXY or ALL_PROXY say: an
      // empty CURLOPT_PROXY turns the environment's off, and NOPROXY "*"
      // exempts every host should one be set anyway.
      {"CURLOPT_PROXY", curl_easy_setopt(curl, CURLOPT_PROXY, "")},
      {"CURLOPT_NOPROXY", curl_easy_setopt(curl, CURLOPT_NOPROXY, "*")},
      // Timeouts without SIGALRM: checks may run in threads.
      {"CURLOPT_NOSIGNAL", curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)},
      {"CURLOPT_TIMEOUT_MS", curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms)},
      {"CURLOPT_CONNECTTIMEOUT_MS", curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms)},
      // Every attempt on a new connection: a retry asks the server afresh.
      {"CURLOPT_FRESH_CONNECT", curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L)},
      {"CURLOPT_FORBID_REUSE", curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L)},
      {"CURLOPT_USERAGENT", curl_easy_setopt(curl, CURLOPT_USERAGENT, "persist-health-check")},
      {"CURLOPT_WRITEFUNCTION", curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody)},
      {"CURLOPT_WRITEDATA", curl_easy_setopt(curl, CURLOPT_WRITEDATA, body)},
      {"CURLOPT_ERRORBUFFER", curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer)},
  };
  for (const Setting& setting : settings) {
    if (setting.code != CURLE_OK) {
      return absl::InternalError(absl::StrCat(
          "libcurl refuses ", setting.name, " for the HTTP check of ", url, ": ",
          curl_easy_strerror(setting.code), "; install Debian's libcurl4 (tools/setup)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// libcurl's own parser decides, so that what passes here is what the
// transfer will ask for.
absl::Status ValidateHttpUrl(const std::string& url) {
  // libcurl reads "http:///x" as "http://x/"; what the operator wrote has
  // no host, and a check must not ask another one than written.
  const size_t authority = url.find("://");
  if (authority != std::string::npos && url.compare(authority + 3, 1, "/") == 0) {
    return BadHttpUrl(url, "has no host");
  }
  std::unique_ptr<CURLU, CurlUrlDeleter> parsed(curl_url());
  if (parsed == nullptr) {
    return absl::InternalError("cannot parse the health check URL: libcurl is out of memory");
  }
  const CURLUcode code = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0);
  if (code != CURLUE_OK) {
    return BadHttpUrl(url, absl::StrCat("is malformed (", curl_url_strerror(code), ")"));
  }
  char* scheme = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
    return BadHttpUrl(url, "has no scheme");
  }
  const std::string lower = absl::AsciiStrToLower(scheme);
  curl_free(scheme);
  if (lower != "http" && lower != "https") {
    return BadHttpUrl(url, absl::StrCat("is a ", lower, ":// URL, not an http:// or https:// one"));
  }
  char* host = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    return BadHttpUrl(url, "has no host");
  }
  const bool empty_host = host[0] == '\0';
  curl_free(host);
  if (empty_host) return BadHttpUrl(url, "has no host");
  return absl::OkStatus();
}

absl::StatusOr<HttpCheckResult> CheckUrl(const std::string& url, const HttpExpectation& expect,
                                         const HttpCheckOptions& options) {
  if (absl::Status status = CheckOptionsInRange(url, options); !status.ok()) return status;
  if (absl::Status status = ValidateHttpUrl(url); !status.ok()) return status;
  if (absl::Status status = InitCurlOnce(); !status.ok()) return status;
  // Declared before the handle, which points at them: they outlive it.
  BodySink body;
  char error_buffer[CURL_ERROR_SIZE];
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot start the HTTP check of ", url,
                     ": libcurl cannot make a handle (out of memory?); try again"));
  }
  if (absl::Status status = Configure(curl.get(), url, options, &body, error_buffer);
      !status.ok()) {
    return status;
  }

  return RunAttempts(url, expect, options, [&]() -> absl::StatusOr<HttpAttempt> {
    body = BodySink();
    error_buffer[0] = '\0';
    const CURLcode code = curl_easy_perform(curl.get());
    HttpAttempt answer;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
    answer.body = std::move(body.data);
    answer.capped = body.capped;
    const bool whole = code == CURLE_OK || (code == CURLE_WRITE_ERROR && body.capped);
    if (!whole) answer.transfer_failure = TransferFailure(curl.get(), code, error_buffer, options);
    return answer;
  });
}

}  // namespace persist
