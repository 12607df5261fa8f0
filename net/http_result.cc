// Copyright persist authors.
//
// DescribeResult: a check's result in words. Apart from CheckUrl, so that
// the build without libcurl (http_check_unavailable.cc) has it too.

#include <string>

#include "absl/strings/str_cat.h"
#include "net/http_check.h"
#include "net/http_text.h"

namespace persist {

std::string DescribeResult(const HttpCheckResult& result) {
  const std::string tally =
      absl::StrCat("(", result.attempts, result.attempts == 1 ? " attempt, " : " attempts, ",
                   DurationInWords(result.elapsed), ")");
  if (result.passed) {
    return absl::StrCat(result.url, ": passed, status ", result.status, " ", tally);
  }
  std::string text = absl::StrCat(result.url, ": failed: ", result.failure, " ", tally);
  if (!result.body_head.empty()) {
    absl::StrAppend(&text, "\n  body: ", FirstLine(result.body_head, 160));
  }
  return text;
}

}  // namespace persist
