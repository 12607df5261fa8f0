// Copyright persist authors.
//
// site_session: a site opened for a change, the one way a workflow gets to
// change a site. It owns the rules every such command obeys, in order:
//
//   1. where a site may be (root_guard.h: not inside another site's
//      releases/, shared/ or live release; root only on its own sites
//      unless allowed);
//   2. the site lock (journal/site.h), held until the session goes away;
//   3. the note that the command may leave trees in the site's trash, which
//      is emptied once the command is done (trash_emptier.h);
//   4. the record of the persist binary the helper scripts fall back on;
//   5. the purge guard: before any stash leaves the undo window, the data
//      it holds that was on the site before its run is rescued
//      (purge_guard.h); the journal purges no stash without it;
//   6. no change while a run is left interrupted: it must be recovered first
//      (except for recover and undo themselves, see OpenToRepair);
//   7. a command of a fleet run (SiteRequest::fleet_run) does not land on
//      another fleet run's staging: while the site's latest committed run
//      is a deploy of another fleet run whose release current does not
//      point at (staged, neither switched nor undone), that fleet run is
//      under way, or was cut off. A run on top of it would keep its
//      controller from undoing it (runs are undone newest first), and the
//      fleet would end split; so the command is refused, and one of the
//      two controllers fails cleanly instead (also not for recover and
//      undo).
//
// Every run of a session is recorded in shared/.deployment-history
// (history.h) by Execute, whatever its outcome.

#ifndef PERSIST_WORKFLOWS_SITE_SESSION_H_
#define PERSIST_WORKFLOWS_SITE_SESSION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "fsops/root.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "proto/journal.pb.h"
#include "workflows/site_request.h"

namespace persist {

class SiteSession {
 public:
  // Opens the site for a change, by rules 1 to 7. kUsage when the site may
  // not be changed here or another fleet run's staging is in the way,
  // kLocked when another run holds it, kNeedsRecovery when a run is left
  // interrupted.
  static absl::StatusOr<std::unique_ptr<SiteSession>> Open(const SiteRequest& request);

  // The same without rules 6 and 7: for recover and undo, which deal with an
  // interrupted run themselves.
  static absl::StatusOr<std::unique_ptr<SiteSession>> OpenToRepair(const SiteRequest& request);

  // For a site persist has not opened yet (no .persist/): rule 1, then the
  // site's tree opened only to read, so that a command can plan (and refuse)
  // before .persist/ is created, leaving nothing behind. nullptr when the
  // site has its .persist/ already: plan under the lock instead. A site on
  // a network filesystem is refused here as Site::OpenForWriting would.
  static absl::StatusOr<std::unique_ptr<Root>> TreeOfNewSite(const SiteRequest& request,
                                                             Env* env = Env::Default());

  Site& site() const { return *site_; }
  Root& root() const { return site_->root(); }
  // The site directory, absolute.
  const std::string& dir() const { return dir_; }

  // Applies `plan` as one journaled run (journal/transaction.h ExecutePlan),
  // then adds the line for `what` and how the run ended to
  // <history_dir>/.deployment-history ("" adds none). The run carries the
  // request's fleet run, and so does its line.
  absl::StatusOr<Run> Execute(const Plan& plan, const RunOptions& options, const std::string& what,
                              const std::string& history_dir = "shared");

  // Adds `what` to shared/.deployment-history: for what is not a run of its
  // own (an undo, a recovery).
  void AddToHistory(const std::string& what);

 private:
  SiteSession(std::unique_ptr<Site> site, std::string dir, std::string fleet_run)
      : site_(std::move(site)), dir_(std::move(dir)), fleet_run_(std::move(fleet_run)) {}
  static absl::StatusOr<std::unique_ptr<SiteSession>> OpenLocked(const SiteRequest& request);

  std::unique_ptr<Site> site_;
  std::string dir_;
  std::string fleet_run_;  // SiteRequest::fleet_run
};

// The absolute form of `path`, which must exist: kUsage naming `what` it is
// ("the release to deploy") and `next_step` when it cannot be found.
absl::StatusOr<std::string> AbsoluteExisting(const std::string& path, const std::string& what,
                                             const std::string& next_step);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_SITE_SESSION_H_
