// Copyright persist authors.

#include "cli/flags.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cli/exit_code.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

// A refusal is a usage error (exit 2) that quotes the word and names the
// words the flag takes.
template <typename T>
void ExpectRefused(const absl::StatusOr<T>& parsed, const std::string& word,
                   const std::string& choices) {
  ASSERT_FALSE(parsed.ok()) << "accepted \"" << word << "\"";
  EXPECT_EQ(ExitCodeOf(parsed.status()), 2);
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), word)) << parsed.status();
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), choices)) << parsed.status();
}

TEST(FlagsTest, DeployModeTakesAutoFirstSubsequentAndTheBlueprintsTrueAndFalse) {
  EXPECT_EQ(*ParseDeployMode("auto"), DeployRequest::kAuto);
  EXPECT_EQ(*ParseDeployMode("first"), DeployRequest::kFirst);
  EXPECT_EQ(*ParseDeployMode("subsequent"), DeployRequest::kSubsequent);
  EXPECT_EQ(*ParseDeployMode("true"), DeployRequest::kFirst);
  EXPECT_EQ(*ParseDeployMode("false"), DeployRequest::kSubsequent);
  for (const std::string word : {"First", "yes", "subsequent ", "1", "verify", "TRUE"}) {
    ExpectRefused(ParseDeployMode(word), "\"" + word + "\"", "auto, first or subsequent");
  }
}

TEST(FlagsTest, LinkModeAndEnvironmentTakeTheBlueprintsWords) {
  EXPECT_EQ(*ParseLinkMode("true"), LinkRequest::kFirst);
  EXPECT_EQ(*ParseLinkMode("false"), LinkRequest::kSubsequent);
  EXPECT_EQ(*ParseLinkMode("verify"), LinkRequest::kVerify);
  EXPECT_EQ(*ParseLinkMode("custom"), LinkRequest::kCustom);
  ExpectRefused(ParseLinkMode("check"), "\"check\"", "first, subsequent, auto, verify or custom");
  EXPECT_FALSE(*ParseLinkEnvIsLocal("server"));
  EXPECT_TRUE(*ParseLinkEnvIsLocal("local"));
  ExpectRefused(ParseLinkEnvIsLocal("staging"), "\"staging\"", "server or local");
}

TEST(FlagsTest, DedupeTakesTheFourModesOfTheJournal) {
  EXPECT_EQ(*ParseDedupe("off"), DEDUPE_OFF);
  EXPECT_EQ(*ParseDedupe("auto"), DEDUPE_AUTO);
  EXPECT_EQ(*ParseDedupe("reflink"), DEDUPE_REFLINK);
  EXPECT_EQ(*ParseDedupe("hardlink"), DEDUPE_HARDLINK);
  ExpectRefused(ParseDedupe("symlink"), "'symlink'", "auto, reflink, hardlink or off");
}

// Each of `words`, given as --`flag`, is refused by `parse`, which quotes it
// and names `choices`.
template <typename Parse>
void ExpectWordsRefused(Parse parse, const std::string& flag, const std::vector<std::string>& words,
                        const std::string& choices) {
  Args args;
  for (const std::string& word : words) {
    args.values[flag] = word;
    ExpectRefused(parse(args), "--" + flag + " \"" + word + "\"", choices);
  }
}

TEST(FlagsTest, FleetRunIsAnIdOrAbsent) {
  Args args;
  EXPECT_EQ(*ParseFleetRun(args), "");
  args.values["fleet-run"] = "fleet-20261128T101500Z";
  EXPECT_EQ(*ParseFleetRun(args), "fleet-20261128T101500Z");
  ExpectWordsRefused(ParseFleetRun, "fleet-run", {"", "..", "a/b"},
                     "the id the fleet's controller chose");
}

TEST(FlagsTest, ExpectCurrentIsAReleaseIdOrEmptyForNone) {
  Args args;
  EXPECT_EQ(*ParseExpectCurrent(args), std::nullopt);
  args.values["expect-current"] = "v1";
  EXPECT_EQ(*ParseExpectCurrent(args), "v1");
  args.values["expect-current"] = "";
  EXPECT_EQ(*ParseExpectCurrent(args), "");
  ExpectWordsRefused(ParseExpectCurrent, "expect-current", {"..", "releases/v1"}, "or '' for none");
}

TEST(FlagsTest, KeepIsAWholeNumberOfOneOrMore) {
  Args args;
  EXPECT_EQ(*ParseKeep(args), std::nullopt);
  args.values["keep"] = "3";
  EXPECT_EQ(*ParseKeep(args), 3);
  for (const std::string word : {"0", "-1", "3x", "", "many"}) {
    args.values["keep"] = word;
    ExpectRefused(ParseKeep(args), "--keep", "1 or more");
  }
}

TEST(FlagsTest, IntentsAndManifestTakeTheirTwoWords) {
  EXPECT_TRUE(*ParseIntentsGrouped("grouped"));
  EXPECT_FALSE(*ParseIntentsGrouped("per-op"));
  ExpectRefused(ParseIntentsGrouped("each"), "\"each\"", "grouped or per-op");
  EXPECT_TRUE(*ParseManifest("on"));
  EXPECT_FALSE(*ParseManifest("off"));
  ExpectRefused(ParseManifest("yes"), "\"yes\"", "on or off");
}

TEST(FlagsTest, TrashModeComesFromTheFlagThenTheVariableThenBackground) {
  unsetenv(kTrashModeVariable);
  Args args;
  EXPECT_EQ(*TrashModeOf(args), TrashMode::kBackground);
  setenv(kTrashModeVariable, "later", 1);
  EXPECT_EQ(*TrashModeOf(args), TrashMode::kLater);
  args.values["empty-trash"] = "wait";
  EXPECT_EQ(*TrashModeOf(args), TrashMode::kWait);
  args.values["empty-trash"] = "now";
  ExpectRefused(TrashModeOf(args), "--empty-trash", "background, wait or later");
  args.values.erase("empty-trash");
  setenv(kTrashModeVariable, "soon", 1);
  ExpectRefused(TrashModeOf(args), kTrashModeVariable, "background, wait or later");
  unsetenv(kTrashModeVariable);
}

}  // namespace
}  // namespace persist
