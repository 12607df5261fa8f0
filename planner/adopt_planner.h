// Copyright persist authors.
//
// adopt_planner: the plan that turns an app installed in place (the
// vendor's zip unpacked into the web root, or into /var/www/example.com)
// into a persist site, in one run, by renames: the app becomes
// releases/<id> whole, current points at it, the web server's path leads
// to current/public, and every persistent path of the app moves into
// shared/ (what is there now is the site's data: all of it kept, as a
// first deploy keeps a release's demo content) and is linked back.
//
// Three layouts:
//  - the app inside the site (SITE/public_html holding artisan, public/
//    and an .htaccess sending requests on to public/): the app's directory
//    is renamed to releases/<id> and replaced by a link to current/public
//    when the web server serves it (shared hosting's web root), else by a
//    link to current (the server serves its public/, a cron job names its
//    artisan);
//  - the app is the site (a VPS's /var/www/example.com, served from its
//    public/): its entries are renamed into releases/<id> one by one,
//    public/ last, which is then replaced by a link to current/public;
//  - the app beside a web root of its own (~/example.com, and
//    ~/public_html holding the app's public files, its index.php requiring
//    ../example.com/vendor/autoload.php): the app is renamed to
//    releases/<id>, the web root becomes its public/ (the app's own
//    public/, which nobody served, kept beside it as public.before-adopt/),
//    index.php is rewritten to require ../vendor/autoload.php as a release
//    lays it out, and both the web root and the app's directory become
//    links, to current/public and current.
//
// The web server finds no app from the rename of the app (or of its first
// entry) until the link that replaces it: a few of the run's journaled
// ops. Each persistent path is missing between its move into shared/ and
// its link, after the switch.

#ifndef PERSIST_PLANNER_ADOPT_PLANNER_H_
#define PERSIST_PLANNER_ADOPT_PLANNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "planner/classifier.h"
#include "planner/deploy_planner.h"

namespace persist {

struct AdoptRequest {
  // The app's directory relative to the site; "" when it is the site's
  // directory itself.
  std::string app_dir;
  // The app's directory as the operator gave it, absolute (for messages
  // and to read it).
  std::string app_source;
  std::string release_id;  // empty: chosen from the clock
  // The web server serves the app's directory itself (shared hosting's
  // public_html), not its public/. Only for an app inside the site.
  bool app_is_web_root = false;
  // The web server's root when it is a directory of its own beside the app,
  // holding the app's public files: relative to the site, and absolute (to
  // read it). "" otherwise.
  std::string web_root_dir;
  std::string web_root_source;
  // Adopt a directory that holds none of the app's markers (kAppMarkers).
  bool force = false;
  // The app as its vendor shipped the installed version (the original zip
  // or directory, delivery.h), to compare the install with; null for none.
  const SourceTree* vendor = nullptr;
  // Where the files the vendor never shipped go, outside the persistent
  // paths: kAsk refuses the adoption, naming them; kRelease keeps them in
  // the release, as the app's code; kShared keeps them as the site's data:
  // each becomes a custom path of the profile it writes, moved into shared/
  // and linked, as `persist custom add` would.
  enum Unknown { kAsk, kRelease, kShared } unknown = kAsk;
};

// The plan, as a first deploy's (DeployPlan::first is set). InvalidArgument,
// naming the path and what to do, with nothing touched, when: the app's
// directory is missing or no directory; holds none of kAppMarkers (unless
// request.force); is the site's releases/ or shared/ or lies in them; the
// site already has releases/, shared/ or current (it is a persist site,
// or holds names an adoption would take); the app, being the site, holds
// one of those names; a web root of its own (request.web_root_dir) that is
// no directory, lies in the app or holds it, has no index.php naming the
// app's directory (../APP/), while the app's own public/ holds data in a
// persistent path, or holds public.before-adopt; a persistent path is a
// symlink (shared_links.h) or,
// like anything else that would move, a mount point; with a vendor's
// release, files it never shipped lie outside the persistent paths and
// request.unknown is kAsk; the user running persist may not make one of
// the plan's changes (plan_access.h); with kShared, one such path holds a glob's
// characters (*?[), which a profile would read as a pattern. With a vendor's release the notes
// report the comparison (vendor_compare.h): what is as shipped, modified in place, never shipped
// (with the `persist custom add` that would keep each as data), and missing.
absl::StatusOr<DeployPlan> PlanAdopt(const Root& site, const Classifier& classifier,
                                     const AdoptRequest& request);

// Whether the directory `app_source` looks like the web server's root
// rather than an app served from its public/: named public_html, www,
// htdocs or httpdocs, as hosting panels name it.
bool LooksLikeWebRoot(const std::string& app_source);

}  // namespace persist

#endif  // PERSIST_PLANNER_ADOPT_PLANNER_H_
