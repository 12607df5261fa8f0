// Copyright persist authors.

#include "planner/app_finder.h"

#include <errno.h>
#include <fcntl.h>

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "planner/deploy_planner.h"
#include "planner/shared_links.h"

namespace persist {
namespace {

// Not where a vendor puts the app: dependencies (whose packages hold a
// composer.json of their own) and the debris of archivers.
bool Skipped(const std::string& name) {
  return name.empty() || name[0] == '.' || name == "__MACOSX" || name == "vendor" ||
         name == "node_modules";
}

// The kAppMarkers `dir` (absolute) holds as regular files, in their order.
absl::StatusOr<std::vector<std::string>> MarkersIn(Env* env, const std::string& dir) {
  std::vector<std::string> found;
  for (const char* marker : kAppMarkers) {
    absl::StatusOr<PathState> state = ObserveSource(env, dir, marker);
    if (!state.ok()) {
      // A part of the marker's path that is no directory (public a file).
      if (StatusErrno(state.status()) == ENOTDIR) continue;
      return state.status();
    }
    if (state->type() == REGULAR) found.push_back(marker);
  }
  return found;
}

// The subdirectories of `dir` (absolute), by name, in name order.
absl::StatusOr<std::vector<std::string>> Subdirectories(Env* env, const std::string& dir) {
  absl::StatusOr<int> fd = env->OpenAt(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0, dir);
  if (!fd.ok()) return fd.status();
  Fd opened(env, *fd, dir);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(opened.get(), dir);
  if (!names.ok()) return names.status();
  std::vector<std::string> dirs;
  for (const std::string& name : *names) {
    if (Skipped(name)) continue;
    absl::StatusOr<PathState> state = ObserveSource(env, dir, name);
    if (!state.ok()) return state.status();
    if (state->type() == DIRECTORY) dirs.push_back(name);
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

absl::StatusOr<AppLocation> Named(Env* env, const std::string& source, const std::string& app_dir) {
  absl::Status valid = ValidateRelativePath(app_dir);
  absl::StatusOr<std::vector<std::string>> marked =
      valid.ok() ? MarkersIn(env, JoinPath(source, app_dir))
                 : absl::StatusOr<std::vector<std::string>>(valid);
  if (marked.ok() && !marked->empty()) {
    return AppLocation{app_dir, absl::StrCat("it was named, and holds ", absl::StrJoin(*marked, ", "))};
  }
  return WithPath(absl::InvalidArgumentError(absl::StrCat(
                      "the app directory ", PrintablePath(app_dir), " in ", source, " ",
                      marked.ok() ? "holds none of artisan, composer.json and public/index.php"
                                  : absl::StrCat("cannot be used (", marked.status().message(), ")"))),
                  JoinPath(source, app_dir));
}

}  // namespace

absl::StatusOr<bool> HoldsAppMarker(Env* env, const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> markers = MarkersIn(env, dir);
  if (!markers.ok()) return markers.status();
  return !markers->empty();
}

absl::StatusOr<AppLocation> FindApp(Env* env, const std::string& source, const std::string& app_dir) {
  if (!app_dir.empty()) return Named(env, source, app_dir);
  absl::StatusOr<std::vector<std::string>> top = MarkersIn(env, source);
  if (!top.ok()) return top.status();
  if (!top->empty()) return AppLocation{"", absl::StrCat("it holds ", absl::StrJoin(*top, ", "))};
  // Breadth first: an app is found before what lies below it, and nothing
  // below an app is searched.
  std::vector<std::string> apps;
  std::string markers_of_first;  // what the first app found holds
  std::deque<std::pair<std::string, int>> pending{{"", 0}};
  while (!pending.empty()) {
    auto [rel, depth] = pending.front();
    pending.pop_front();
    absl::StatusOr<std::vector<std::string>> dirs = Subdirectories(env, JoinPath(source, rel));
    if (!dirs.ok()) return dirs.status();
    for (const std::string& name : *dirs) {
      const std::string child = rel.empty() ? name : JoinPath(rel, name);
      absl::StatusOr<std::vector<std::string>> marked = MarkersIn(env, JoinPath(source, child));
      if (!marked.ok()) return marked.status();
      if (!marked->empty()) {
        if (apps.empty()) markers_of_first = absl::StrJoin(*marked, ", ");
        apps.push_back(child);
      } else if (depth + 1 < kAppSearchDepth) {
        pending.emplace_back(child, depth + 1);
      }
    }
  }
  if (apps.empty()) {
    return absl::NotFoundError(absl::StrCat("no directory in ", source, " down to ", kAppSearchDepth,
                                            " levels holds artisan, composer.json or public/index.php"));
  }
  if (apps.size() > 1) {
    std::vector<std::string> shown;
    for (const std::string& app : apps) shown.push_back(PrintablePath(app));
    return WithPath(absl::InvalidArgumentError(absl::StrCat(
                        source, " holds ", apps.size(), " apps (", absl::StrJoin(shown, ", "),
                        ")")),
                    source);
  }
  return AppLocation{apps[0], absl::StrCat("it is the one directory in the delivery that holds ",
                                           markers_of_first)};
}

}  // namespace persist
