// Copyright persist authors.
//
// classifier: a path's class (APP, SHARED, USER, RUNTIME, CUSTOM) and the
// rule that decided it.
//
// The order of precedence, from the blueprint and DESIGN.md:
//  1. a profile rule naming the path exactly (no glob) beats any glob;
//  2. where an APP rule and a persistent rule both match, APP wins ("when in
//     doubt, deploy as app code") and the conflict is reported;
//  3. a persistent rule that matches decides;
//  4. everything else is APP.
// A rule written with a trailing '/' matches directories only.

#ifndef PERSIST_PLANNER_CLASSIFIER_H_
#define PERSIST_PLANNER_CLASSIFIER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "fsops/source_tree.h"
#include "planner/profile.h"

namespace persist {

struct Classification {
  std::string path;
  PathClass cls = PathClass::kApp;
  std::string rule;      // the rule that decided, as written
  std::string conflict;  // a persistent rule that APP overruled, if any
  bool is_dir = false;
  bool persistent() const { return cls != PathClass::kApp; }
};

class Classifier {
 public:
  explicit Classifier(std::vector<Rule> rules) : rules_(std::move(rules)) {}

  Classification Classify(const std::string& path, bool is_dir) const;

  // The candidate paths of a release, classified:
  // every top-level entry, and every entry of bootstrap/, public/ and
  // storage/app/, plus every exact profile path that exists. A symlink is
  // classified as a directory would be (in a linked app it stands for one).
  // Paths are relative to the release. Sorted by path.
  absl::StatusOr<std::vector<Classification>> ClassifyTree(const SourceTree& tree) const;
  // The same of the directory `dir` beneath `root` (RootTree).
  absl::StatusOr<std::vector<Classification>> ClassifyTree(const Root& root,
                                                           const std::string& dir) const;

  // The exact (non-glob) persistent paths of the rules (storage/, .env, ...):
  // a deploy links each one that shared/ holds even when the release lacks it,
  // and seeds .env from .env.example.
  std::vector<Rule> ExactPersistentRules() const;

 private:
  std::vector<Rule> rules_;
};

// True when `path` matches `pattern`, '*' and '?' staying within one
// component (fnmatch with FNM_PATHNAME). False when either holds a NUL byte.
bool GlobMatches(const std::string& pattern, const std::string& path);

}  // namespace persist

#endif  // PERSIST_PLANNER_CLASSIFIER_H_
