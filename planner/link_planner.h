// Copyright persist authors.
//
// link_planner: the blueprint's in-place form, `ultimate-persistence.sh
// APP_DIR SHARED_DIR MODE ENV`, for an app directory that is not a persist
// release (a working copy, or an app deployed by other means).
//
//  - server first / subsequent / auto: as a deploy does for a release (see
//    shared_links.h), but in place; paths already linked are left alone, so
//    running it again changes nothing. auto is first while SHARED_DIR does
//    not exist or is empty.
//  - server custom: the same, for the CUSTOM class only (E-Customize-App).
//  - local (any mode but verify): no symlinks; every persistent directory
//    the app lacks is created in the app.
//  - verify: nothing is planned; every persistent path is checked (linked
//    into SHARED_DIR on a server, present locally).

#ifndef PERSIST_PLANNER_LINK_PLANNER_H_
#define PERSIST_PLANNER_LINK_PLANNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "planner/classifier.h"
#include "planner/health.h"
#include "proto/journal.pb.h"

namespace persist {

struct LinkRequest {
  enum Mode { kAuto, kFirst, kSubsequent, kVerify, kCustom };
  std::string app_dir;     // relative to the root
  std::string shared_dir;  // relative to the root
  std::string app_source;  // the app directory, absolute
  Mode mode = kAuto;
  bool local = false;
};

struct LinkPlan {
  Plan plan;
  bool first = false;
  std::vector<std::string> notes;
  std::vector<Problem> problems;  // verify
};

absl::StatusOr<LinkPlan> PlanLink(const Root& site, const Classifier& classifier,
                                  const LinkRequest& request);

}  // namespace persist

#endif  // PERSIST_PLANNER_LINK_PLANNER_H_
