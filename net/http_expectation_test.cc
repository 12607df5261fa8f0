// Copyright persist authors.

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_check.h"

namespace persist {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ParseHttpExpectationTest, OneStatus) {
  absl::StatusOr<HttpExpectation> expect = ParseHttpExpectation("200");
  ASSERT_TRUE(expect.ok()) << expect.status();
  EXPECT_EQ(expect->min_status, 200);
  EXPECT_EQ(expect->max_status, 200);
  EXPECT_EQ(expect->body_contains, "");
  EXPECT_EQ(DescribeStatusRange(*expect), "200");
}

TEST(ParseHttpExpectationTest, Range) {
  absl::StatusOr<HttpExpectation> expect = ParseHttpExpectation("200-299");
  ASSERT_TRUE(expect.ok()) << expect.status();
  EXPECT_EQ(expect->min_status, 200);
  EXPECT_EQ(expect->max_status, 299);
  EXPECT_EQ(expect->body_contains, "");
  EXPECT_EQ(DescribeStatusRange(*expect), "200-299");
}

TEST(ParseHttpExpectationTest, RangeAndBodyTextKeepsInnerSpaces) {
  absl::StatusOr<HttpExpectation> expect =
      ParseHttpExpectation("  200-399   Welcome to  Acme \t\n");
  ASSERT_TRUE(expect.ok()) << expect.status();
  EXPECT_EQ(expect->min_status, 200);
  EXPECT_EQ(expect->max_status, 399);
  EXPECT_EQ(expect->body_contains, "Welcome to  Acme");
}

TEST(ParseHttpExpectationTest, StatusAndBodyTextAfterATab) {
  absl::StatusOr<HttpExpectation> expect = ParseHttpExpectation("302\tLocation: /login");
  ASSERT_TRUE(expect.ok()) << expect.status();
  EXPECT_EQ(expect->min_status, 302);
  EXPECT_EQ(expect->max_status, 302);
  EXPECT_EQ(expect->body_contains, "Location: /login");
}

TEST(ParseHttpExpectationTest, BodyTextMayBeUtf8) {
  absl::StatusOr<HttpExpectation> expect = ParseHttpExpectation("200 Willkommen im Café");
  ASSERT_TRUE(expect.ok()) << expect.status();
  EXPECT_EQ(expect->body_contains, "Willkommen im Café");
}

TEST(ParseHttpExpectationTest, EdgesOfTheStatuses) {
  absl::StatusOr<HttpExpectation> expect = ParseHttpExpectation("100-599");
  ASSERT_TRUE(expect.ok()) << expect.status();
  EXPECT_EQ(expect->min_status, 100);
  EXPECT_EQ(expect->max_status, 599);
}

// Each bad text is refused with InvalidArgument, and the message names the
// text and shows the form.
TEST(ParseHttpExpectationTest, RefusesWhatIsNotTheForm) {
  const std::string bad[] = {
      "",
      "   ",
      "OK",
      "20",
      "2000",
      "099",
      "600",
      "-200",
      "200-",
      "299-200",
      "200-299-399",
      "200,301",
      "2O0",
      "+200",
      "200 - 299x\nmore",
      "200 two\nlines",
      "200 bell\a",
      "0x0c8",
      "200-2 99",
  };
  for (const std::string& text : bad) {
    absl::StatusOr<HttpExpectation> expect = ParseHttpExpectation(text);
    ASSERT_FALSE(expect.ok()) << "accepted \"" << text << "\"";
    EXPECT_EQ(expect.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(expect.status().message(),
                AllOf(HasSubstr("health_expect \""), HasSubstr("\"200-399 Welcome to Acme\"")))
        << text;
  }
}

TEST(ParseHttpExpectationTest, MessagesSayWhatIsWrong) {
  EXPECT_THAT(ParseHttpExpectation("").status().message(), HasSubstr("it is empty"));
  EXPECT_THAT(ParseHttpExpectation("299-200").status().message(),
              HasSubstr("the range 299-200 runs backwards"));
  EXPECT_THAT(ParseHttpExpectation("OK computer").status().message(),
              AllOf(HasSubstr("health_expect \"OK computer\""),
                    HasSubstr("\"OK\" is not a status (100-599)")));
  EXPECT_THAT(ParseHttpExpectation("200 a\nb").status().message(), HasSubstr("more than one line"));
}

}  // namespace
}  // namespace persist
