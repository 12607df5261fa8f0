// Copyright persist authors.
//
// site_request: which site a workflow is to change, and who asks: what the
// command line passes to every workflow that opens a site for a change
// (site_session.h).

#ifndef PERSIST_WORKFLOWS_SITE_REQUEST_H_
#define PERSIST_WORKFLOWS_SITE_REQUEST_H_

#include <string>

namespace persist {

struct SiteRequest {
  std::string root_dir = ".";  // the site directory, as the operator gave it
  std::string command;         // recorded in the lock: "deploy", "switch", ...
  bool allow_root = false;     // root may change a site another user owns
  // The fleet run the command is one host's part of (--fleet-run), a valid
  // id or "": recorded in every run the session makes (Run.fleet_run), and
  // required of the run an undo reverses.
  std::string fleet_run = {};
};

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_SITE_REQUEST_H_
