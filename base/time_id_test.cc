// Copyright persist authors.

#include "base/time_id.h"

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

absl::Time At(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

TEST(TimeIdTest, IsTheUtcSecond) {
  EXPECT_EQ(TimeId(At(2026, 11, 28, 10, 15, 0)), "20261128T101500Z");
  EXPECT_EQ(TimeId(At(2026, 11, 28, 10, 15, 0) + absl::Milliseconds(999)), "20261128T101500Z");
  EXPECT_EQ(TimeId(At(2027, 1, 2, 3, 4, 5)), "20270102T030405Z");
}

TEST(TimeIdTest, LaterSecondsSortLater) {
  const absl::Time t = At(2026, 12, 31, 23, 59, 58);
  EXPECT_LT(TimeId(t), TimeId(t + absl::Seconds(1)));
  EXPECT_LT(TimeId(t + absl::Seconds(1)), TimeId(t + absl::Seconds(2)));  // into 2027
}

TEST(NewTimeIdTest, IsTheTimeIdWhenItIsFree) {
  std::vector<std::string> asked;
  absl::StatusOr<std::string> id =
      NewTimeId(At(2026, 11, 28, 10, 15, 0), [&](const std::string& candidate) {
        asked.push_back(candidate);
        return false;
      });
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "20261128T101500Z");
  EXPECT_EQ(asked, std::vector<std::string>{"20261128T101500Z"});
}

TEST(NewTimeIdTest, AddsTheFirstFreeSuffixWhenTaken) {
  const std::set<std::string> taken = {"20261128T101500Z", "20261128T101500Z-2",
                                        "20261128T101500Z-3"};
  absl::StatusOr<std::string> id =
      NewTimeId(At(2026, 11, 28, 10, 15, 0),
                [&](const std::string& candidate) { return taken.count(candidate) > 0; });
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "20261128T101500Z-4");
}

TEST(NewTimeIdTest, ReturnsTheErrorOfTheCheck) {
  int asked = 0;
  absl::StatusOr<std::string> id =
      NewTimeId(At(2026, 11, 28, 10, 15, 0), [&](const std::string&) -> absl::StatusOr<bool> {
        if (++asked == 1) return true;
        return absl::DataLossError("journal unreadable");
      });
  EXPECT_EQ(id.status(), absl::DataLossError("journal unreadable"));
  EXPECT_EQ(asked, 2);
}

}  // namespace
}  // namespace persist
