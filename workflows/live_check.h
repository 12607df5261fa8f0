// Copyright persist authors.
//
// live_check: what follows every switch of current. A deploy is done when
// the site serves the new release, not when current moved:
//  1. the profile's reload commands run in the live release ("systemctl
//     reload php8.2-fpm", "cachetool opcache:reset"): PHP-FPM's OPcache and
//     realpath cache key on resolved paths, so its workers go on running
//     the old release's files until they are reset;
//  2. each health URL (the profile's health_url, and --health-url) is asked
//     through the real web server (net/http_check.h) and must answer as
//     health_expect says.
// Both go into the run's record (persist show). When a reload fails or a
// check does not pass, the run is undone before the command returns, the
// reloads run again so that the web server serves the release current
// points at again, and the command fails naming the URL, its status, the
// first lines of its body and the release that stays live.

#ifndef PERSIST_WORKFLOWS_LIVE_CHECK_H_
#define PERSIST_WORKFLOWS_LIVE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/journal.pb.h"
#include "workflows/reporter.h"
#include "workflows/site_session.h"

namespace persist {

struct HealthOptions {
  std::vector<std::string> urls;  // --health-url: checked after the profile's
  bool skip = false;              // --no-health: reload, but check nothing
};

// kUsage, naming the setting and what to do, when the site's profile
// (health_expect, a health_url) or `options` (a --health-url) would make
// the checks after a switch impossible. Called before the run, so that a
// bad setting refuses the command with nothing touched.
absl::Status ValidateLiveChecks(const Root& root, const HealthOptions& options);

// For `run`, which moved current and committed: reloads, then checks, each
// recorded in `run` and stored. OK when all passed (or there was nothing to
// do). Otherwise `run` is undone (its state then RUN_FAILED, as a run whose
// op failed, so that a plain `persist undo` after it does not take the run
// before it; its undo_reason "failed: " and the failure), the reloads run
// again, and the error is kFailed: a check that cannot be made at all
// counts as failed.
absl::Status CheckLiveRelease(SiteSession& session, Run* run, const HealthOptions& options,
                              Reporter& reporter);

// For `undone`, a run that moved current and was just undone: reloads, then
// checks the release current points at now, recorded in `undone`. No run
// is reversed for a failure here (an undo is not undone by itself): the
// error (kFailed) says what failed and that the site is as the undo left it.
absl::Status CheckAfterUndo(SiteSession& session, Run* undone, const HealthOptions& options,
                            Reporter& reporter);

// Whether `op` points current anywhere (the switch of a deploy, switch,
// rollback, adoption or repair).
bool MovesCurrent(const Op& op);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_LIVE_CHECK_H_
