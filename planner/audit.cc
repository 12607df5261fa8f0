// Copyright persist authors.

#include "planner/audit.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {
namespace {

bool SameContent(const ManifestEntry& a, const ManifestEntry& b) {
  switch (a.type()) {
    case REGULAR:
      return a.size() == b.size() && a.digest() == b.digest();
    case SYMLINK:
      return a.link_target() == b.link_target();
    default:
      return true;
  }
}

// The pattern `persist custom add` takes to protect a drifted path: the
// directory itself (trailing /), or the file.
std::string ProtectingPattern(const std::string& path, FileType type) {
  return type == DIRECTORY ? path + "/" : path;
}

}  // namespace

const char* ChangeName(Change::Kind kind) {
  switch (kind) {
    case Change::kAdded:
      return "added";
    case Change::kRemoved:
      return "removed";
    case Change::kModified:
      return "modified";
    case Change::kMode:
      return "mode";
    case Change::kType:
      return "type";
  }
  return "modified";
}

std::vector<Change> DiffManifests(const Manifest& a, const Manifest& b) {
  std::map<std::string, const ManifestEntry*> before, after;
  for (const ManifestEntry& e : a.entry()) before[e.path()] = &e;
  for (const ManifestEntry& e : b.entry()) after[e.path()] = &e;
  std::vector<Change> changes;
  for (const auto& [path, old] : before) {
    if (path.empty()) continue;  // the release directory itself
    auto it = after.find(path);
    if (it == after.end()) {
      changes.push_back({path, Change::kRemoved});
    } else if (old->type() != it->second->type()) {
      changes.push_back({path, Change::kType});
    } else if (!SameContent(*old, *it->second)) {
      changes.push_back({path, Change::kModified});
    } else if (old->mode() != it->second->mode() && old->type() != SYMLINK) {
      changes.push_back({path, Change::kMode});
    }
  }
  for (const auto& [path, entry] : after) {
    if (!path.empty() && !before.count(path)) changes.push_back({path, Change::kAdded});
  }
  std::sort(changes.begin(), changes.end(),
            [](const Change& x, const Change& y) { return x.path < y.path; });
  return changes;
}

absl::StatusOr<ReleaseCheck> CheckRelease(const Root& site, const Manifest& manifest, bool quick) {
  ReleaseCheck result;
  const std::string& release = manifest.release_path();
  std::map<std::string, const ManifestEntry*> expected;
  for (const ManifestEntry& e : manifest.entry()) expected[e.path()] = &e;

  // Walk the live release without following links; a link into shared/
  // stands for shared data and is not looked beneath.
  std::vector<std::string> linked;
  std::set<std::string> seen;
  std::vector<std::string> pending = {""};
  Env* env = site.env();
  while (!pending.empty()) {
    const std::string rel = pending.back();
    pending.pop_back();
    const std::string path = JoinPath(release, rel);
    absl::StatusOr<PathState> state = site.Observe(path, false);
    if (!state.ok()) return state.status();
    if (state->type() == SYMLINK &&
        IsWithin(ResolveLexically(path, state->link_target()), "shared")) {
      linked.push_back(rel);
      continue;
    }
    seen.insert(rel);
    if (state->type() == DIRECTORY) {
      absl::StatusOr<Fd> dir = site.OpenDir(path);
      if (!dir.ok()) return dir.status();
      absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir->get(), path);
      if (!names.ok()) return names.status();
      for (const std::string& name : *names) pending.push_back(JoinPath(rel, name));
    }
    auto it = expected.find(rel);
    if (it == expected.end()) {
      // Not shipped: data someone wrote into application code. Only the
      // top-most such path is named (its parent was shipped).
      if (expected.count(SplitParent(rel).first)) {
        result.drifted.push_back(Problem{
            path, absl::StrCat("is not in the release as deployed (", FileTypeName(state->type()),
                               " written since); the next deploy leaves it behind"),
            absl::StrCat("persist custom add ", ProtectingPattern(rel, state->type()),
                         " (if it is user data; if it is code nobody wrote, inspect it: it may be a "
                         "planted script)")});
      }
      continue;
    }
    const ManifestEntry& want = *it->second;
    ++result.checked;
    std::string what;
    if (state->type() != want.type()) {
      what = absl::StrCat("was a ", FileTypeName(want.type()), ", is a ", FileTypeName(state->type()));
    } else if (want.type() == REGULAR) {
      if (state->size() != want.size()) {
        what = absl::StrCat("changed size (", want.size(), " -> ", state->size(), " bytes)");
      } else if (quick ? state->mtime_ns() != want.mtime_ns() : false) {
        what = "changed (its mtime differs from the deployed file's)";
      } else if (!quick) {
        absl::StatusOr<PathState> digested = site.Observe(path, true);
        if (!digested.ok()) return digested.status();
        if (digested->digest() != want.digest()) what = "changed content (SHA-256 differs)";
      }
    } else if (want.type() == SYMLINK && state->link_target() != want.link_target()) {
      what = absl::StrCat("points at ", PrintablePath(state->link_target()), ", was ",
                          PrintablePath(want.link_target()));
    }
    if (what.empty() && want.type() != SYMLINK && state->mode() != want.mode()) {
      what = absl::StrFormat("changed mode (%04o -> %04o)", want.mode(), state->mode());
    }
    if (!what.empty()) {
      result.tampered.push_back(Problem{
          path, what + " since it was deployed",
          "inspect it (persist diff shows what a release should hold); redeploy the release to restore it"});
    }
  }
  // Shipped paths that are gone, outside the linked ones.
  for (const auto& shipped : expected) {
    // A named reference, not a structured binding: lambdas may capture
    // those only from C++20 on, and clang holds C++17 to that.
    const std::string& rel = shipped.first;
    if (seen.count(rel)) continue;
    const bool under_link = std::any_of(linked.begin(), linked.end(),
                                        [&](const std::string& l) { return IsWithin(rel, l); });
    if (under_link) continue;
    const std::string parent = SplitParent(rel).first;
    if (!rel.empty() && !seen.count(parent) && expected.count(parent)) continue;  // parent reported
    result.tampered.push_back(Problem{JoinPath(release, rel), "is missing since it was deployed",
                                      "redeploy the release to restore it"});
  }
  std::sort(result.drifted.begin(), result.drifted.end(),
            [](const Problem& a, const Problem& b) { return a.path < b.path; });
  std::sort(result.tampered.begin(), result.tampered.end(),
            [](const Problem& a, const Problem& b) { return a.path < b.path; });
  return result;
}

}  // namespace persist
