// Copyright persist authors.
//
// health: what `persist verify` checks in a site's tree, each problem with
// the path, what is wrong, and the command that fixes it.
//
//  - current is a symlink to a directory under releases/;
//  - every persistent path kept in shared/ is linked from the live release,
//    by a symlink that resolves, without leaving the site, to it;
//  - public_html, when present, leads to current/public; with the
//    profile's web_root "stub", it is the stub directory forwarding to the
//    live release, each entry as a switch to it would make it;
//  - every link a request follows (public_html, current, links inside the
//    live release's public/) has the owner of what it leads to, as Apache's
//    SymLinksIfOwnerMatch and nginx's disable_symlinks if_not_owner demand;
//  - shared/.env exists and is not world-readable;
//  - shared/storage and shared/bootstrap/cache are writable directories;
//    for a Laravel release (one with artisan), shared/storage holds
//    framework/views, which Laravel compiles its views into;
//  - the web server's user can enter and read every directory of shared/,
//    and write every directory of shared/storage and shared/bootstrap/cache;
//  - no file of executable PHP (.php, .phtml, .phar ...) lies in a USER or
//    RUNTIME path of shared/: the classic web shell is an "upload";
//  - and, as notes that do not make the site unhealthy, what waits in
//    .persist/rescued/ (data persist kept rather than deleted).
// Reads only. Each problem persist can repair carries the ops that repair
// it: a link made again where none or the wrong one is (never over a file
// or directory, which may hold data), a directory made, a mode changed.

#ifndef PERSIST_PLANNER_HEALTH_H_
#define PERSIST_PLANNER_HEALTH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "planner/classifier.h"
#include "planner/web_root.h"
#include "proto/journal.pb.h"

namespace persist {

struct Problem {
  std::string path;
  std::string what;
  std::string fix;
  // The ops `persist repair` applies for it (planner/repair_planner.h); none
  // where persist cannot repair it, and `fix` says what the operator does.
  std::vector<Op> repair = {};
  // A regular file of the live release changed or missing since deploy:
  // the SHA-256 its manifest recorded, for a repair to find a copy of.
  std::string deployed_digest = {};
};

struct Health {
  std::vector<std::string> ok;  // what was checked and found right
  std::vector<Problem> problems;
  std::vector<std::string> notes;  // worth the operator's eye, not a problem
};

// The user the web server (PHP-FPM, Apache) runs the site as: the profile's
// web_user, else the owner of the site directory. uid 0 can do anything and
// so is never refused.
struct WebUser {
  std::string name;
  uint32_t uid = 0;
  std::vector<uint32_t> gids;  // primary and supplementary groups
};

// Checks the site at `site`, whose public_html is as `web_root` says
// (web_root.h). An error only when the tree cannot be read.
absl::StatusOr<Health> CheckSiteHealth(const Root& site, const Classifier& classifier,
                                       const WebUser& web_user,
                                       const WebRootMode& web_root = WebRootMode());

}  // namespace persist

#endif  // PERSIST_PLANNER_HEALTH_H_
