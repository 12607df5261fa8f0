// Copyright persist authors.
//
// app_finder: where in a vendor's delivery the app is. A CodeCanyon buyer's
// download, unpacked, is seldom the app's own directory: it holds
// documentation/ beside the app, or the app one or two folders down
// ("Main Files/script/"). The app is the directory that holds one of
// kAppMarkers (artisan, composer.json, public/index.php).

#ifndef PERSIST_PLANNER_APP_FINDER_H_
#define PERSIST_PLANNER_APP_FINDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/env.h"

namespace persist {

// Whether the directory `dir` (absolute) holds one of kAppMarkers, a
// regular file.
absl::StatusOr<bool> HoldsAppMarker(Env* env, const std::string& dir);

struct AppLocation {
  std::string dir;  // relative to the delivery; "" for the delivery itself
  std::string why;  // for the operator: what made it the app
};

// How deep below the delivery an app is looked for.
inline constexpr int kAppSearchDepth = 3;

// The app in the delivery at `source` (absolute). `app_dir`, when not
// empty, names it (relative to `source`) and must hold a marker. Otherwise
// the delivery itself when it holds a marker; else the one directory up to
// kAppSearchDepth below it that does (hidden directories, __MACOSX/,
// vendor/ and node_modules/ are not searched, nor what lies below an app).
// NotFound when there is none (the caller's refusal then says so);
// InvalidArgument naming every candidate when there are several, and
// naming an app-dir that is not one.
absl::StatusOr<AppLocation> FindApp(Env* env, const std::string& source, const std::string& app_dir);

}  // namespace persist

#endif  // PERSIST_PLANNER_APP_FINDER_H_
