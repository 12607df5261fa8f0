// Copyright persist authors.
//
// OpenUpdate (delivery.h): a vendor's update package as a delivery.

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/error_path.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/release_update.h"
#include "planner/app_finder.h"
#include "planner/delivery.h"
#include "planner/shared_links.h"

namespace persist {
namespace {

// Where a package lists the paths it deletes.
constexpr char kDeleteList[] = "deleted-files.txt";

// What a package holds beside the app's files, which says nothing of where
// they are.
bool IsPackageNote(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return lower == "deleted-files.txt" || lower == "version" || lower == "__macosx" ||
         absl::StartsWith(lower, "readme") || absl::StartsWith(lower, "changelog") ||
         absl::StartsWith(lower, ".");
}

// Where the app's files start in `package`: `app_dir` when given, else the
// first folder, from the top down (through folders that are alone in
// theirs), holding a name the live release has at its top (app/,
// routes/, composer.json ...).
absl::StatusOr<std::string> PackageRoot(const SourceTree& package, const SourceTree& live,
                                        const std::string& app_dir) {
  if (!app_dir.empty()) {
    absl::Status valid = ValidateRelativePath(app_dir);
    absl::StatusOr<PathState> state =
        valid.ok() ? package.Observe(app_dir, false) : absl::StatusOr<PathState>(valid);
    if (state.ok() && state->type() == DIRECTORY) return app_dir;
    return WithPath(Refuse(absl::StrCat("the package has no directory ", PrintablePath(app_dir),
                                        "; name the folder that holds its app files with "
                                        "--app-dir PATH")),
                    package.Name(app_dir));
  }
  absl::StatusOr<std::vector<std::string>> live_names = live.List("");
  if (!live_names.ok()) return live_names.status();
  const std::set<std::string> known(live_names->begin(), live_names->end());
  std::string root;
  for (int depth = 0; depth <= kAppSearchDepth; ++depth) {
    absl::StatusOr<std::vector<std::string>> names = package.List(root);
    if (!names.ok()) return names.status();
    std::vector<std::string> folders;
    for (const std::string& name : *names) {
      if (known.count(name) > 0 && !IsPackageNote(name)) return root;
      if (IsPackageNote(name)) continue;
      absl::StatusOr<PathState> state = package.Observe(JoinPath(root, name), false);
      if (!state.ok()) return state.status();
      if (state->type() == DIRECTORY) folders.push_back(name);
    }
    if (folders.size() != 1) break;
    root = JoinPath(root, folders[0]);
  }
  return WithPath(
      Refuse(absl::StrCat(package.Name(""),
                          " holds nothing the live release has at its top (app/, routes/, "
                          "composer.json ...), so persist cannot tell where its files go; name the "
                          "folder that holds them with --app-dir PATH")),
      package.Name(""));
}

// The first line of a VERSION file, trimmed; "" when there is none.
absl::StatusOr<std::string> VersionIn(const SourceTree& tree, const std::string& dir) {
  absl::StatusOr<std::string> text = tree.Read(JoinPath(dir, "VERSION"), 4096);
  if (absl::IsNotFound(text.status())) return std::string();
  if (!text.ok()) return text.status();
  return std::string(absl::StripAsciiWhitespace(
      std::vector<std::string>(absl::StrSplit(*text, absl::MaxSplits('\n', 1)))[0]));
}

// Refuses a package that does not fit the live release: its VERSION not
// above the live one's, or a live release not at `expected`.
absl::Status CheckVersions(const std::string& live_id, const std::string& live_version,
                           const std::string& package_version, const std::string& expected,
                           const std::string& package_name) {
  if (!expected.empty() && live_version != expected) {
    return Refuse(absl::StrCat("the package is for version ", expected, ", but the live release ",
                               live_id, " ",
                               live_version.empty() ? "records no version (no VERSION file)"
                                                    : absl::StrCat("is at ", live_version),
                               "; deploy the update that fits it, or the full release"));
  }
  if (!package_version.empty() && !live_version.empty() &&
      !ReleaseIdLess(live_version, package_version)) {
    return WithPath(
        Refuse(absl::StrCat(package_name, " brings version ", package_version,
                            ", but the live release ", live_id, " is at ", live_version,
                            " already; an update never goes back: deploy the full release of "
                            "the version you want")),
        package_name);
  }
  return absl::OkStatus();
}

bool ClimbsOut(const std::string& path) {
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") return true;
  }
  return false;
}

// The paths the package deletes, from `text` (one a line).
absl::StatusOr<std::vector<std::string>> ParseDeleteList(const std::string& text,
                                                         const std::string& name) {
  std::vector<std::string> paths;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    std::string path(absl::StripAsciiWhitespace(line));
    if (path.empty() || path[0] == '#') continue;
    while (absl::StartsWith(path, "./")) path.erase(0, 2);
    while (!path.empty() && path.back() == '/') path.pop_back();
    std::string why;
    if (path.empty() || path[0] == '/') {
      why = "it is absolute";
    } else if (ClimbsOut(path)) {
      why = "it climbs out with \"..\"";
    } else if (!ValidateRelativePath(path).ok()) {
      why = "it is no clean relative path";
    }
    if (!why.empty()) {
      return WithPath(Refuse(absl::StrCat(name, " line ", number, ": ", PrintablePath(path),
                                          " cannot be deleted: ", why,
                                          "; a deleted path is relative to the app, such as "
                                          "app/Legacy/Old.php")),
                      name);
    }
    paths.push_back(path);
  }
  return paths;
}

}  // namespace

