// Copyright persist authors.

#include "planner/classifier.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {

bool GlobMatches(const std::string& pattern, const std::string& path) {
  // fnmatch stops at the first NUL, so "storage\0x" would match "storage".
  // No file name holds one, and a pattern holding one matches no name.
  if (pattern.find('\0') != std::string::npos || path.find('\0') != std::string::npos) return false;
  return fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0;
}

Classification Classifier::Classify(const std::string& path, bool is_dir) const {
  Classification result;
  result.path = path;
  result.is_dir = is_dir;
  const Rule* exact = nullptr;
  const Rule* app = nullptr;
  const Rule* persistent = nullptr;
  for (const Rule& rule : rules_) {
    if (rule.dir_only && !is_dir) continue;
    if (rule.is_glob() ? !GlobMatches(rule.pattern, path) : rule.pattern != path) continue;
    // Later rules (the profile's) override earlier ones of the same kind.
    if (!rule.is_glob() && rule.from_profile) exact = &rule;
    if (rule.cls == PathClass::kApp) {
      app = &rule;
    } else {
      persistent = &rule;
    }
  }
  const Rule* decided = exact;
  if (decided == nullptr) decided = app != nullptr ? app : persistent;
  if (decided == nullptr) {
    result.rule = "everything else is application code";
    return result;
  }
  result.cls = decided->cls;
  result.rule = decided->Describe();
  if (exact == nullptr && app != nullptr && persistent != nullptr) {
    result.conflict = persistent->Describe();
  }
  return result;
}

std::vector<Rule> Classifier::ExactPersistentRules() const {
  std::vector<Rule> exact;
  for (const Rule& rule : rules_) {
    if (rule.cls != PathClass::kApp && !rule.is_glob()) exact.push_back(rule);
  }
  return exact;
}

absl::StatusOr<std::vector<Classification>> Classifier::ClassifyTree(const Root& root,
                                                                     const std::string& dir) const {
  return ClassifyTree(RootTree(root, dir));
}

absl::StatusOr<std::vector<Classification>> Classifier::ClassifyTree(const SourceTree& tree) const {
  std::set<std::string> candidates;
  auto list = [&](const std::string& sub) -> absl::Status {
    absl::StatusOr<std::vector<std::string>> names = tree.List(sub);
    if (!names.ok()) {
      // Not there, or not a real directory (a link into shared/ in a deployed
      // release): nothing beneath it to classify.
      int err = StatusErrno(names.status());
      const bool skip = err == ENOENT || err == ENOTDIR || err == ELOOP || err == EXDEV;
      return skip && !sub.empty() ? absl::OkStatus() : names.status();
    }
    for (const std::string& name : *names) candidates.insert(JoinPath(sub, name));
    return absl::OkStatus();
  };
  for (const char* sub : {"", "bootstrap", "public", "storage/app"}) {
    absl::Status status = list(sub);
    if (!status.ok()) return status;
  }
  for (const Rule& rule : rules_) {
    if (!rule.is_glob()) candidates.insert(rule.pattern);
  }
  std::vector<Classification> out;
  out.reserve(candidates.size());
  const Classification* enclosing = nullptr;  // sorted order: parents come first
  for (const std::string& path : candidates) {
    absl::StatusOr<PathState> state = tree.Observe(path, false);
    if (!state.ok()) {
      // Beneath a symlink or a file (a profile path inside a linked dir).
      const int err = StatusErrno(state.status());
      if (err == ELOOP || err == ENOTDIR || err == EXDEV) continue;
      return state.status();
    }
    if (state->type() == ABSENT) continue;
    // A symlink is classified as the directory it may stand for: in a linked
    // app, public/uploads is a link into shared/ and must still be USER.
    Classification row =
        Classify(path, state->type() == DIRECTORY || state->type() == SYMLINK);
    if (enclosing != nullptr && !IsWithin(path, enclosing->path)) enclosing = nullptr;
    if (enclosing != nullptr && !row.persistent()) {
      // Inside a persistent directory: it lives in shared/ with it.
      row.cls = enclosing->cls;
      row.rule = "inside " + enclosing->path + "/ (" + PathClassName(enclosing->cls) + ")";
    }
    out.push_back(row);
    if (enclosing == nullptr && out.back().persistent() && out.back().is_dir) enclosing = &out.back();
  }
  return out;
}

}  // namespace persist
