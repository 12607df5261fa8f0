// Copyright persist authors.
//
// link: the blueprint's in-place form. An app directory and a shared
// directory, both under one site directory (whose .persist/ keeps the
// journal), get the app's persistent paths moved into shared/ and linked
// back, as one run; `verify` only reports what is not in place.

#ifndef PERSIST_WORKFLOWS_LINK_H_
#define PERSIST_WORKFLOWS_LINK_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "planner/health.h"
#include "planner/link_planner.h"
#include "proto/journal.pb.h"

namespace persist {

struct LinkOptions {
  std::string app_dir;     // as given
  std::string shared_dir;  // as given; may not exist yet (its parent must)
  LinkRequest::Mode mode = LinkRequest::kAuto;
  bool local = false;      // the blueprint's ENV local: directories, no links
  bool allow_root = false;
};

struct LinkResult {
  std::string app;                 // absolute
  std::string shared;              // absolute
  std::string site_dir;            // the directory holding both, absolute
  std::vector<std::string> notes;
  std::vector<Problem> problems;   // verify: what is not in place
  std::optional<Run> run;          // none for verify, or with nothing to change
};

// kUsage when the two directories are not two separate directories under
// one site directory, or the plan is refused (nothing touched).
absl::StatusOr<LinkResult> Link(const LinkOptions& options);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_LINK_H_
