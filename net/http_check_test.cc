// Copyright persist authors.
//
// CheckUrl against real sockets on 127.0.0.1: a canned server, a port that
// refuses, a server that never answers.

#include "net/http_check.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/canned_http_server.h"

namespace persist {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Quick retries: the tests wait for nothing they do not mean to.
HttpCheckOptions Quick() {
  HttpCheckOptions options;
  options.timeout = absl::Seconds(5);
  options.attempts = 3;
  options.pause = absl::Milliseconds(10);
  return options;
}

HttpCheckResult MustCheck(const std::string& url, const HttpExpectation& expect,
                          const HttpCheckOptions& options) {
  absl::StatusOr<HttpCheckResult> result = CheckUrl(url, expect, options);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : HttpCheckResult();
}

TEST(CheckUrlTest, PassesOnA200AtTheFirstAttempt) {
  CannedHttpServer server({CannedResponse(200, "<h1>release v1</h1>\n")});
  ASSERT_TRUE(server.Start().ok());
  const HttpCheckResult result = MustCheck(server.Url("/"), HttpExpectation(), Quick());
  EXPECT_TRUE(result.passed) << DescribeResult(result);
  EXPECT_EQ(result.url, server.Url("/"));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.failure, "");
  EXPECT_EQ(result.body_head, "<h1>release v1</h1>");
  EXPECT_GT(result.elapsed, absl::ZeroDuration());
  EXPECT_THAT(DescribeResult(result),
              StartsWith(absl::StrCat(server.Url("/"), ": passed, status 200 (1 attempt, ")));
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0], StartsWith("GET / HTTP/1.1\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("User-Agent: persist-health-check"));
}

TEST(CheckUrlTest, BodyTextFound) {
  CannedHttpServer server({CannedResponse(200, "<title>Welcome to Acme</title>")});
  ASSERT_TRUE(server.Start().ok());
  HttpExpectation expect;
  expect.body_contains = "Welcome to Acme";
  EXPECT_TRUE(MustCheck(server.Url("/"), expect, Quick()).passed);
}

TEST(CheckUrlTest, ConnectionRefused) {
  RefusingPort refusing;
  ASSERT_NE(refusing.port(), 0);
  const std::string url = absl::StrCat("http://127.0.0.1:", refusing.port(), "/");
  const HttpCheckResult result = MustCheck(url, HttpExpectation(), Quick());
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.failure, "connection refused");
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(result.body_head, "");
  EXPECT_EQ(DescribeResult(result).find('\n'), std::string::npos);
  EXPECT_THAT(DescribeResult(result),
              StartsWith(absl::StrCat(url, ": failed: connection refused (3 attempts, ")));
}

TEST(CheckUrlTest, AServerThatNeverAnswersTimesOut) {
  CannedHttpServer server({std::string(kNeverAnswer)});
  ASSERT_TRUE(server.Start().ok());
  HttpCheckOptions options = Quick();
  options.timeout = absl::Milliseconds(300);
  options.attempts = 2;
  const HttpCheckResult result = MustCheck(server.Url("/"), HttpExpectation(), options);
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.failure, "timed out after 300 ms");
  EXPECT_EQ(result.attempts, 2);
  // Two timeouts and a pause; well short of the default 10 s each.
  EXPECT_GE(result.elapsed, absl::Milliseconds(600));
  EXPECT_LT(result.elapsed, absl::Seconds(5));
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(CheckUrlTest, Status500FailsWithItsBody) {
  CannedHttpServer server({CannedResponse(500, "fatal\n")});
  ASSERT_TRUE(server.Start().ok());
  const HttpCheckResult result = MustCheck(server.Url("/health"), HttpExpectation(), Quick());
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.status, 500);
  EXPECT_EQ(result.failure, "status 500 outside 200-399");
  EXPECT_EQ(result.body_head, "fatal");
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(server.requests().size(), 3u);
  const std::string description = DescribeResult(result);
  EXPECT_THAT(description,
              StartsWith(absl::StrCat(server.Url("/health"),
                                      ": failed: status 500 outside 200-399 (3 attempts, ")));
  EXPECT_THAT(description, HasSubstr(")\n  body: fatal"));
}

