// Copyright persist authors.

#include "planner/audit.h"

#include <fcntl.h>

#include <algorithm>
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

namespace {

// Whether `entry` is a release's link into the site's shared/ (a
// persistent path): releases/ID/PATH -> ../../shared/PATH.
bool IsSharedLink(const ManifestEntry& entry) {
  return entry.type() == SYMLINK &&
         LeadsIntoShared(JoinPath("releases/id", entry.path()), entry.link_target());
}

}  // namespace

absl::StatusOr<std::vector<Change>> DiffManifests(ManifestSource& a, ManifestSource& b) {
  std::vector<Change> changes;
  // Paths either release holds as its link into shared/: what lies there is
  // the site's data, not the release's, whether a release shipped it (a
  // full release's manifest is taken before its links are made) or not.
  std::vector<std::string> shared;
  auto in_shared = [&](const ManifestEntry& entry) {
    if (IsSharedLink(entry)) shared.push_back(entry.path());
    return std::any_of(shared.begin(), shared.end(),
                       [&](const std::string& root) { return IsWithin(entry.path(), root); });
  };
  auto add = [&](const ManifestEntry& entry, Change::Kind kind) {
    if (!entry.path().empty()) changes.push_back({entry.path(), kind});
  };
  ManifestEntry old_entry, new_entry;
  bool has_old = a.Next(&old_entry);
  bool has_new = b.Next(&new_entry);
  // Both are in walk order: one merge, the release directory itself ("")
  // left out.
  while (has_old || has_new) {
    if (has_new && (!has_old || PathBefore(new_entry.path(), old_entry.path()))) {
      if (!in_shared(new_entry)) add(new_entry, Change::kAdded);
      has_new = b.Next(&new_entry);
      continue;
    }
    if (has_old && (!has_new || PathBefore(old_entry.path(), new_entry.path()))) {
      if (!in_shared(old_entry)) add(old_entry, Change::kRemoved);
      has_old = a.Next(&old_entry);
      continue;
    }
    const bool skipped = in_shared(old_entry) | in_shared(new_entry);
    if (skipped) {
      // Neither is the release's.
    } else if (old_entry.type() != new_entry.type()) {
      add(old_entry, Change::kType);
    } else if (!SameContent(old_entry, new_entry)) {
      add(old_entry, Change::kModified);
    } else if (old_entry.mode() != new_entry.mode() && old_entry.type() != SYMLINK) {
      add(old_entry, Change::kMode);
    }
    has_old = a.Next(&old_entry);
    has_new = b.Next(&new_entry);
  }
  if (!a.status().ok()) return a.status();
  if (!b.status().ok()) return b.status();
  return changes;
}

namespace {

bool ProblemBefore(const Problem& x, const Problem& y) { return PathBefore(x.path, y.path); }

// One walk of a live release against its manifest, names visited in the
// manifest's order, so that the two advance together: a manifest entry the
// walk passes without meeting is missing, a path the walk meets that the
// manifest does not hold was written since.
class ReleaseWalk {
 public:
  ReleaseWalk(Env* env, const std::string& release, ManifestSource& manifest, bool quick,
              ReleaseCheck* result)
      : env_(env), release_(release), manifest_(manifest), quick_(quick), result_(result) {
    Advance();
  }

  // Checks `name` in the directory open at `dir_fd` (`rel` in the release),
  // and everything beneath it. Directory by open directory, never by path
  // string: a release can hold paths longer than PATH_MAX.
  absl::Status Visit(int dir_fd, const std::string& name, const std::string& rel,
                     bool parent_shipped);

  // Reports what the manifest still holds after the walk.
  absl::Status Finish() {
    while (has_next_) Missing();
    return manifest_.status();
  }

 private:
  void Advance() { has_next_ = manifest_.Next(&next_); }

  // The manifest's next entry was not met by the walk. Only the top-most
  // missing path is named; what it held is gone with it.
  void Missing() {
    const std::string& rel = next_.path();
    if (!reported_missing_ || !IsWithin(rel, last_missing_)) {
      Problem missing{JoinPath(release_, rel), "is missing since it was deployed",
                      "redeploy the release to restore it"};
      if (next_.type() == REGULAR) missing.deployed_digest = next_.digest();
      result_->tampered.push_back(std::move(missing));
      last_missing_ = rel;
      reported_missing_ = true;
    }
    Advance();
  }

  // Passes the manifest's entries that come before `rel` in walk order.
  void MissingBefore(const std::string& rel) {
    while (has_next_ && PathBefore(next_.path(), rel)) Missing();
  }

  absl::Status Compare(int dir_fd, const std::string& name, const std::string& path,
                       const PathState& state, const ManifestEntry& want);

