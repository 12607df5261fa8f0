// Copyright persist authors.
//
// web_root: how public_html, the directory a shared host serves, serves the
// live release. The profile's web_root chooses:
//  - "link" (the default): public_html is a symlink to current/public; one
//    rename of current switches everything.
//  - "stub", for hosts that refuse a symlinked web root: public_html stays a
//    real directory. Its index.php is generated: it reads where current
//    points on every request and requires that release's public/index.php,
//    so the live release answers every request (its __DIR__ is its own
//    public/), and no cache of PHP's keeps the one of before a switch. Every
//    other entry of the release's public/ is a link through current
//    (public_html/css -> ../current/public/css), or, with copy_assets, for
//    hosts that follow no link at all, a copy, remade at every switch; a
//    link of the release's public/ into shared/ (uploads) then becomes a
//    link straight to shared/. The files the server reads itself rather
//    than serves (.htaccess, .user.ini) are always copies.
// Entries of public_html that neither the new release's public/ nor the
// replaced one's hold (.well-known/ of AutoSSL, a search engine's
// verification file) are the operator's, and stay where they are. Whatever
// a switch replaces goes to the run's stash like any op's, so undo puts the
// web root back exactly.

#ifndef PERSIST_PLANNER_WEB_ROOT_H_
#define PERSIST_PLANNER_WEB_ROOT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "fsops/source_tree.h"
#include "planner/outcome.h"
#include "proto/config.pb.h"
#include "proto/journal.pb.h"

namespace persist {

// The directory a shared host serves, relative to the site.
inline constexpr char kWebRoot[] = "public_html";

struct WebRootMode {
  bool stub = false;
  bool copy_assets = false;
};

// The profile's web_root and copy_assets. InvalidArgument naming the value
// and the two that are allowed.
absl::StatusOr<WebRootMode> WebRootModeOf(const Profile& profile);

// One entry of a release's public/ as it is (or will be once the run's
// earlier ops are applied): its name, type, and a symlink's target.
struct PublicEntry {
  std::string name;
  FileType type = ABSENT;
  std::string link_target;
};

// The entries of `release_dir`/public (release_dir: "releases/ID") on disk;
// none when it has no public/.
absl::StatusOr<std::vector<PublicEntry>> PublicEntriesOnDisk(const Root& site,
                                                             const std::string& release_dir);

// The entries of public/ in `tree` (an app as shipped), with each symlink
// that `plan` makes at `release_dir`/public/NAME (a persistent path the run
// links into shared/) in place of what was shipped there.
absl::StatusOr<std::vector<PublicEntry>> PublicEntriesPlanned(const SourceTree& tree,
                                                              const std::string& release_dir,
                                                              const Plan& plan);

// The generated index.php of a stub web root.
std::string StubIndexPhp();

struct StubChange {
  std::string release_dir;           // "releases/ID": current once the run ends
  std::vector<PublicEntry> entries;  // of release_dir/public, as above
  std::string replaced_dir;          // the release current leaves, or ""
  bool copy_assets = false;
};

// Appends to `plan` the ops that make public_html the stub of
// change.release_dir, and to `outcomes` what they leave, and to `notes`
// what the operator should know (entries left as the operator's). Only what
// differs is changed, so on a web root that is right it adds nothing;
// copies are made again whenever the release changes. A public_html that is
// a symlink is replaced in one exchange by a stub built beside it
// (.public_html.persist-stub); one that is missing is made. InvalidArgument (a usage error)
// when public_html is a file, or the name to build beside it is taken.
absl::Status PlanStubWebRoot(const Root& site, const StubChange& change, Plan* plan,
                             Outcomes* outcomes, std::vector<std::string>* notes);

}  // namespace persist

#endif  // PERSIST_PLANNER_WEB_ROOT_H_
