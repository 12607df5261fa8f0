// Copyright persist authors.
//
// vendor_compare: an app installed in place set against what its vendor
// shipped (the original zip or directory of the installed version), path by
// path, outside the app's persistent paths (which hold the site's data):
// the vendor's files as shipped, the vendor's files modified in place (local
// customisations), files the vendor never shipped (a module installed from
// the admin panel, a client's own code, or user data in an APP directory),
// and the vendor's files the install no longer has.

#ifndef PERSIST_PLANNER_VENDOR_COMPARE_H_
#define PERSIST_PLANNER_VENDOR_COMPARE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/source_tree.h"
#include "planner/classifier.h"

namespace persist {

struct VendorComparison {
  int unchanged = 0;                  // the vendor's files as shipped
  std::vector<std::string> modified;  // the vendor's files changed in place
  // What the vendor never shipped: files, symlinks, and directories whole
  // (with a trailing '/', their content not listed again).
  std::vector<std::string> unknown;
  std::vector<std::string> missing;  // the vendor's files the install lacks
};

// Compares `live` (the installed app) with `vendor` (the app as shipped),
// leaving out every path within one of `persistent` (PersistentRoots).
// Regular files compare by content (SHA-256), symlinks by target; a path
// of another type on each side is modified. Paths are sorted.
absl::StatusOr<VendorComparison> CompareWithVendor(const SourceTree& live, const SourceTree& vendor,
                                                   const std::vector<Classification>& persistent);

}  // namespace persist

#endif  // PERSIST_PLANNER_VENDOR_COMPARE_H_
