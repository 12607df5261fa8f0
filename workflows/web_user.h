// Copyright persist authors.
//
// web_user: who the web server runs the site as, for persist verify's access
// checks: the profile's web_user (a user name of this host), else the owner
// of the site directory, with that user's groups.

#ifndef PERSIST_WORKFLOWS_WEB_USER_H_
#define PERSIST_WORKFLOWS_WEB_USER_H_

#include <string>

#include "absl/status/statusor.h"
#include "planner/health.h"

namespace persist {

// The web user named `name`, or, when `name` is empty, the owner of
// `site_dir`. InvalidArgument naming the profile field when `name` is no
// user of this host; an errno error when site_dir cannot be read.
absl::StatusOr<WebUser> ResolveWebUser(const std::string& name, const std::string& site_dir);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_WEB_USER_H_
