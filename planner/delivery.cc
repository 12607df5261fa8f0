// Copyright persist authors.

#include "planner/delivery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/error_path.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "planner/app_finder.h"
#include "planner/shared_links.h"
#include "planner/special_files.h"

namespace persist {
namespace {

using Identity = std::pair<uint64_t, uint64_t>;  // device, inode

// The directory open at `dir` and every directory above it, as they really
// are: climbed through "..", so no spelling of a path, and no symlink on the
// way to it, hides where it lies.
absl::StatusOr<std::vector<Identity>> AncestorsOf(Env* env, Fd dir, const std::string& path) {
  std::vector<Identity> out;
  for (std::string shown = path;; shown += "/..") {
    struct stat st;
    absl::Status status = env->StatAt(dir.get(), "", &st, shown);
    if (!status.ok()) return status;
    const Identity here{st.st_dev, st.st_ino};
    if (!out.empty() && out.back() == here) return out;  // "/": its ".." is itself
    out.push_back(here);
    absl::StatusOr<int> parent =
        env->OpenAt(dir.get(), "..", O_RDONLY | O_DIRECTORY, 0, shown + "/..");
    if (!parent.ok()) return parent.status();
    dir = Fd(env, *parent, shown + "/..");
  }
}

// AncestorsOf the directory `dir`, opened the way the import will open it
// (symlinks in its path followed).
absl::StatusOr<std::vector<Identity>> RealAncestors(Env* env, const std::string& dir) {
  absl::StatusOr<int> fd = env->OpenAt(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0, dir);
  if (!fd.ok()) return fd.status();
  return AncestorsOf(env, Fd(env, *fd, dir), dir);
}

// Refuses a SRC (`what`: "" for a directory, else "the archive ") whose
// directory `dir` is, or lies inside, one the deploy writes or moves:
// releases/, shared/, .persist/, current and public_html (while it is a
// directory). A directory SRC may not be the site, nor hold it: it would be
// copied into itself.
absl::Status CheckPlace(const Root& site, const std::string& source, const std::string& dir,
                        bool is_archive) {
  Env* env = site.env();
  absl::StatusOr<std::vector<Identity>> ancestors = RealAncestors(env, dir);
  if (!ancestors.ok()) return ancestors.status();
  if (!is_archive) {
    absl::StatusOr<int> root_fd =
        env->OpenAt(site.fd(), ".", O_RDONLY | O_DIRECTORY, 0, site.dir());
    if (!root_fd.ok()) return root_fd.status();
    absl::StatusOr<std::vector<Identity>> site_ancestors =
        AncestorsOf(env, Fd(env, *root_fd, site.dir()), site.dir());
    if (!site_ancestors.ok()) return site_ancestors.status();
    const auto at = std::find(site_ancestors->begin(), site_ancestors->end(), ancestors->front());
    if (at != site_ancestors->end()) {
      return WithPath(
          Refuse(absl::StrCat(
              source, at == site_ancestors->begin() ? " is the site " : " holds the site ",
              site.dir(),
              ": a deploy would copy the site into its own releases/ until the disk is "
              "full; upload the release to a directory outside the site (e.g. ~/uploads/) and "
              "deploy it from there")),
          source);
    }
  }
  for (const char* own : {"releases", "shared", ".persist", "current", "public_html"}) {
    absl::StatusOr<PathState> inside = site.Observe(own, false);
    if (!inside.ok() || inside->type() != DIRECTORY) continue;
    const Identity own_dir{inside->dev(), inside->inode()};
    if (std::find(ancestors->begin(), ancestors->end(), own_dir) != ancestors->end()) {
      return WithPath(Refuse(absl::StrCat(source, " lies inside the site's ", own,
                                          "/; upload the release somewhere else (e.g. ~/uploads/) "
                                          "and deploy it from there")),
                      source);
    }
  }
  return absl::OkStatus();
}

// The refusal of a delivery in which no app was found: empty, or holding
// none of kAppMarkers at any depth searched; naming --force.
absl::Status RefuseNonApp(const SourceTree& delivery, bool is_archive) {
  const std::string name = delivery.Name("");
  absl::StatusOr<std::vector<std::string>> names = delivery.List("");
  if (!names.ok()) return names.status();
  if (names->empty()) {
    return WithPath(
        Refuse(absl::StrCat(name,
                            " is empty: deployed, it would replace the live release with "
                            "nothing; give the ",
                            is_archive ? "archive" : "directory",
                            " holding the release (or add --force to deploy an empty release)")),
        name);
  }
  return WithPath(
      Refuse(absl::StrCat(
          name, " holds none of artisan, composer.json and public/index.php, so it is not ",
          is_archive ? "an archive of a PHP/Laravel app, nor does a directory or an archive in it "
                       "hold one; name the app's directory in it with --app-dir PATH"
                     : "the directory of a PHP/Laravel app, nor does a directory below it hold "
                       "one; give the app's directory",
          ", or add --force to deploy it as it is")),
      name);
}

absl::StatusOr<Delivery> OpenDirectory(const Root& site, const DeployRequest& request) {
  Env* env = site.env();
  absl::Status placed = CheckPlace(site, request.source, request.source, false);
  if (!placed.ok()) return placed;
  Delivery delivery;
  std::string app_dir;
  if (!request.force || !request.app_dir.empty()) {
    const DirectoryTree whole(env, request.source);
    absl::StatusOr<AppLocation> app = FindApp(whole, request.app_dir);
    if (absl::IsNotFound(app.status())) return RefuseNonApp(whole, false);
    if (!app.ok()) return app.status();
    app_dir = app->dir;
    if (!app_dir.empty()) {
      delivery.notes.push_back(absl::StrCat("deploying ", PrintablePath(app_dir), " of ",
                                            request.source, ": ", app->why));
    }
  }
  const std::string source = JoinPath(request.source, app_dir);
  // A fifo, socket or device in the release would stop its copy halfway:
  // refuse it whole now, naming every one, before anything is touched.
  absl::Status plain = RefuseSpecialFiles(env, source);
  if (!plain.ok()) return plain;
  delivery.tree = std::make_unique<DirectoryTree>(env, source);
  delivery.stage.mutable_import()->set_from(source);
  delivery.name = source;
  return delivery;
}

// Refuses a release that needs more bytes than the site's filesystem has
// free (the sizes its members declare).
absl::Status CheckRoom(const Root& site, const SourceTree& release) {
  absl::StatusOr<SourceTree::Size> size = release.Measure("");
  if (!size.ok()) return size.status();
  struct statfs fs;
  absl::Status status = site.env()->StatFs(site.fd(), &fs, site.dir());
  if (!status.ok()) return status;
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_bsize;
  if (size->bytes <= free_bytes) return absl::OkStatus();
  return WithPath(
      Refuse(absl::StrCat(release.Name(""), " unpacks to ", size->bytes,
                          " bytes, but the filesystem of ", site.dir(), " has only ", free_bytes,
                          " free; free some space (old releases: persist "
                          "deploy --keep, the trash: persist empty-trash) and deploy "
                          "again")),
      site.dir());
}

absl::StatusOr<Delivery> OpenArchive(const Root& site, const DeployRequest& request) {
  Env* env = site.env();
  absl::Status placed = CheckPlace(site, request.source, SplitParent(request.source).first, true);
  if (!placed.ok()) return placed;
  Delivery delivery;
  ArchivePath where{request.source, {}, ""};
  std::string why;
  if (request.force && request.app_dir.empty()) {
    absl::StatusOr<std::unique_ptr<ArchiveListing>> listing =
        ScanArchive(env, where, request.limits);
    if (!listing.ok()) return listing.status();
    absl::Status links = (*listing)->CheckLinksStayIn("");
    if (!links.ok()) return links;
    delivery.listing = *std::move(listing);
  } else {
    absl::StatusOr<ArchiveApp> app =
        FindAppInArchive(env, request.source, request.app_dir, request.limits);
    if (absl::IsNotFound(app.status())) {
      absl::StatusOr<std::unique_ptr<ArchiveListing>> listing =
          ScanArchive(env, where, request.limits);
      if (!listing.ok()) return listing.status();
      return RefuseNonApp(**listing, true);
    }
    if (!app.ok()) return app.status();
    where = app->where;
    why = app->why;
    delivery.listing = std::move(app->listing);
  }
  delivery.tree = std::make_unique<SubTree>(*delivery.listing, where.dir);
  delivery.name = DescribeArchivePath(where);
  if (!where.dir.empty() || !where.nested.empty()) {
    delivery.notes.push_back(absl::StrCat("deploying ", delivery.name, ": ", why));
  }
  const ArchiveListing& listing = *delivery.listing;
  if (listing.debris() > 0) {
    delivery.notes.push_back(absl::StrCat(listing.debris(), " __MACOSX/ and .DS_Store entr",
                                          listing.debris() == 1 ? "y" : "ies",
                                          " of the archive left out"));
  }
  for (const std::string& member : listing.setid_dropped()) {
    if (!where.dir.empty() && !IsWithin(member, where.dir)) continue;
    delivery.notes.push_back(absl::StrCat(PrintablePath(member),
                                          ": set-uid/set-gid bit dropped (a web app needs none)"));
  }
  absl::Status room = CheckRoom(site, *delivery.tree);
  if (!room.ok()) return room;

  absl::StatusOr<UnpackOp> unpack = UnpackOpFor(env, where, request.limits);
  if (!unpack.ok()) return unpack.status();
  *delivery.stage.mutable_unpack() = *unpack;
  return delivery;
}

}  // namespace

absl::StatusOr<UnpackOp> UnpackOpFor(Env* env, const ArchivePath& where,
                                     const ArchiveLimits& limits) {
  struct stat st;
  absl::Status status = env->StatAt(AT_FDCWD, where.archive, &st, where.archive);
  if (!status.ok()) return status;
  UnpackOp unpack;
  unpack.set_archive(where.archive);
  for (const std::string& nested : where.nested) unpack.add_nested(nested);
  unpack.set_dir(where.dir);
  unpack.set_archive_size(st.st_size);
  unpack.set_archive_mtime_ns(TimespecNs(st.st_mtim));
  const ArchiveLimits defaults;
  if (limits.max_entries != defaults.max_entries) unpack.set_max_entries(limits.max_entries);
  if (limits.max_bytes != defaults.max_bytes) unpack.set_max_bytes(limits.max_bytes);
  if (limits.max_ratio != defaults.max_ratio) unpack.set_max_ratio(limits.max_ratio);
  return unpack;
}

absl::StatusOr<Delivery> OpenDelivery(const Root& site, const DeployRequest& request) {
  if (request.capture) return OpenCapture(site, request);
  absl::StatusOr<PathState> src =
      ObservePath(site.env(), AT_FDCWD, request.source, request.source, false);
  if (src.ok() && src->type() == SYMLINK) {
    // The operator's own link to the upload: followed, as a shell would.
    struct stat st;
    if (site.env()->StatAt(AT_FDCWD, request.source, &st, request.source).ok()) {
      src->set_type(S_ISDIR(st.st_mode) ? DIRECTORY : S_ISREG(st.st_mode) ? REGULAR : OTHER);
    }
  }
  if (!src.ok() || src->type() == ABSENT) {
    return WithPath(Refuse(absl::StrCat("the release to deploy, ", request.source,
                                        ", does not exist; give the directory or the archive "
                                        "(.zip, .tar.gz ...) holding the new release")),
                    request.source);
  }
  if (request.update && (src->type() == DIRECTORY || src->type() == REGULAR)) {
    const bool is_archive = src->type() == REGULAR;
    absl::Status placed =
        CheckPlace(site, request.source,
                   is_archive ? SplitParent(request.source).first : request.source, is_archive);
    if (!placed.ok()) return placed;
    return OpenUpdate(site, request);
  }
  if (src->type() == DIRECTORY) return OpenDirectory(site, request);
  if (src->type() == REGULAR) return OpenArchive(site, request);
  return WithPath(Refuse(absl::StrCat(request.source,
                                      " is neither a directory nor an archive; "
                                      "give the directory or the archive holding "
                                      "the new release")),
                  request.source);
}

}  // namespace persist
