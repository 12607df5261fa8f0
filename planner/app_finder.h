// Copyright persist authors.
//
// app_finder: where in a vendor's delivery the app is. A CodeCanyon buyer's
// download, unpacked, is seldom the app's own directory: it holds
// documentation/ beside the app, or the app one or two folders down
// ("Main Files/script/"), or inside a zip of its own. The app is the
// directory that holds one of kAppMarkers (artisan, composer.json,
// public/index.php).

#ifndef PERSIST_PLANNER_APP_FINDER_H_
#define PERSIST_PLANNER_APP_FINDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"
#include "fsops/release_archive.h"
#include "fsops/source_tree.h"

namespace persist {

struct AppLocation {
  std::string dir;  // relative to the delivery; "" for the delivery itself
  std::string why;  // for the operator: what made it the app
};

// How deep below the delivery an app is looked for.
inline constexpr int kAppSearchDepth = 3;

// The app in the delivery `delivery` (a directory, or an archive's
// listing). `app_dir`, when not empty, names it (relative to the delivery)
// and must hold a marker. Otherwise the delivery itself when it holds a
// marker; else the one directory up to kAppSearchDepth below it that does
// (hidden directories, __MACOSX/, vendor/ and node_modules/ are not
// searched, nor what lies below an app). NotFound when there is none (the
// caller's refusal then says so); InvalidArgument naming every candidate
// when there are several, and naming an app-dir that is not one.
absl::StatusOr<AppLocation> FindApp(const SourceTree& delivery, const std::string& app_dir);

// The app in a delivery that is an archive, and the listing of the archive
// that holds it.
struct ArchiveApp {
  ArchivePath where;  // where.dir is the app's directory
  std::unique_ptr<ArchiveListing> listing;
  std::string why;
};

// FindApp in the archive at `archive` (absolute); where it finds no app,
// in the archives the archive holds (a zip or tarball, by name, up to
// kAppSearchDepth deep, one level of nesting): CodeCanyon packs the app's
// own zip beside its documentation. `app_dir` may lead into such an archive
// ("Main Files/shop.zip/shop"). The app's symlinks must stay inside it.
// Errors as FindApp's, and the archive's own (release_archive.h).
absl::StatusOr<ArchiveApp> FindAppInArchive(Env* env, const std::string& archive,
                                            const std::string& app_dir,
                                            const ArchiveLimits& limits);

}  // namespace persist

#endif  // PERSIST_PLANNER_APP_FINDER_H_
