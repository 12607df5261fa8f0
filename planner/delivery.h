// Copyright persist authors.
//
// delivery: what a deploy takes in, checked and located before it is
// planned. SRC is a directory (imported: copied into the release) or a
// vendor's zip or tarball (unpacked into it, fsops/release_archive.h); in
// either, the app is found where the vendor put it (app_finder.h).

#ifndef PERSIST_PLANNER_DELIVERY_H_
#define PERSIST_PLANNER_DELIVERY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/release_archive.h"
#include "fsops/root.h"
#include "fsops/source_tree.h"
#include "planner/deploy_planner.h"
#include "proto/journal.pb.h"

namespace persist {

struct Delivery {
  // The app's files as the release will hold them.
  std::unique_ptr<SourceTree> tree;
  // An archive's listing, which `tree` reads.
  std::unique_ptr<ArchiveListing> listing;
  // The op that stages the release: an import or an unpack, its `to` unset.
  Op stage;
  // The app as the operator knows it: "/home/u/up/shop", or
  // "/home/u/shop.zip: shop".
  std::string name;
  // Which app was taken and why, and what an archive left out.
  std::vector<std::string> notes;
};

// Checks request.source and finds the app in it. Refused (InvalidArgument,
// naming the path and the next step): a SRC that is missing, neither a
// directory nor an archive; that is the site or holds it; that lies inside
// the site's releases/, shared/, .persist/, current or public_html; that
// holds no app (unless request.force) or several; a directory holding a
// fifo, socket or device; an archive the rules of release_archive.h refuse,
// or that unpacks to more than the site's filesystem has free.
absl::StatusOr<Delivery> OpenDelivery(const Root& site, const DeployRequest& request);

// The delivery of an update package (request.update; OpenDelivery calls
// it): the live release, less the paths the package deletes, with the
// package over it (fsops/release_update.h), built by an UpdateOp. The
// package (a directory or an archive) is taken from the top folder down
// to the first that shares a name with the live release's top (app/,
// routes/, composer.json ...), or from --app-dir. Its deleted paths are
// read from its deleted-files.txt (or request.delete_list), one a line
// ('#' comments and blank lines skipped); a path that lies in a persistent
// path (shared data) is never deleted and is named in a note. Refused:
// a site without a live release; a package whose VERSION is not above the
// live release's; a live release not at request.expect_version; a delete
// list with a path that is not relative or climbs out.
absl::StatusOr<Delivery> OpenUpdate(const Root& site, const DeployRequest& request);

// The delivery of persist capture (request.capture; OpenDelivery calls it):
// the live release copied as it is now, whatever was written into it in
// place included, by an UpdateOp without a package. Refused: a site
// without a live release.
absl::StatusOr<Delivery> OpenCapture(const Root& site, const DeployRequest& request);

// The UnpackOp (its `to` unset) that unpacks `where` as it is now: the
// archive's size and mtime, and the limits that differ from the defaults.
absl::StatusOr<UnpackOp> UnpackOpFor(Env* env, const ArchivePath& where,
                                     const ArchiveLimits& limits);

}  // namespace persist

#endif  // PERSIST_PLANNER_DELIVERY_H_
