// Copyright persist authors.
//
// deploy_planner: the blueprint's first and subsequent deploys as a Plan.
//
// A deploy of SRC as release ID is one run:
//  1. releases/ and shared/ exist; SRC is copied (imported) to releases/ID.
//  2. Every persistent path of the release (the classifier's top-most
//     non-APP paths, and the profile's exact ones such as .env and storage/):
//     - not in shared/ yet: the release's copy moves there (demo content kept
//       whole: one rename), and the release gets a relative symlink to it;
//     - already in shared/: user data is never overwritten; the release's
//       copy goes to the run's stash (reported: files, bytes), with
//       --merge-new first copying the files shared/ lacks; then the symlink.
//     .env missing everywhere is seeded from .env.example (with a warning),
//     never created empty, and is never left world-readable.
//  3. current -> releases/ID (unless no_switch); a real public_html
//     directory becomes public_html -> current/public, its content stashed,
//     or, with the profile's web_root "stub", public_html becomes (or stays)
//     a directory forwarding to the release (web_root.h).
//  4. shared/health-check.sh and shared/emergency-recovery.sh, small
//     wrappers of `persist verify` and `persist recover`, are installed
//     where missing (never overwritten).
//  5. Releases beyond `keep` (oldest first, never the live one) are removed
//     to the stash. (shared/.deployment-history gets its line from the
//     command once the run ends: workflows/history.h.)
// The planner reads the site and SRC and never writes.

#ifndef PERSIST_PLANNER_DEPLOY_PLANNER_H_
#define PERSIST_PLANNER_DEPLOY_PLANNER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fsops/release_archive.h"
#include "fsops/root.h"
#include "planner/classifier.h"
#include "planner/outcome.h"
#include "planner/vendor_compare.h"
#include "planner/web_root.h"
#include "proto/journal.pb.h"

namespace persist {

// When each release was deployed, from the journal's deploy records: the
// start of the latest committed deploy run that made it, in ns. Releases
// are ordered by it, not by their names, which operators choose freely.
using DeployTimes = std::map<std::string, int64_t>;

struct DeployRequest {
  std::string source;      // SRC, absolute: a directory, or an archive (delivery.h)
  std::string release_id;  // empty: chosen from the clock
  enum Mode { kAuto, kFirst, kSubsequent } mode = kAuto;
  int keep = 5;
  bool merge_new = false;
  bool switch_current = true;
  // Deploy SRC even when it is empty or holds none of the app's markers
  // (kAppMarkers).
  bool force = false;
  // The app's directory inside SRC; "" to find it (app_finder.h): SRC
  // itself, or the one directory below it that holds the app.
  std::string app_dir;
  bool has_deployed_before = false;  // from the journal, for kAuto
  // How files unchanged since the live release are made (copy_tree.h).
  DedupeMode dedupe = DEDUPE_AUTO;
  DeployTimes deployed_at;           // from the journal, for the release order
  // An archive's decompression bomb limits (release_archive.h).
  ArchiveLimits limits;
  // SRC is a vendor's update package, laid over a copy of the live release
  // (delivery.h OpenUpdate).
  bool update = false;
  // The package's list of deleted paths; "" for its deleted-files.txt.
  std::string delete_list;
  // The version the live release must be at (its VERSION file); "" for any.
  std::string expect_version;
  // No SRC: the live release as it is now, changes made in place included,
  // becomes the new release (persist capture; delivery.h OpenCapture).
  bool capture = false;
  // How public_html serves the release it switches to (web_root.h).
  WebRootMode web_root;
};

struct DeployPlan {
  Plan plan;
  std::string source;  // the app the release is made of: its directory, or ARCHIVE: DIR
  std::string release_id;
  bool first = false;
  std::vector<Classification> classification;  // of the release
  std::vector<std::string> notes;              // warnings and reports for the operator
  // An adoption's install against what its vendor shipped (adopt --vendor).
  std::optional<VendorComparison> vendor;
  int switch_index = -1;  // the op that switches current, -1 without one
  // What the run must have left in place when it commits: the release, what
  // it moved into shared/, and every link it made (outcome.h).
  Outcomes outcomes;
  // The profile's commands to run in the release around the switch, and
  // how long each may run (hook_timeout).
  std::vector<std::string> before_switch;
  std::vector<std::string> after_switch;
  absl::Duration hook_timeout = absl::Seconds(300);
};

// What a release of a PHP/Laravel app holds at least one of. A SRC with none
// (an empty directory, the directory above the app, a half-unpacked
// archive) is refused unless DeployRequest::force: deployed, it would
// replace the live app with something that is not one.
inline constexpr const char* kAppMarkers[] = {"artisan", "composer.json", "public/index.php"};

absl::StatusOr<DeployPlan> PlanDeploy(const Root& site, const Classifier& classifier,
                                      const DeployRequest& request);

// The content of shared/health-check.sh (`command` "verify") or
// shared/emergency-recovery.sh ("recover": recover, then verify, so that it
// never reports success on a site verify finds broken).
std::string HelperScript(const std::string& command);

// A release id for now: 20261128T101500Z, with -2, -3... if taken.
absl::StatusOr<std::string> NewReleaseId(const Root& site);

// `requested` when it is a valid id no release has yet (InvalidArgument
// naming it otherwise); NewReleaseId when it is empty.
absl::StatusOr<std::string> ChooseReleaseId(const Root& site, const std::string& requested);

class PlanBuilder;
// Adds the writes of the blueprint's maintenance scripts, wrappers of
// persist (HelperScript), to shared/ where they are not yet.
absl::Status AddHelperScripts(PlanBuilder& builder);

// The relative symlink target from `link` (a path in the site) to `target`
// (another path in the site): NOT resolved, computed from the components.
std::string RelativeTarget(const std::string& link, const std::string& target);

// The site's profile: shared/.persistence-config, or the blueprint's
// defaults when there is none. Errors name the file and line.
absl::StatusOr<Profile> LoadSiteProfile(const Root& site, const std::string& path = kProfilePath);

// The classifier of the site's profile (LoadSiteProfile at `path`, then
// its rules); errors as theirs.
absl::StatusOr<Classifier> SiteClassifier(const Root& site, const std::string& path = kProfilePath);

// The release `current` points at, or "" when there is none.
absl::StatusOr<std::string> CurrentRelease(const Root& site);

// Release order: numbers inside ids compare by value (v9 before v10), so
// time-based ids sort by time and hand-given ones as people expect.
bool ReleaseIdLess(const std::string& a, const std::string& b);

// The release ids under releases/, oldest first: in the order they were
// deployed (`deployed_at`); releases without a deploy record (made by hand,
// or from a journal that was lost) come before every recorded one, among
// themselves by ReleaseIdLess. Names that start with '.' are runs' staging
// directories and are left out; other names that are not valid ids
// (fsops/path.h ValidateId: a name with a space, a newline, a '$' ...) are
// left out too, since no command could name them safely, and go to
// *skipped, when given, for the caller to report.
absl::StatusOr<std::vector<std::string>> ListReleases(const Root& site,
                                                      const DeployTimes& deployed_at = {},
                                                      std::vector<std::string>* skipped = nullptr);

}  // namespace persist

#endif  // PERSIST_PLANNER_DEPLOY_PLANNER_H_
