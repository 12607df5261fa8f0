// Copyright persist authors.

#include "cli/args.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "base/error_kind.h"

namespace persist {
namespace {

const std::set<std::string> kValueFlags = {"root", "mode", "id"};
const std::set<std::string> kSwitches = {"json", "dry-run"};

absl::StatusOr<Args> Parse(const std::vector<std::string>& argv) {
  return ParseArgs("deploy", argv, kValueFlags, kSwitches);
}

bool Contains(absl::string_view text, absl::string_view part) {
  return text.find(part) != absl::string_view::npos;
}

TEST(ParseArgsTest, TakesAValueFromTheNextArgument) {
  absl::StatusOr<Args> args = Parse({"--root", "/srv/site"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("root", "."), "/srv/site");
  EXPECT_TRUE(args->positional.empty());
}

TEST(ParseArgsTest, TakesAValueAfterAnEqualsSign) {
  absl::StatusOr<Args> args = Parse({"--root=/srv/site"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("root", "."), "/srv/site");
}

TEST(ParseArgsTest, KeepsEverythingAfterTheFirstEqualsSign) {
  absl::StatusOr<Args> args = Parse({"--id=a=b", "--root="});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("id", ""), "a=b");
  EXPECT_EQ(args->Get("root", "."), "");
}

TEST(ParseArgsTest, AnAbsentValueFlagGivesTheFallback) {
  absl::StatusOr<Args> args = Parse({"src"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->Get("root", "."), ".");
}

TEST(ParseArgsTest, TheLastValueOfARepeatedFlagWins) {
  absl::StatusOr<Args> args = Parse({"--root", "a", "--root=b"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->Get("root", "."), "b");
}

TEST(ParseArgsTest, GetAllKeepsEveryValueOfARepeatedFlagInOrder) {
  absl::StatusOr<Args> args = Parse({"--root", "a", "--id", "x", "--root=b"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->GetAll("root"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(args->GetAll("id"), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(args->GetAll("keep").empty());
}

TEST(ParseArgsTest, SeparatesSwitchesValuesAndPositionalsInOrder) {
  absl::StatusOr<Args> args =
      Parse({"incoming/v2", "--json", "--mode", "first", "extra", "--dry-run"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positional, (std::vector<std::string>{"incoming/v2", "extra"}));
  EXPECT_TRUE(args->Has("json"));
  EXPECT_TRUE(args->Has("dry-run"));
  EXPECT_FALSE(args->Has("merge-new"));
  EXPECT_EQ(args->Get("mode", "auto"), "first");
}

TEST(ParseArgsTest, AnUnknownFlagIsAnErrorNamingIt) {
  absl::StatusOr<Args> args = Parse({"src", "--bogus"});
  ASSERT_FALSE(args.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(args.status())) << args.status();
  EXPECT_TRUE(Contains(args.status().message(), "--bogus")) << args.status();
  EXPECT_TRUE(Contains(args.status().message(), "deploy --help")) << args.status();
  absl::StatusOr<Args> with_value = Parse({"--bogus=1"});
  ASSERT_FALSE(with_value.ok());
  EXPECT_TRUE(Contains(with_value.status().message(), "--bogus")) << with_value.status();
}

TEST(ParseArgsTest, AMissingValueIsAnErrorNamingTheFlag) {
  absl::StatusOr<Args> args = Parse({"src", "--root"});
  ASSERT_FALSE(args.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(args.status())) << args.status();
  EXPECT_TRUE(Contains(args.status().message(), "--root")) << args.status();
  EXPECT_TRUE(Contains(args.status().message(), "value")) << args.status();
  EXPECT_TRUE(Contains(args.status().message(), "deploy --help")) << args.status();
}

TEST(ParseArgsTest, ASwitchGivenAValueIsAnError) {
  absl::StatusOr<Args> args = Parse({"--json=yes"});
  ASSERT_FALSE(args.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(args.status())) << args.status();
  EXPECT_TRUE(Contains(args.status().message(), "--json")) << args.status();
}

TEST(ParseArgsTest, DoubleDashEndsTheFlags) {
  absl::StatusOr<Args> args = Parse({"--json", "--", "--root", "-x"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->Has("json"));
  EXPECT_EQ(args->positional, (std::vector<std::string>{"--root", "-x"}));
  EXPECT_TRUE(args->values.empty());
}

TEST(ParseArgsTest, SingleDashArgumentsArePositional) {
  absl::StatusOr<Args> args = Parse({"-", "-v"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positional, (std::vector<std::string>{"-", "-v"}));
}

TEST(ExpectIdTest, AcceptsAReleaseId) {
  EXPECT_TRUE(ExpectId("20261128T101500Z-2", "release", "persist log lists them").ok());
}

TEST(ExpectIdTest, SaysThereIsNoSuchReleaseForAPathAndExitsTwo) {
  absl::Status status = ExpectId("../../etc", "release", "ls releases/ shows the releases");
  EXPECT_EQ(ErrorKindOf(status), ErrorKind::kUsage);
  EXPECT_TRUE(Contains(status.message(), "there is no release \"../../etc\"")) << status;
  EXPECT_TRUE(Contains(status.message(), "holds a '/'")) << status;
  EXPECT_TRUE(Contains(status.message(), "ls releases/ shows the releases")) << status;
}

TEST(ExpectIdTest, KeepsAMessageAboutAnIdWithANewlineOnOneLine) {
  absl::Status status = ExpectId("a\nb", "run", "persist log lists the runs");
  EXPECT_EQ(ErrorKindOf(status), ErrorKind::kUsage);
  EXPECT_FALSE(Contains(status.message(), "\n")) << status;
  EXPECT_TRUE(Contains(status.message(), "there is no run \"a\\x0ab\"")) << status;
}

}  // namespace
}  // namespace persist
