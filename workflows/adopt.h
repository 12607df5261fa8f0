// Copyright persist authors.
//
// adopt: an app installed in place made a persist site, as one journaled
// run (planner/adopt_planner.h): the app becomes releases/<id> by renames,
// its persistent paths move into shared/, current points at it, and the
// web server's path leads to current/public. `persist undo` puts every
// byte, mode, owner, link and mtime back where it was.
//
// Where the site is: --root when given; else the app's directory's parent
// when the app's directory is the web server's root (public_html, served
// itself), the app's directory itself (a VPS's /var/www/example.com,
// served from its public/), or the deepest directory holding both the app
// and a web root of its own (~ for ~/example.com and ~/public_html).

#ifndef PERSIST_WORKFLOWS_ADOPT_H_
#define PERSIST_WORKFLOWS_ADOPT_H_

#include <string>

#include "absl/status/statusor.h"
#include "planner/adopt_planner.h"
#include "workflows/deploy.h"
#include "workflows/site_request.h"

namespace persist {

struct AdoptOptions {
  SiteRequest site;     // site.root_dir "": chosen from the app (above)
  std::string app_dir;  // as given
  // The directory the web server serves, as given: the app's directory, its
  // public/, or a directory of its own beside the app holding the app's
  // public files; "" to decide by the app directory's name
  // (LooksLikeWebRoot).
  std::string web_root;
  std::string release_id;  // "" for one from the clock
  bool force = false;      // adopt a directory without the app's markers
  // The vendor's original zip, tarball or directory of the installed
  // version, as given: the install is compared with it (adopt_planner.h);
  // "" for none.
  std::string vendor;
  // Files the vendor never shipped, in the app's code: kept in the
  // release, or (kAsk) the adoption is refused, naming them.
  AdoptRequest::Unknown unknown = AdoptRequest::kAsk;
  bool dry_run = false;    // plan and report; change nothing
};

// Errors: kUsage for bad input or a refused plan, with nothing touched
// (no .persist/ made either); kFailed when the run failed and was undone;
// see SiteSession::Open for the rest.
absl::StatusOr<DeployResult> Adopt(const AdoptOptions& options);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_ADOPT_H_
