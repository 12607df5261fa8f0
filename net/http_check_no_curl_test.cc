// Copyright persist authors.
//
// The curl command way (the static build's) where the host has no curl: a
// URL is refused when it is validated, naming PATH and the way on, so a
// deploy learns it before it changes anything. A malformed URL is still
// refused as malformed first.

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_check.h"

namespace persist {
namespace {

using ::testing::HasSubstr;

// PATH set to a directory without curl for the life of the object.
class PathWithoutCurl {
 public:
  PathWithoutCurl() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    empty_dir_ = std::string(tmp != nullptr ? tmp : "/tmp");
    const char* old = std::getenv("PATH");
    old_path_ = old != nullptr ? old : "";
    setenv("PATH", empty_dir_.c_str(), 1);
  }
  ~PathWithoutCurl() { setenv("PATH", old_path_.c_str(), 1); }
  const std::string& dir() const { return empty_dir_; }

 private:
  std::string empty_dir_;
  std::string old_path_;
};

TEST(NoCurlTest, AUrlIsRefusedWithTheWayOn) {
  PathWithoutCurl path;
  const absl::Status status = ValidateHttpUrl("http://127.0.0.1:8080/");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("cannot check \"http://127.0.0.1:8080/\""));
  EXPECT_THAT(status.message(), HasSubstr("no curl on PATH (" + path.dir() + ")"));
  EXPECT_THAT(status.message(), HasSubstr("--no-health"));

  HttpCheckOptions options;
  options.attempts = 1;
  const absl::StatusOr<HttpCheckResult> result =
      CheckUrl("http://127.0.0.1:8080/", HttpExpectation(), options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(NoCurlTest, AMalformedUrlIsRefusedAsSuchFirst) {
  PathWithoutCurl path;
  const absl::Status status = ValidateHttpUrl("ftp://127.0.0.1/");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("is a ftp:// URL"));
}

}  // namespace
}  // namespace persist
