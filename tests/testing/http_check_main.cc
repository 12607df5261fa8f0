// Copyright persist authors.
//
// http_check: CheckUrl (net/http_check.h) from the shell, for the tests
// that run a real web server (tests/stack).
//
//   http_check URL [EXPECTATION] [--attempts=N] [--timeout-ms=N] [--pause-ms=N]
//
// EXPECTATION is a health_expect ("200", "200-299 Welcome"; default: any
// status 200-399). Prints DescribeResult, and exits 0 when the check
// passed, 1 when it failed, 2 on bad arguments or an error.

#include <stdio.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "net/http_check.h"

namespace {

int Usage(const char* why) {
  fprintf(stderr,
          "http_check: %s\n"
          "usage: http_check URL [EXPECTATION] [--attempts=N] [--timeout-ms=N] [--pause-ms=N]\n",
          why);
  return 2;
}

// Parses "--NAME=N" into *value; false when `arg` is not that flag.
bool IntFlag(absl::string_view arg, absl::string_view name, int* value, bool* bad) {
  if (!absl::ConsumePrefix(&arg, name) || !absl::ConsumePrefix(&arg, "=")) return false;
  *bad = !absl::SimpleAtoi(arg, value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words;
  int attempts = 3, timeout_ms = 10000, pause_ms = 1000;
  for (int i = 1; i < argc; ++i) {
    bool bad = false;
    const absl::string_view arg = argv[i];
    if (IntFlag(arg, "--attempts", &attempts, &bad) ||
        IntFlag(arg, "--timeout-ms", &timeout_ms, &bad) ||
        IntFlag(arg, "--pause-ms", &pause_ms, &bad)) {
      if (bad) return Usage("a flag's value is not a whole number");
    } else if (absl::StartsWith(arg, "--")) {
      return Usage("unknown flag");
    } else {
      words.emplace_back(arg);
    }
  }
  if (words.empty() || words.size() > 2) return Usage("give a URL and, optionally, an expectation");

  persist::HttpExpectation expect;
  if (words.size() == 2) {
    absl::StatusOr<persist::HttpExpectation> parsed = persist::ParseHttpExpectation(words[1]);
    if (!parsed.ok()) {
      fprintf(stderr, "http_check: %s\n", parsed.status().ToString().c_str());
      return 2;
    }
    expect = *parsed;
  }
  persist::HttpCheckOptions options;
  options.attempts = attempts;
  options.timeout = absl::Milliseconds(timeout_ms);
  options.pause = absl::Milliseconds(pause_ms);
  absl::StatusOr<persist::HttpCheckResult> result = persist::CheckUrl(words[0], expect, options);
  if (!result.ok()) {
    fprintf(stderr, "http_check: %s\n", result.status().ToString().c_str());
    return 2;
  }
  printf("%s\n", persist::DescribeResult(*result).c_str());
  return result->passed ? 0 : 1;
}