  Env* env_;
  const std::string& release_;
  ManifestSource& manifest_;
  const bool quick_;
  ReleaseCheck* result_;
  ManifestEntry next_;
  bool has_next_ = false;
  std::string last_missing_;
  bool reported_missing_ = false;
};

absl::Status ReleaseWalk::Visit(int dir_fd, const std::string& name, const std::string& rel,
                                bool parent_shipped) {
  const std::string path = JoinPath(release_, rel);
  absl::StatusOr<PathState> state = ObservePath(env_, dir_fd, name, path, false);
  if (!state.ok()) return state.status();
  MissingBefore(rel);
  if (state->type() == SYMLINK && LeadsIntoShared(path, state->link_target())) {
    // A link into shared/ stands for shared data: neither it nor what the
    // release shipped in its place is looked at.
    while (has_next_ && IsWithin(next_.path(), rel)) Advance();
    return absl::OkStatus();
  }
  const bool shipped = has_next_ && next_.path() == rel;
  ManifestEntry want;
  if (shipped) {
    want = next_;
    Advance();
  }
  if (state->type() == DIRECTORY) {
    absl::StatusOr<int> fd = env_->OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY, 0, path);
    if (!fd.ok()) return fd.status();
    Fd dir(env_, *fd, path);
    absl::StatusOr<std::vector<std::string>> names = env_->ListDir(dir.get(), path);
    if (!names.ok()) return names.status();
    std::sort(names->begin(), names->end());
    for (const std::string& child : *names) {
      absl::Status status = Visit(dir.get(), child, JoinPath(rel, child), shipped);
      if (!status.ok()) return status;
    }
  }
  if (shipped) return Compare(dir_fd, name, path, *state, want);
  // Not shipped: data someone wrote into application code. Only the
  // top-most such path is named (its parent was shipped).
  if (parent_shipped) {
    result_->drifted.push_back(Problem{
        path, absl::StrCat("is not in the release as deployed (", FileTypeName(state->type()),
                           " written since); the next deploy leaves it behind"),
        absl::StrCat("persist custom add ", ProtectingPattern(rel, state->type()),
                     " (if it is user data; if it is code nobody wrote, inspect it: it may be a "
                     "planted script)")});
  }
  return absl::OkStatus();
}

absl::Status ReleaseWalk::Compare(int dir_fd, const std::string& name, const std::string& path,
                                  const PathState& state, const ManifestEntry& want) {
  ++result_->checked;
  std::string what;
  if (state.type() != want.type()) {
    what = absl::StrCat("was a ", FileTypeName(want.type()), ", is a ", FileTypeName(state.type()));
  } else if (want.type() == REGULAR) {
    if (state.size() != want.size()) {
      what = absl::StrCat("changed size (", want.size(), " -> ", state.size(), " bytes)");
    } else if (quick_ ? state.mtime_ns() != want.mtime_ns() : false) {
      what = "changed (its mtime differs from the deployed file's)";
    } else if (!quick_) {
      absl::StatusOr<PathState> digested = ObservePath(env_, dir_fd, name, path, true);
      if (!digested.ok()) return digested.status();
      if (digested->digest() != want.digest()) what = "changed content (SHA-256 differs)";
    }
  } else if (want.type() == SYMLINK && state.link_target() != want.link_target()) {
    what = absl::StrCat("points at ", PrintablePath(state.link_target()), ", was ",
                        PrintablePath(want.link_target()));
  }
  if (what.empty() && want.type() != SYMLINK && state.mode() != want.mode()) {
    what = absl::StrFormat("changed mode (%04o -> %04o)", want.mode(), state.mode());
  }
  if (!what.empty()) {
    Problem changed{path, what + " since it was deployed",
                    "inspect it (persist diff shows what a release should hold); redeploy the "
                    "release to restore it"};
    if (want.type() == REGULAR && state.type() == REGULAR) changed.deployed_digest = want.digest();
    result_->tampered.push_back(std::move(changed));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReleaseCheck> CheckRelease(const Root& site, const std::string& release,
                                          ManifestSource& manifest, bool quick) {
  ReleaseCheck result;
  ReleaseWalk walk(site.env(), release, manifest, quick, &result);
  // Walk the live release without following links.
  std::string leaf;
  absl::StatusOr<Fd> parent = site.OpenParent(release, &leaf);
  if (!parent.ok()) return parent.status();
  absl::Status status = walk.Visit(parent->get(), leaf, "", /*parent_shipped=*/false);
  if (status.ok()) status = walk.Finish();
  if (!status.ok()) return status;
  std::sort(result.drifted.begin(), result.drifted.end(), ProblemBefore);
  std::sort(result.tampered.begin(), result.tampered.end(), ProblemBefore);
  return result;
}

}  // namespace persist
