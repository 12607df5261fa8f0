// Copyright persist authors.
//
// purge_guard: a stash purge never destroys data that was on the site
// before the run. When a run leaves the undo window its stash is purged;
// first, everything in it that the run did not bring in itself is moved to
// .persist/rescued/ and reported:
//  - what an op displaced (removed, or replaced with a link, a write or a
//    copy) is rescued to .persist/rescued/<run>/<the path it had>, unless
//    it is one of the things a stash may lose: a symlink (its target is in
//    the journal), a tree of empty directories, a path inside a tree an
//    earlier op of the same run created (a release's own copy of a shared
//    path), or a file a write only appended to (shared/.deployment-history);
//  - a pruned release keeps only its drift (paths written into it after its
//    deploy, by its manifest), moved to .persist/rescued/<release>/; a pruned
//    release with no manifest, or adopted from an install in place (persist
//    adopt: nothing of it came from a vendor's package persist holds), is
//    rescued whole, as nothing tells its files
//    from what was written into it;
//  - the source a cross-filesystem move left in the stash is a duplicate of
//    what the move put in place, and goes;
//  - what an op displaced on another filesystem (shared/ on a mount of its
//    own, stashed in .persist-stash/ there) cannot be moved to
//    .persist/rescued/: unless it may go, the stash is kept, and the warning
//    says where it waits.
// The rescued paths are added to the run's record (persist show) and
// logged as warnings; persist verify lists what .persist/rescued/ holds.

#ifndef PERSIST_WORKFLOWS_PURGE_GUARD_H_
#define PERSIST_WORKFLOWS_PURGE_GUARD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "journal/site.h"

namespace persist {

// A Site::PurgeGuard: rescues from the stash of `run` what the run did not
// bring in, and appends the rescued paths to run.rescued(). An error keeps
// the stash (nothing is purged) and names the cause.
absl::Status RescueBeforePurge(Site& site, Run& run);

// The drifted paths of the live release at `release_path` ("releases/ID"),
// by its manifest; empty when it has none.
absl::StatusOr<std::vector<std::string>> DriftOf(Site& site, const std::string& release_path);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_PURGE_GUARD_H_
