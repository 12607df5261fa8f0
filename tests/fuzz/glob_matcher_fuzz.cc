// Copyright persist authors.
//
// Fuzzes GlobMatches (fnmatch with FNM_PATHNAME) and the classifier's use of
// it. The input's first line is a pattern as a profile would hold it (a
// trailing '/' for directories only), each further line a path. Checked: a
// match never lets a wildcard cross '/', a pattern without wildcards matches
// only itself, nothing holding a NUL byte matches, and a profile holding just
// that pattern classifies each path by it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "planner/classifier.h"
#include "planner/profile.h"
#include "tests/fuzz/fuzz_check.h"

namespace persist {
namespace {

size_t Slashes(const std::string& text) { return std::count(text.begin(), text.end(), '/'); }

void Fuzz(const std::string& input) {
  std::vector<std::string> lines = absl::StrSplit(input, '\n');
  const std::string written = lines.front();
  lines.erase(lines.begin());

  const std::string pattern =
      !written.empty() && written.back() == '/' ? written.substr(0, written.size() - 1) : written;
  const bool literal = pattern.find_first_of("*?[\\") == std::string::npos;
  for (const std::string& path : lines) {
    const bool matches = GlobMatches(pattern, path);
    // Under FNM_PATHNAME only a '/' in the pattern matches a '/' in the path.
    if (matches) FUZZ_CHECK(Slashes(path) <= Slashes(pattern));
    // No file name holds a NUL: such a pattern or path matches nothing.
    if (pattern.find('\0') != std::string::npos || path.find('\0') != std::string::npos) {
      FUZZ_CHECK(!matches);
    } else if (literal) {
      FUZZ_CHECK(matches == (pattern == path));
    }
  }

  // The same pattern as the only rule of a profile, in a class the input picks.
  Profile profile;
  profile.set_replace_defaults(true);
  const PathClass classes[] = {PathClass::kShared, PathClass::kUser, PathClass::kRuntime,
                               PathClass::kCustom, PathClass::kApp};
  const PathClass cls = classes[input.size() % 5];
  switch (cls) {
    case PathClass::kShared: profile.add_shared(written); break;
    case PathClass::kUser: profile.add_user(written); break;
    case PathClass::kRuntime: profile.add_runtime(written); break;
    case PathClass::kCustom: profile.add_custom(written); break;
    case PathClass::kApp: profile.add_app(written); break;
  }
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(profile);
  if (!rules.ok()) return;
  FUZZ_CHECK(rules->size() == 1);
  const Rule& rule = rules->front();
  FUZZ_CHECK(rule.pattern == pattern);
  const Classifier classifier(*rules);
  for (const std::string& path : lines) {
    for (bool is_dir : {false, true}) {
      const Classification row = classifier.Classify(path, is_dir);
      const bool applies = (is_dir || !rule.dir_only) &&
                           (rule.is_glob() ? GlobMatches(pattern, path) : pattern == path);
      FUZZ_CHECK(row.cls == (applies ? cls : PathClass::kApp));
      FUZZ_CHECK(row.conflict.empty());
    }
  }
}

}  // namespace
}  // namespace persist

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  persist::Fuzz(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
