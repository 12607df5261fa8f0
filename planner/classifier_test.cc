// Copyright persist authors.

#include "planner/classifier.h"

#include "gtest/gtest.h"
#include "planner/profile.h"
#include "tests/testing/tree_snapshot.h"

namespace persist {
namespace {

Classifier Blueprint() { return Classifier(BlueprintRules()); }

TEST(ClassifierTest, GetsTheBlueprintsOwnExamplesRight) {
  Classifier classifier = Blueprint();
  EXPECT_EQ(classifier.Classify("public/flags", true).cls, PathClass::kApp);
  EXPECT_EQ(classifier.Classify("public/uploads", true).cls, PathClass::kUser);
  EXPECT_EQ(classifier.Classify("public/user-uploads", true).cls, PathClass::kUser);
  EXPECT_EQ(classifier.Classify("public/qrcodes", true).cls, PathClass::kRuntime);
  EXPECT_EQ(classifier.Classify("public/invoices", true).cls, PathClass::kRuntime);
  EXPECT_EQ(classifier.Classify(".env", false).cls, PathClass::kShared);
  EXPECT_EQ(classifier.Classify("storage", true).cls, PathClass::kShared);
  EXPECT_EQ(classifier.Classify("bootstrap/cache", true).cls, PathClass::kShared);
  EXPECT_EQ(classifier.Classify("public/custom-banners", true).cls, PathClass::kCustom);
  EXPECT_EQ(classifier.Classify("vendor", true).cls, PathClass::kApp);
}

TEST(ClassifierTest, TempPatternDoesNotTakeTemplates) {
  Classification templates = Blueprint().Classify("public/templates", true);
  EXPECT_EQ(templates.cls, PathClass::kApp);
  EXPECT_NE(templates.conflict.find("*temp*"), std::string::npos) << templates.conflict;
  EXPECT_EQ(Blueprint().Classify("public/temp", true).cls, PathClass::kRuntime);
}

TEST(ClassifierTest, TrailingSlashPatternsMatchDirectoriesOnly) {
  EXPECT_EQ(Blueprint().Classify("public/default-avatar.png", false).cls, PathClass::kApp);
  EXPECT_EQ(Blueprint().Classify("public/avatars", true).cls, PathClass::kUser);
}

TEST(ClassifierTest, GlobStarNeverCrossesASlash) {
  EXPECT_TRUE(GlobMatches("public/*upload*", "public/uploads"));
  EXPECT_FALSE(GlobMatches("public/*upload*", "public/a/uploads"));
  EXPECT_EQ(Blueprint().Classify("public/img/uploads", true).cls, PathClass::kApp);
}

// fnmatch reads C strings: without the check, "storage\0x" matched
// "storage" (found by tests/fuzz/glob_matcher_fuzz.cc).
TEST(ClassifierTest, GlobMatchesNothingHoldingANulByte) {
  EXPECT_FALSE(GlobMatches("storage", std::string("storage\0x", 9)));
  EXPECT_FALSE(GlobMatches(std::string("storage\0x", 9), "storage"));
  EXPECT_FALSE(GlobMatches(std::string("*\0", 2), std::string("a\0", 2)));
  EXPECT_TRUE(GlobMatches("storage", "storage"));
}

TEST(ClassifierTest, AppBeatsASharedPatternAndReportsTheConflict) {
  Classification both = Blueprint().Classify("public/img-uploads", true);
  EXPECT_EQ(both.cls, PathClass::kApp);
  EXPECT_NE(both.rule.find("public/img*"), std::string::npos) << both.rule;
  EXPECT_NE(both.conflict.find("*upload*"), std::string::npos) << both.conflict;
}

TEST(ClassifierTest, AnExplicitProfilePathBeatsEveryGlob) {
  absl::StatusOr<Profile> profile =
      ParseProfile("user: \"public/images/gallery/\"\napp: \"public/uploads-static\"\n", "p");
  ASSERT_TRUE(profile.ok()) << profile.status();
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(*profile);
  ASSERT_TRUE(rules.ok());
  Classifier classifier(*rules);
  Classification gallery = classifier.Classify("public/images/gallery", true);
  EXPECT_EQ(gallery.cls, PathClass::kUser);
  EXPECT_NE(gallery.rule.find("profile"), std::string::npos);
  EXPECT_EQ(classifier.Classify("public/uploads-static", true).cls, PathClass::kApp);
}

TEST(ProfileTest, AMalformedProfileNamesFileLineAndColumn) {
  absl::StatusOr<Profile> profile = ParseProfile("user: \"public/a/\"\n\nkeep_releases: many\n", "shared/.persistence-config");
  ASSERT_FALSE(profile.ok());
  EXPECT_NE(std::string(profile.status().message()).find("shared/.persistence-config:3:"),
            std::string::npos)
      << profile.status();
}

TEST(ProfileTest, APatternThatEscapesTheSiteIsRefused) {
  for (const char* bad : {"user: \"/etc/\"", "user: \"../outside/\"", "shared: \"\""}) {
    absl::StatusOr<Profile> profile = ParseProfile(bad, "p");
    EXPECT_FALSE(profile.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(profile.status())) << profile.status();
  }
}

TEST(ClassifierTest, ClassifiesTheCandidatesOfARealTree) {
  testing::TempDir dir;
  testing::WriteFile(dir.Sub("app/.env.example"), "APP_KEY=\n");
  testing::WriteFile(dir.Sub("app/.env"), "APP_KEY=x\n");
  testing::MakeDir(dir.Sub("app/storage/app/custom"));
  testing::MakeDir(dir.Sub("app/public/uploads"));
  testing::MakeDir(dir.Sub("app/public/templates"));
  testing::WriteFile(dir.Sub("app/public/default-avatar.png"), "png");
  testing::MakeDir(dir.Sub("app/bootstrap/cache"));
  testing::MakeDir(dir.Sub("app/vendor"));
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), dir.path());
  ASSERT_TRUE(root.ok());
  absl::StatusOr<std::vector<Classification>> rows = Blueprint().ClassifyTree(**root, "app");
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::map<std::string, PathClass> got;
  for (const Classification& row : *rows) got[row.path] = row.cls;
  EXPECT_EQ(got.at(".env"), PathClass::kShared);
  EXPECT_EQ(got.at(".env.example"), PathClass::kApp);
  EXPECT_EQ(got.at("storage"), PathClass::kShared);
  EXPECT_EQ(got.at("storage/app/custom"), PathClass::kCustom);
  EXPECT_EQ(got.at("public/uploads"), PathClass::kUser);
  EXPECT_EQ(got.at("public/templates"), PathClass::kApp);
  EXPECT_EQ(got.at("public/default-avatar.png"), PathClass::kApp);
  EXPECT_EQ(got.at("bootstrap/cache"), PathClass::kShared);
  EXPECT_EQ(got.at("vendor"), PathClass::kApp);
  EXPECT_EQ(got.count("public/.well-known"), 0u) << "absent paths are not listed";
}

}  // namespace
}  // namespace persist