namespace {

// The package as it is, before its root is known: a directory, or an
// archive's listing.
struct Package {
  std::unique_ptr<SourceTree> directory;
  std::unique_ptr<ArchiveListing> listing;
  const SourceTree& tree() const {
    return listing != nullptr ? static_cast<const SourceTree&>(*listing) : *directory;
  }
};

absl::StatusOr<Package> OpenPackage(Env* env, const DeployRequest& request) {
  struct stat st;
  absl::Status status = env->StatAt(AT_FDCWD, request.source, &st, request.source);
  if (!status.ok()) return status;
  Package package;
  if (!S_ISREG(st.st_mode)) {
    package.directory = std::make_unique<DirectoryTree>(env, request.source);
    return package;
  }
  absl::StatusOr<std::unique_ptr<ArchiveListing>> scanned =
      ScanArchive(env, ArchivePath{request.source, {}, ""}, request.limits);
  if (!scanned.ok()) return scanned.status();
  package.listing = *std::move(scanned);
  return package;
}

// The paths the package deletes: from --delete-list, or its own list.
absl::StatusOr<std::vector<std::string>> DeletedPaths(Env* env, const DeployRequest& request,
                                                      const SourceTree& package,
                                                      const std::string& root) {
  std::string list_name = request.delete_list;
  absl::StatusOr<std::string> list_text;
  if (!request.delete_list.empty()) {
    list_text = DirectoryTree(env, request.delete_list).Read("", 1 << 20);
  } else {
    list_name = package.Name(JoinPath(root, kDeleteList));
    list_text = package.Read(JoinPath(root, kDeleteList), 1 << 20);
    if (absl::IsNotFound(list_text.status())) list_text = std::string();
  }
  if (!list_text.ok()) return list_text.status();
  return ParseDeleteList(*list_text, list_name);
}

// Adds to `update` the paths of `deleted` the live release (`base`, read
// as `live`) holds; what lies behind one of its links into shared/ is the
// site's data, never deleted, and a note says so.
absl::Status AddDeletions(const std::vector<std::string>& deleted, const std::string& base,
                          const SourceTree& live, UpdateOp* update,
                          std::vector<std::string>* notes) {
  int missing = 0;
  for (const std::string& path : deleted) {
    absl::StatusOr<PathState> state = live.Observe(path, false);
    const int err = state.ok() ? 0 : StatusErrno(state.status());
    const bool shared =
        err == ELOOP || err == ENOTDIR ||
        (state.ok() && state->type() == SYMLINK &&
         LeadsIntoShared(JoinPath(base, path), state->link_target()));
    if (shared) {
      notes->push_back(absl::StrCat("the package deletes ", PrintablePath(path),
                                    ", which is shared data (in shared/): kept"));
      continue;
    }
    if (!state.ok()) return state.status();
    if (state->type() == ABSENT) {
      ++missing;
      continue;
    }
    update->add_deleted(path);
  }
  if (missing > 0) {
    notes->push_back(absl::StrCat(missing, " path", missing == 1 ? "" : "s",
                                  " the package deletes ", missing == 1 ? "is" : "are",
                                  " not in the live release"));
  }
  return absl::OkStatus();
}

// The live release's id; refused when current points at none.
absl::StatusOr<std::string> LiveRelease(const Root& site, const std::string& what) {
  absl::StatusOr<std::string> live = CurrentRelease(site);
  if (!live.ok()) return live.status();
  if (live->empty()) {
    return WithPath(Refuse(absl::StrCat(site.dir(), " has no live release ", what,
                                        " (current points at none); deploy the full "
                                        "release first")),
                    site.dir());
  }
  return live;
}

}  // namespace

