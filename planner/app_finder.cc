// Copyright persist authors.

#include "planner/app_finder.h"

#include <errno.h>
#include <fcntl.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/error_path.h"
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

// The kAppMarkers `dir` holds as regular files, in their order.
absl::StatusOr<std::vector<std::string>> MarkersIn(const SourceTree& tree, const std::string& dir) {
  std::vector<std::string> found;
  for (const char* marker : kAppMarkers) {
    absl::StatusOr<PathState> state = tree.Observe(JoinPath(dir, marker), false);
    if (!state.ok()) {
      // A part of the marker's path that is no directory (public a file).
      if (StatusErrno(state.status()) == ENOTDIR) continue;
      return state.status();
    }
    if (state->type() == REGULAR) found.push_back(marker);
  }
  return found;
}

// The entries of `dir` of `type` worth searching, by name, in name order.
absl::StatusOr<std::vector<std::string>> EntriesOf(const SourceTree& tree, const std::string& dir,
                                                   FileType type) {
  absl::StatusOr<std::vector<std::string>> names = tree.List(dir);
  if (!names.ok()) return names.status();
  std::vector<std::string> found;
  for (const std::string& name : *names) {
    if (Skipped(name)) continue;
    absl::StatusOr<PathState> state = tree.Observe(JoinPath(dir, name), false);
    if (!state.ok()) return state.status();
    if (state->type() == type) found.push_back(name);
  }
  return found;
}

absl::StatusOr<AppLocation> Named(const SourceTree& tree, const std::string& app_dir) {
  absl::Status valid = ValidateRelativePath(app_dir);
  absl::StatusOr<std::vector<std::string>> marked =
      valid.ok() ? MarkersIn(tree, app_dir) : absl::StatusOr<std::vector<std::string>>(valid);
  if (marked.ok() && !marked->empty()) {
    return AppLocation{app_dir, absl::StrCat("it was named, and holds ", absl::StrJoin(*marked, ", "))};
  }
  return WithPath(
      absl::InvalidArgumentError(absl::StrCat(
          "the app directory ", PrintablePath(app_dir), " in ", tree.Name(""), " ",
          marked.ok() ? "holds none of artisan, composer.json and public/index.php"
                      : absl::StrCat("cannot be used (", marked.status().message(), ")"),
          "; name the app's directory with --app-dir PATH")),
      tree.Name(app_dir));
}

// Every path up to kAppSearchDepth below the delivery, breadth first, not
// below an app: `visit` says whether `rel` is an app (and what it holds).
absl::Status Search(const SourceTree& tree,
                    const std::function<absl::StatusOr<bool>(const std::string& rel)>& visit) {
  std::deque<std::pair<std::string, int>> pending{{"", 0}};
  while (!pending.empty()) {
    auto [rel, depth] = pending.front();
    pending.pop_front();
    absl::StatusOr<std::vector<std::string>> dirs = EntriesOf(tree, rel, DIRECTORY);
    if (!dirs.ok()) return dirs.status();
    for (const std::string& name : *dirs) {
      const std::string child = JoinPath(rel, name);
      absl::StatusOr<bool> app = visit(child);
      if (!app.ok()) return app.status();
      if (!*app && depth + 1 < kAppSearchDepth) pending.emplace_back(child, depth + 1);
    }
  }
  return absl::OkStatus();
}

absl::Status SeveralApps(const std::string& delivery, const std::vector<std::string>& apps) {
  std::vector<std::string> shown;
  for (const std::string& app : apps) shown.push_back(PrintablePath(app));
  return WithPath(absl::InvalidArgumentError(absl::StrCat(
                      delivery, " holds ", apps.size(), " apps (", absl::StrJoin(shown, ", "),
                      "); name the app's directory with --app-dir PATH")),
                  delivery);
}

}  // namespace

absl::StatusOr<AppLocation> FindApp(const SourceTree& delivery, const std::string& app_dir) {
  if (!app_dir.empty()) return Named(delivery, app_dir);
  absl::StatusOr<std::vector<std::string>> top = MarkersIn(delivery, "");
  if (!top.ok()) return top.status();
  if (!top->empty()) return AppLocation{"", absl::StrCat("it holds ", absl::StrJoin(*top, ", "))};
  std::vector<std::string> apps;
  std::string markers_of_first;  // what the first app found holds
  absl::Status searched = Search(delivery, [&](const std::string& rel) -> absl::StatusOr<bool> {
    absl::StatusOr<std::vector<std::string>> marked = MarkersIn(delivery, rel);
    if (!marked.ok()) return marked.status();
    if (marked->empty()) return false;
    if (apps.empty()) markers_of_first = absl::StrJoin(*marked, ", ");
    apps.push_back(rel);
    return true;
  });
  if (!searched.ok()) return searched;
  if (apps.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no directory in ", delivery.Name(""), " down to ", kAppSearchDepth,
                     " levels holds artisan, composer.json or public/index.php"));
  }
  if (apps.size() > 1) return SeveralApps(delivery.Name(""), apps);
  return AppLocation{apps[0], absl::StrCat("it is the one directory in the delivery that holds ",
                                           markers_of_first)};
}