TEST(CheckUrlTest, BodyTextMissing) {
  CannedHttpServer server({CannedResponse(200, "Hello, World")});
  ASSERT_TRUE(server.Start().ok());
  HttpExpectation expect;
  expect.body_contains = "Welcome";
  const HttpCheckResult result = MustCheck(server.Url("/"), expect, Quick());
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.failure, "body does not contain \"Welcome\"");
  EXPECT_EQ(result.body_head, "Hello, World");
}

TEST(CheckUrlTest, RetriesUntilItPasses) {
  CannedHttpServer server({CannedResponse(503, "maintenance"), CannedResponse(200, "release v2")});
  ASSERT_TRUE(server.Start().ok());
  const HttpCheckResult result = MustCheck(server.Url("/"), HttpExpectation(), Quick());
  EXPECT_TRUE(result.passed) << DescribeResult(result);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body_head, "release v2");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(CheckUrlTest, OneAttemptIsOne) {
  CannedHttpServer server({CannedResponse(503, "maintenance")});
  ASSERT_TRUE(server.Start().ok());
  HttpCheckOptions options = Quick();
  options.attempts = 1;
  const HttpCheckResult result = MustCheck(server.Url("/"), HttpExpectation(), options);
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(CheckUrlTest, ARedirectIsJudgedByItsOwnStatus) {
  CannedHttpServer server(
      {CannedResponse(302, "", "Location: /login\r\n"), CannedResponse(200, "login page")});
  ASSERT_TRUE(server.Start().ok());
  HttpCheckOptions options = Quick();
  options.attempts = 1;
  const HttpCheckResult result = MustCheck(server.Url("/"), HttpExpectation(), options);
  EXPECT_TRUE(result.passed) << DescribeResult(result);
  EXPECT_EQ(result.status, 302);
  EXPECT_EQ(server.requests().size(), 1u);  // the login page was not asked for

  HttpExpectation only_200;
  only_200.max_status = 200;
  CannedHttpServer again({CannedResponse(302, "", "Location: /login\r\n")});
  ASSERT_TRUE(again.Start().ok());
  const HttpCheckResult refused = MustCheck(again.Url("/"), only_200, options);
  EXPECT_FALSE(refused.passed);
  EXPECT_EQ(refused.failure, "status 302, expected 200");
}

TEST(CheckUrlTest, FollowsRedirectsWhenAsked) {
  CannedHttpServer server(
      {CannedResponse(302, "", "Location: /login\r\n"), CannedResponse(200, "login page")});
  ASSERT_TRUE(server.Start().ok());
  HttpCheckOptions options = Quick();
  options.attempts = 1;
  options.follow_redirects = true;
  HttpExpectation only_200;
  only_200.max_status = 200;
  const HttpCheckResult result = MustCheck(server.Url("/"), only_200, options);
  EXPECT_TRUE(result.passed) << DescribeResult(result);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body_head, "login page");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[1], StartsWith("GET /login HTTP/1.1\r\n"));
}

TEST(CheckUrlTest, ReadsAHugeBodyOnlyUpToTheCap) {
  // 8 MiB of page, the text the check looks for only at its end.
  const std::string body = std::string(8 << 20, 'x') + "Welcome";
  CannedHttpServer server({CannedResponse(200, body)});
  ASSERT_TRUE(server.Start().ok());
  HttpExpectation expect;
  expect.body_contains = "Welcome";
  HttpCheckOptions options = Quick();
  options.attempts = 1;
  const HttpCheckResult result = MustCheck(server.Url("/"), expect, options);
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.failure, "body does not contain \"Welcome\" in its first 64 KiB");
  EXPECT_LE(result.body_head.size(), 1024u);

  // Without a text to find, the same page passes: the cap is not a failure.
  CannedHttpServer again({CannedResponse(200, body)});
  ASSERT_TRUE(again.Start().ok());
  EXPECT_TRUE(MustCheck(again.Url("/"), HttpExpectation(), options).passed);
}

