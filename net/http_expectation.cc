// Copyright persist authors.
//
// ParseHttpExpectation: the profile's health_expect, "200", "200-299" or
// "200-399 Welcome to Acme".

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/http_check.h"

namespace persist {
namespace {

constexpr int kLowestStatus = 100;
constexpr int kHighestStatus = 599;

absl::Status Refuse(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "health_expect \"", absl::Utf8SafeCEscape(text), "\": ", why,
      "; write a status or a range of statuses, then optionally the text the body must "
      "contain, e.g. \"200\", \"200-299\" or \"200-399 Welcome to Acme\""));
}

// A status of three digits within 100-599; false for anything else.
bool ParseStatus(absl::string_view digits, int* status) {
  if (digits.size() != 3) return false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(digits, status) && *status >= kLowestStatus && *status <= kHighestStatus;
}

}  // namespace

absl::StatusOr<HttpExpectation> ParseHttpExpectation(absl::string_view text) {
  const absl::string_view line = absl::StripAsciiWhitespace(text);
  if (line.empty()) return Refuse(text, "it is empty");
  for (char c : line) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u == '\n' || u == '\r') return Refuse(text, "it holds more than one line");
    if ((u < 0x20 && u != '\t') || u == 0x7f) {
      return Refuse(text, "it holds a control character");
    }
  }

  const size_t space = line.find_first_of(" \t");
  const absl::string_view statuses = line.substr(0, space);
  const absl::string_view body =
      space == absl::string_view::npos ? "" : absl::StripLeadingAsciiWhitespace(line.substr(space));

  HttpExpectation expect;
  const size_t dash = statuses.find('-');
  const absl::string_view low = statuses.substr(0, dash);
  const absl::string_view high = dash == absl::string_view::npos ? low : statuses.substr(dash + 1);
  if (!ParseStatus(low, &expect.min_status) || !ParseStatus(high, &expect.max_status)) {
    return Refuse(text, absl::StrCat("\"", absl::Utf8SafeCEscape(statuses),
                                     "\" is not a status (100-599) or a range of them "
                                     "(LOW-HIGH)"));
  }
  if (expect.min_status > expect.max_status) {
    return Refuse(text, absl::StrCat("the range ", statuses, " runs backwards"));
  }
  expect.body_contains = std::string(body);
  return expect;
}

std::string DescribeStatusRange(const HttpExpectation& expect) {
  if (expect.min_status == expect.max_status) return absl::StrCat(expect.min_status);
  return absl::StrCat(expect.min_status, "-", expect.max_status);
}

}  // namespace persist