absl::StatusOr<Delivery> OpenCapture(const Root& site, const DeployRequest& request) {
  absl::StatusOr<std::string> live = LiveRelease(site, "to capture");
  if (!live.ok()) return live.status();
  Delivery delivery;
  UpdateOp* update = delivery.stage.mutable_update();
  update->set_base(JoinPath("releases", *live));
  update->set_dedupe(request.dedupe);
  absl::StatusOr<std::unique_ptr<UpdateResult>> result = UpdateResult::Open(site, *update);
  if (!result.ok()) return result.status();
  delivery.name = absl::StrCat("releases/", *live, " as it is now");
  delivery.notes.push_back(absl::StrCat(
      "capturing release ", *live,
      " as it is now, whatever was written into it in place included; ",
      request.dedupe == DEDUPE_OFF ? "copied" : "its files linked or cloned where they can be"));
  delivery.tree = *std::move(result);
  return delivery;
}

absl::StatusOr<Delivery> OpenUpdate(const Root& site, const DeployRequest& request) {
  Env* env = site.env();
  absl::StatusOr<std::string> live =
      LiveRelease(site, absl::StrCat("for ", request.source, " to update"));
  if (!live.ok()) return live.status();
  const std::string base = JoinPath("releases", *live);
  const RootTree live_tree(site, base);
  absl::StatusOr<Package> opened = OpenPackage(env, request);
  if (!opened.ok()) return opened.status();
  const SourceTree& package = opened->tree();
  absl::StatusOr<std::string> root = PackageRoot(package, live_tree, request.app_dir);
  if (!root.ok()) return root.status();
  if (opened->listing != nullptr) {
    absl::Status links = opened->listing->CheckLinksStayIn(*root);
    if (!links.ok()) return links;
  }
  absl::StatusOr<std::string> package_version = VersionIn(package, *root);
  if (!package_version.ok()) return package_version.status();
  absl::StatusOr<std::string> live_version = VersionIn(live_tree, "");
  if (!live_version.ok()) return live_version.status();
  absl::Status status = CheckVersions(*live, *live_version, *package_version,
                                      request.expect_version, package.Name(*root));
  if (!status.ok()) return status;
  absl::StatusOr<std::vector<std::string>> deleted = DeletedPaths(env, request, package, *root);
  if (!deleted.ok()) return deleted.status();

  Delivery delivery;
  UpdateOp* update = delivery.stage.mutable_update();
  update->set_base(base);
  update->set_dedupe(request.dedupe);
  // The vendor's instructions, not a file of the app.
  absl::StatusOr<PathState> own_list = package.Observe(JoinPath(*root, kDeleteList), false);
  if (!own_list.ok()) return own_list.status();
  if (own_list->type() == REGULAR) update->set_package_list(kDeleteList);
  status = AddDeletions(*deleted, base, live_tree, update, &delivery.notes);
  if (!status.ok()) return status;
  if (opened->listing != nullptr) {
    absl::StatusOr<UnpackOp> unpack =
        UnpackOpFor(env, ArchivePath{request.source, {}, *root}, request.limits);
    if (!unpack.ok()) return unpack.status();
    *update->mutable_package_archive() = *unpack;
  } else {
    update->set_package_dir(JoinPath(request.source, *root));
  }
  absl::StatusOr<std::unique_ptr<UpdateResult>> result = UpdateResult::Open(site, *update);
  if (!result.ok()) return result.status();
  delivery.name = package.Name(*root);
  absl::StatusOr<SourceTree::Size> size = (*result)->package().Measure("");
  if (!size.ok()) return size.status();
  delivery.notes.insert(
      delivery.notes.begin(),
      absl::StrCat("updating release ", *live,
                   live_version->empty() ? "" : absl::StrCat(" (", *live_version, ")"), " with ",
                   delivery.name,
                   package_version->empty() ? "" : absl::StrCat(" (", *package_version, ")"), ": ",
                   size->files, " file", size->files == 1 ? "" : "s", " laid over it, ",
                   update->deleted_size(), " path", update->deleted_size() == 1 ? "" : "s",
                   " deleted; the rest is the live release's, ",
                   request.dedupe == DEDUPE_OFF ? "copied" : "linked or cloned where it can be"));
  delivery.tree = *std::move(result);
  return delivery;
}

}  // namespace persist
