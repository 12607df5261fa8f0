// Copyright persist authors.
//
// site_dir: the site directory a deploy creates when the operator names one
// that does not exist yet (persist deploy app --root /var/www/example.com),
// as long as its parent does: a typo in the parent is an error, not a tree
// of new directories.

#ifndef PERSIST_WORKFLOWS_SITE_DIR_H_
#define PERSIST_WORKFLOWS_SITE_DIR_H_

#include <string>

#include "absl/status/statusor.h"

namespace persist {

// When `root_dir` does not exist, creates it (mode 0755; run as root, it
// takes its parent's owner, as everything persist creates does) and returns
// true; returns false, changing nothing, when it exists. With `dry_run`
// nothing is created, and true says that the deploy would create it. Errors
// (kUsage, nothing created) name the path and the next step: its parent
// missing or not a directory, or the directory not creatable (permissions,
// a read-only filesystem).
absl::StatusOr<bool> MakeMissingSiteDir(const std::string& root_dir, bool dry_run);

// A new empty directory under $TMPDIR (else /tmp) that stands in for a site
// directory a dry run would create: the plan of a deploy into it is the
// plan of a deploy into the new site. Remove it with RemoveSiteDirIfEmpty.
absl::StatusOr<std::string> MakeStandInSiteDir();

// Removes the directory MakeMissingSiteDir made, if it is still empty: a
// deploy refused before it wrote anything leaves nothing behind. A failure
// is ignored: the directory is empty and harmless.
void RemoveSiteDirIfEmpty(const std::string& root_dir);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_SITE_DIR_H_
