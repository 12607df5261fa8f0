// Copyright persist authors.
//
// shared_links: planning the blueprint's core step for one app directory:
// every persistent path is seeded into the shared directory (when it is not
// there yet: the app's copy moves, demo content whole) or, when it is, the
// app's copy goes to the stash (user data is never overwritten), and the app
// gets a relative symlink to it. `persist deploy` does this for a new release,
// `persist link` in place for an app directory.

#ifndef PERSIST_PLANNER_SHARED_LINKS_H_
#define PERSIST_PLANNER_SHARED_LINKS_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "fsops/source_tree.h"
#include "planner/classifier.h"
#include "planner/outcome.h"
#include "proto/journal.pb.h"

namespace persist {

// A plan being built: its ops, the directories it creates, what its ops
// must leave in place (outcome.h), and notes for the operator.
class PlanBuilder {
 public:
  explicit PlanBuilder(const Root& site) : site_(site) {}
  const Root& site() const { return site_; }
  Plan& plan() { return plan_; }
  std::vector<std::string>& notes() { return notes_; }
  Outcomes& outcomes() { return outcomes_; }

  // Adds mkdir ops for `path` and every missing directory above it, once.
  // InvalidArgument when one of them exists and is not a directory.
  absl::Status EnsureDir(const std::string& path);

  // Records that an op of the plan creates the directory `path`.
  void AssumeDir(const std::string& path) { made_.insert(path); }

 private:
  const Root& site_;
  Plan plan_;
  std::set<std::string> made_;
  std::vector<std::string> notes_;
  Outcomes outcomes_;
};

struct SharedLinkOptions {
  const SourceTree* source = nullptr;  // the app's files as shipped
  std::string app_dir;     // relative to the root: where the links go
  std::string shared_dir;  // relative to the root
  bool first = false;
  bool merge_new = false;
  // In place (persist link): a path already linked to the shared copy is
  // left as it is, so that running it again changes nothing.
  bool in_place = false;
  // An update (a release made from the live one): the live release's links
  // into shared/, which it carries over, are left as they are.
  bool carries_links = false;
  // Only paths of this class (the blueprint's custom mode).
  std::optional<PathClass> only;
  // Live data (custom add on the live release): where both the app and the
  // shared directory hold a path, refuse rather than stash the app's copy.
  bool app_holds_live_data = false;
};

// Adds to `builder` the ops that seed or stash and link every persistent
// path of `rows` (the app's classification) and the classifier's exact
// persistent paths. InvalidArgument, naming the path and what to do, for a
// persistent path that is a symlink, fifo or device, or whose type differs
// between the app and the shared directory.
absl::Status PlanSharedLinks(PlanBuilder& builder, const Classifier& classifier,
                             const std::vector<Classification>& rows, const SharedLinkOptions& options);

// The persistent paths to link: the top-most persistent rows, and the
// exact persistent rules (which may be absent from the app).
std::vector<Classification> PersistentRoots(const std::vector<Classification>& rows,
                                            const Classifier& classifier);

// The state of `rel` beneath the absolute directory `source`, unfollowed.
// Bad input: InvalidArgument with `message`.
absl::Status Refuse(absl::string_view message);

Op MkdirOf(const std::string& path);
Op SymlinkOf(const std::string& target, const std::string& path);
Op MoveOf(const std::string& from, const std::string& to);
Op CopyOf(const std::string& from, const std::string& to);
Op RemoveOf(const std::string& path);

}  // namespace persist

#endif  // PERSIST_PLANNER_SHARED_LINKS_H_
