// Copyright persist authors.

#include "net/http_attempts.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/http_text.h"

namespace persist {
namespace {

// Why an answer with `status` and its body does not meet `expect`; "" when
// it does.
std::string AnswerFailure(const HttpAttempt& answer, const HttpExpectation& expect) {
  if (answer.status < expect.min_status || answer.status > expect.max_status) {
    if (expect.min_status == expect.max_status) {
      return absl::StrCat("status ", answer.status, ", expected ", expect.min_status);
    }
    return absl::StrCat("status ", answer.status, " outside ", DescribeStatusRange(expect));
  }
  if (!expect.body_contains.empty() &&
      answer.body.find(expect.body_contains) == std::string::npos) {
    return absl::StrCat("body does not contain \"", absl::Utf8SafeCEscape(expect.body_contains),
                        "\"", answer.capped ? " in its first 64 KiB" : "");
  }
  return "";
}

}  // namespace

absl::Status BadHttpUrl(const std::string& url, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("health check URL \"", absl::Utf8SafeCEscape(url), "\" ", why,
                   "; give a full http:// or https:// URL, e.g. http://127.0.0.1:8080/ or "
                   "https://shop.example.com/up"));
}

absl::Status CheckOptionsInRange(const std::string& url, const HttpCheckOptions& options) {
  if (options.attempts >= 1 && options.timeout > absl::ZeroDuration() &&
      options.pause >= absl::ZeroDuration()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "HTTP check of ", url, ": options out of range (attempts ", options.attempts, ", timeout ",
      absl::FormatDuration(options.timeout), ", pause ", absl::FormatDuration(options.pause),
      "); a check needs at least 1 attempt, a timeout above 0 and a pause of 0 or more"));
}

absl::StatusOr<HttpCheckResult> RunAttempts(
    const std::string& url, const HttpExpectation& expect, const HttpCheckOptions& options,
    absl::FunctionRef<absl::StatusOr<HttpAttempt>()> attempt) {
  HttpCheckResult result;
  result.url = url;
  const absl::Time start = absl::Now();
  for (int number = 1; number <= options.attempts; ++number) {
    if (number > 1) absl::SleepFor(options.pause);
    result.attempts = number;
    absl::StatusOr<HttpAttempt> answer = attempt();
    if (!answer.ok()) return answer.status();
    result.status = answer->status;
    result.body_head = PrintableHead(answer->body);
    result.failure = answer->transfer_failure.empty() ? AnswerFailure(*answer, expect)
                                                      : answer->transfer_failure;
    result.passed = result.failure.empty();
    if (result.passed) break;
  }
  result.elapsed = absl::Now() - start;
  return result;
}

}  // namespace persist