TEST(CheckUrlTest, ABodyIsMadePrintable) {
  CannedHttpServer server({CannedResponse(500, "\x1b]0;pwned\x07oops\r\nline 2\r\n")});
  ASSERT_TRUE(server.Start().ok());
  HttpCheckOptions options = Quick();
  options.attempts = 1;
  const HttpCheckResult result = MustCheck(server.Url("/"), HttpExpectation(), options);
  EXPECT_EQ(result.body_head, "?]0;pwned?oops\nline 2");
  EXPECT_THAT(DescribeResult(result), HasSubstr("\n  body: ?]0;pwned?oops"));
}

// A proxy named by the environment must not take a check of a loopback
// URL: here the proxy refuses every connection, so the check would fail
// through it.
TEST(CheckUrlTest, IgnoresTheProxyOfTheEnvironment) {
  CannedHttpServer server({CannedResponse(200, "direct")});
  ASSERT_TRUE(server.Start().ok());
  RefusingPort proxy;
  ASSERT_NE(proxy.port(), 0);
  const std::string proxy_url = absl::StrCat("http://127.0.0.1:", proxy.port());
  for (const char* name : {"http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) {
    setenv(name, proxy_url.c_str(), 1);
  }
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  HttpCheckOptions options = Quick();
  options.attempts = 1;
  const HttpCheckResult result = MustCheck(server.Url("/"), HttpExpectation(), options);
  for (const char* name : {"http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) {
    unsetenv(name);
  }
  EXPECT_TRUE(result.passed) << DescribeResult(result);
  EXPECT_EQ(result.body_head, "direct");
}

TEST(CheckUrlTest, RefusesWhatIsNotAnHttpUrl) {
  const std::string bad[] = {
      "",
      "127.0.0.1:8080/",
      "ftp://127.0.0.1/",
      "file:///etc/passwd",
      "gopher://127.0.0.1/",
      "http://",
      "http:///path",
      "http://exa mple.com/",
      "http://127.0.0.1:99999/",
  };
  for (const std::string& url : bad) {
    absl::StatusOr<HttpCheckResult> result = CheckUrl(url, HttpExpectation(), Quick());
    ASSERT_FALSE(result.ok()) << "accepted \"" << url << "\"";
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(result.status().message(),
                HasSubstr(absl::StrCat("health check URL \"", url, "\"")));
    EXPECT_THAT(result.status().message(), HasSubstr("give a full http:// or https:// URL"));
  }
  EXPECT_THAT(CheckUrl("ftp://127.0.0.1/", HttpExpectation(), Quick()).status().message(),
              HasSubstr("is a ftp:// URL, not an http:// or https:// one"));
}

TEST(CheckUrlTest, RefusesOptionsOutOfRange) {
  HttpCheckOptions no_attempt = Quick();
  no_attempt.attempts = 0;
  HttpCheckOptions no_time = Quick();
  no_time.timeout = absl::ZeroDuration();
  HttpCheckOptions negative_pause = Quick();
  negative_pause.pause = absl::Milliseconds(-1);
  for (const HttpCheckOptions& options : {no_attempt, no_time, negative_pause}) {
    absl::StatusOr<HttpCheckResult> result =
        CheckUrl("http://127.0.0.1/", HttpExpectation(), options);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(), HasSubstr("options out of range"));
  }
}

TEST(DescribeResultTest, OneLineWhenPassedTwoWhenAFailureHasABody) {
  HttpCheckResult result;
  result.url = "http://127.0.0.1:8080/";
  result.passed = true;
  result.status = 200;
  result.attempts = 1;
  result.elapsed = absl::Milliseconds(12);
  EXPECT_EQ(DescribeResult(result),
            "http://127.0.0.1:8080/: passed, status 200 (1 attempt, 12 ms)");

  result.passed = false;
  result.status = 500;
  result.failure = "status 500 outside 200-399";
  result.body_head = "fatal\nsecond line";
  result.attempts = 3;
  result.elapsed = absl::Milliseconds(2100);
  EXPECT_EQ(DescribeResult(result),
            "http://127.0.0.1:8080/: failed: status 500 outside 200-399 (3 attempts, 2.1 s)\n"
            "  body: fatal");
}

}  // namespace
}  // namespace persist