namespace {

// The archives a delivery holds, by name, up to kAppSearchDepth deep.
absl::StatusOr<std::vector<std::string>> NestedArchives(const ArchiveListing& listing) {
  std::vector<std::string> found;
  auto archives_in = [&](const std::string& dir) -> absl::Status {
    absl::StatusOr<std::vector<std::string>> files = EntriesOf(listing, dir, REGULAR);
    if (!files.ok()) return files.status();
    for (const std::string& name : *files) {
      const std::string rel = JoinPath(dir, name);
      if (listing.members().at(rel).is_archive) found.push_back(rel);
    }
    return absl::OkStatus();
  };
  absl::Status status = archives_in("");
  if (!status.ok()) return status;
  status = Search(listing, [&](const std::string& rel) -> absl::StatusOr<bool> {
    absl::Status in = archives_in(rel);
    if (!in.ok()) return in;
    return false;
  });
  if (!status.ok()) return status;
  return found;
}

// The app of `*listing` (FindApp); the listing goes with it when found.
absl::StatusOr<ArchiveApp> AppOf(std::unique_ptr<ArchiveListing>* listing,
                                 const std::string& app_dir) {
  absl::StatusOr<AppLocation> app = FindApp(**listing, app_dir);
  if (!app.ok()) return app.status();
  ArchiveApp found;
  found.where = (*listing)->where();
  found.where.dir = app->dir;
  found.why = app->why;
  found.listing = std::move(*listing);
  return found;
}

// The one app among the archives `outer` holds; NotFound when none has one.
absl::StatusOr<ArchiveApp> AppInNestedArchive(Env* env, const ArchiveListing& outer,
                                              const ArchiveLimits& limits) {
  absl::StatusOr<std::vector<std::string>> nested = NestedArchives(outer);
  if (!nested.ok()) return nested.status();
  std::vector<ArchiveApp> apps;
  for (const std::string& member : *nested) {
    absl::StatusOr<std::unique_ptr<ArchiveListing>> inner =
        ScanArchive(env, ArchivePath{outer.where().archive, {member}, ""}, limits);
    if (!inner.ok()) return inner.status();
    absl::StatusOr<ArchiveApp> app = AppOf(&*inner, "");
    if (absl::IsNotFound(app.status())) continue;
    if (!app.ok()) return app.status();
    app->why =
        absl::StrCat("it is the one archive in the delivery that holds an app, and ", app->why);
    apps.push_back(*std::move(app));
  }
  if (apps.empty()) {
    return absl::NotFoundError(absl::StrCat("no archive in ", outer.Name(""), " holds an app"));
  }
  if (apps.size() > 1) {
    std::vector<std::string> shown;
    for (const ArchiveApp& app : apps) shown.push_back(DescribeArchivePath(app.where));
    return SeveralApps(outer.Name(""), shown);
  }
  return std::move(apps[0]);
}

// The app --app-dir names: a component that is an archive member leads
// into that archive.
absl::StatusOr<ArchiveApp> NamedInArchive(Env* env, std::unique_ptr<ArchiveListing>* outer,
                                          const std::string& app_dir, const ArchiveLimits& limits) {
  std::string nested;
  for (absl::string_view part : absl::StrSplit(app_dir, '/')) {
    nested = JoinPath(nested, part);
    auto member = (*outer)->members().find(nested);
    if (member == (*outer)->members().end() || !member->second.is_archive) continue;
    absl::StatusOr<std::unique_ptr<ArchiveListing>> inner =
        ScanArchive(env, ArchivePath{(*outer)->where().archive, {nested}, ""}, limits);
    if (!inner.ok()) return inner.status();
    const std::string rest =
        nested.size() == app_dir.size() ? "" : app_dir.substr(nested.size() + 1);
    if (!rest.empty()) return AppOf(&*inner, rest);
    absl::StatusOr<ArchiveApp> app = AppOf(&*inner, "");
    if (absl::IsNotFound(app.status())) {
      return WithPath(absl::InvalidArgumentError(absl::StrCat(
                          "the archive ", PrintablePath(nested), " named by the app directory ",
                          "holds no app: ", app.status().message(),
                          "; name the app's directory with --app-dir PATH")),
                      (*outer)->Name(nested));
    }
    return app;
  }
  return AppOf(outer, app_dir);
}

}  // namespace

absl::StatusOr<ArchiveApp> FindAppInArchive(Env* env, const std::string& archive,
                                            const std::string& app_dir,
                                            const ArchiveLimits& limits) {
  absl::StatusOr<std::unique_ptr<ArchiveListing>> outer =
      ScanArchive(env, ArchivePath{archive, {}, ""}, limits);
  if (!outer.ok()) return outer.status();
  absl::StatusOr<ArchiveApp> found;
  if (!app_dir.empty()) {
    found = NamedInArchive(env, &*outer, app_dir, limits);
  } else {
    found = AppOf(&*outer, "");
    if (absl::IsNotFound(found.status())) {
      absl::StatusOr<ArchiveApp> nested = AppInNestedArchive(env, **outer, limits);
      // Not found anywhere: the refusal names the archive, not its members.
      if (!absl::IsNotFound(nested.status())) found = std::move(nested);
    }
  }
  if (!found.ok()) return found.status();
  absl::Status links = found->listing->CheckLinksStayIn(found->where.dir);
  if (!links.ok()) return links;
  return found;
}

}  // namespace persist
