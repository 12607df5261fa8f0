// Copyright persist authors.

#include "planner/audit.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

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

namespace {

// One walk of a live release against its manifest.
struct ReleaseWalk {
  Env* env;
  std::string release;
  bool quick;
  std::map<std::string, const ManifestEntry*> expected;
  std::vector<std::string> linked;  // links into shared/, not looked beneath
  std::set<std::string> seen;
  ReleaseCheck* result;
};

// Checks `name` in the directory open at `dir_fd` (`rel` in the release),
// and everything beneath it. Directory by open directory, never by path
// string: a release can hold paths longer than PATH_MAX.
absl::Status Visit(ReleaseWalk& walk, int dir_fd, const std::string& name, const std::string& rel) {
  Env* env = walk.env;
  const std::string path = JoinPath(walk.release, rel);
  absl::StatusOr<PathState> state = ObservePath(env, dir_fd, name, path, false);
  if (!state.ok()) return state.status();
  if (state->type() == SYMLINK && IsWithin(ResolveLexically(path, state->link_target()), "shared")) {
    walk.linked.push_back(rel);
    return absl::OkStatus();
  }
  walk.seen.insert(rel);
  if (state->type() == DIRECTORY) {
    absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY, 0, path);
    if (!fd.ok()) return fd.status();
    Fd dir(env, *fd, path);
    absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), path);
    if (!names.ok()) return names.status();
    for (const std::string& child : *names) {
      absl::Status status = Visit(walk, dir.get(), child, JoinPath(rel, child));
      if (!status.ok()) return status;
    }
  }
  auto it = walk.expected.find(rel);
  if (it == walk.expected.end()) {
    // Not shipped: data someone wrote into application code. Only the
    // top-most such path is named (its parent was shipped).
    if (walk.expected.count(SplitParent(rel).first)) {
      walk.result->drifted.push_back(Problem{
          path, absl::StrCat("is not in the release as deployed (", FileTypeName(state->type()),
                             " written since); the next deploy leaves it behind"),
          absl::StrCat("persist custom add ", ProtectingPattern(rel, state->type()),
                       " (if it is user data; if it is code nobody wrote, inspect it: it may be a "
                       "planted script)")});
    }
    return absl::OkStatus();
  }
  const ManifestEntry& want = *it->second;
  ++walk.result->checked;
  std::string what;
  if (state->type() != want.type()) {
    what = absl::StrCat("was a ", FileTypeName(want.type()), ", is a ", FileTypeName(state->type()));
  } else if (want.type() == REGULAR) {
    if (state->size() != want.size()) {
      what = absl::StrCat("changed size (", want.size(), " -> ", state->size(), " bytes)");
    } else if (walk.quick ? state->mtime_ns() != want.mtime_ns() : false) {
      what = "changed (its mtime differs from the deployed file's)";
    } else if (!walk.quick) {
      absl::StatusOr<PathState> digested = ObservePath(env, dir_fd, name, path, true);
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
    walk.result->tampered.push_back(Problem{
        path, what + " since it was deployed",
        "inspect it (persist diff shows what a release should hold); redeploy the release to restore it"});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReleaseCheck> CheckRelease(const Root& site, const Manifest& manifest, bool quick) {
  ReleaseCheck result;
  const std::string& release = manifest.release_path();
  ReleaseWalk walk{site.env(), release, quick, {}, {}, {}, &result};
  for (const ManifestEntry& e : manifest.entry()) walk.expected[e.path()] = &e;
  // Walk the live release without following links; a link into shared/
  // stands for shared data and is not looked beneath.
  std::string leaf;
  absl::StatusOr<Fd> parent = site.OpenParent(release, &leaf);
  if (!parent.ok()) return parent.status();
  absl::Status walked = Visit(walk, parent->get(), leaf, "");
  if (!walked.ok()) return walked;
  const std::map<std::string, const ManifestEntry*>& expected = walk.expected;
  const std::set<std::string>& seen = walk.seen;
  const std::vector<std::string>& linked = walk.linked;
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
