// Copyright persist authors.
//
// Fuzzes what a deploy does with a site's shared/.persistence-config:
// ParseProfile, RulesOf, KeepReleases, then the classifier built from those
// rules over typical release paths, the profile's own patterns taken as
// paths, and the small site of fuzz_site.h (ClassifyTree).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "planner/classifier.h"
#include "planner/profile.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_site.h"

namespace persist {
namespace {

constexpr const char* kPaths[] = {
    ".env",           "storage",          "bootstrap/cache", "public/uploads",
    "public/avatars", "public/qrcodes",   "public/js",       "public/templates",
    "public/index.php", "vendor",         "app",             "storage/app/custom",
    "public/.well-known", "public/custom-x", "routes/web.php", "public/build/app.js",
};

void CheckClassification(const Classification& row, const std::string& path, bool is_dir) {
  FUZZ_CHECK(row.path == path);
  FUZZ_CHECK(row.is_dir == is_dir);
  FUZZ_CHECK(!row.rule.empty());
  // A conflict is reported only where APP overruled a persistent rule.
  if (!row.conflict.empty()) FUZZ_CHECK(row.cls == PathClass::kApp);
}

void Fuzz(const std::string& text) {
  absl::StatusOr<Profile> profile = ParseProfile(text, "shared/.persistence-config");
  if (!profile.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(profile.status()));
    return;
  }
  // ParseProfile promises that the profile it returns has valid rules.
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(*profile);
  FUZZ_CHECK(rules.ok());
  FUZZ_CHECK(KeepReleases(*profile) != 0);
  std::vector<std::string> paths(std::begin(kPaths), std::end(kPaths));
  for (const Rule& rule : *rules) {
    FUZZ_CHECK(!rule.pattern.empty());
    FUZZ_CHECK(!rule.Describe().empty());
    if (rule.from_profile) paths.push_back(rule.pattern);
  }
  const Classifier classifier(*rules);
  for (const std::string& path : paths) {
    for (bool is_dir : {false, true}) {
      CheckClassification(classifier.Classify(path, is_dir), path, is_dir);
    }
  }
  for (const Rule& rule : classifier.ExactPersistentRules()) {
    FUZZ_CHECK(rule.cls != PathClass::kApp && !rule.is_glob());
  }
  for (const char* release : {"releases/r1", "incoming/v2"}) {
    absl::StatusOr<std::vector<Classification>> tree = classifier.ClassifyTree(FuzzSite(), release);
    if (!tree.ok()) continue;
    for (size_t i = 1; i < tree->size(); ++i) FUZZ_CHECK((*tree)[i - 1].path < (*tree)[i].path);
  }
}

}  // namespace
}  // namespace persist

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  persist::Fuzz(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
