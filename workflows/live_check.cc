// Copyright persist authors.

#include "workflows/live_check.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/error_kind.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "journal/recovery.h"
#include "journal/run_info.h"
#include "net/http_check.h"
#include "planner/deploy_planner.h"
#include "planner/profile.h"
#include "workflows/hooks.h"

namespace persist {
namespace {

// What follows a switch on this site, from its profile and the options.
struct LiveChecks {
  std::vector<std::string> reload;
  std::vector<std::string> urls;
  HttpExpectation expect;
  HttpCheckOptions check;
  absl::Duration hook_timeout;
};

absl::StatusOr<LiveChecks> LiveChecksOf(const Root& root, const HealthOptions& options) {
  absl::StatusOr<Profile> profile = LoadSiteProfile(root);
  if (!profile.ok()) return WithErrorKind(profile.status(), ErrorKind::kUsage);
  const std::string profile_path = absl::StrCat(root.dir(), "/", kProfilePath);
  LiveChecks checks;
  checks.reload.assign(profile->reload().begin(), profile->reload().end());
  checks.hook_timeout = HookTimeout(*profile);
  if (options.skip) return checks;
  for (const std::string& url : profile->health_url()) {
    absl::Status valid = ValidateHttpUrl(url);
    if (!valid.ok()) {
      return UsageError(absl::StrCat("health_url in ", profile_path, ": ", valid.message()));
    }
    checks.urls.push_back(url);
  }
  for (const std::string& url : options.urls) {
    absl::Status valid = ValidateHttpUrl(url);
    if (!valid.ok()) return UsageError(absl::StrCat("--health-url: ", valid.message()));
    checks.urls.push_back(url);
  }
  if (!profile->health_expect().empty()) {
    absl::StatusOr<HttpExpectation> expect = ParseHttpExpectation(profile->health_expect());
    if (!expect.ok()) {
      return UsageError(
          absl::StrCat("health_expect in ", profile_path, ": ", expect.status().message()));
    }
    checks.expect = *expect;
  }
  if (profile->health_timeout() > 0)
    checks.check.timeout = absl::Seconds(profile->health_timeout());
  return checks;
}

// The release current points at ("" for none) and its directory (the
// site's own when there is none), where the reloads run.
struct Live {
  std::string release;
  std::string dir;
};

absl::StatusOr<Live> LiveRelease(SiteSession& session) {
  absl::StatusOr<std::string> release = CurrentRelease(session.root());
  if (!release.ok()) return release.status();
  Live live{*release, session.dir()};
  if (!release->empty()) live.dir = absl::StrCat(session.dir(), "/releases/", *release);
  return live;
}

// Runs the reloads into `run`; the first that fails ends them, its failure
// in words in *failure.
absl::Status Reload(SiteSession& session, const LiveChecks& checks, Run* run, Reporter& reporter,
                    std::string* failure) {
  absl::StatusOr<Live> live = LiveRelease(session);
  if (!live.ok()) return live.status();
  for (const std::string& command : checks.reload) {
    absl::StatusOr<HookOutcome> hook =
        RunHook("reload", command, live->dir, session.dir(), live->release, checks.hook_timeout);
    if (!hook.ok()) return hook.status();
    *run->add_hooks() = hook->result;
    reporter.HookEnded(*hook);
    absl::Status failed = HookFailure(*hook, checks.hook_timeout, "");
    if (!failed.ok()) {
      *failure = std::string(failed.message());
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

// Checks every URL into `run`; the failures, in words, in *failures.
absl::Status Check(SiteSession& session, const LiveChecks& checks, Run* run, Reporter& reporter,
                   std::vector<std::string>* failures) {
  absl::StatusOr<Live> live = LiveRelease(session);
  if (!live.ok()) return live.status();
  for (const std::string& url : checks.urls) {
    HealthCheck* record = run->add_health();
    record->set_url(url);
    record->set_release(live->release);
    record->set_start_ns(NowNs());
    absl::StatusOr<HttpCheckResult> result = CheckUrl(url, checks.expect, checks.check);
    if (!result.ok()) {
      // The URLs were validated before the run: what is left (libcurl
      // cannot start) means the release cannot be shown to answer.
      HttpCheckResult unmade;
      unmade.url = url;
      unmade.failure = std::string(result.status().message());
      result = unmade;
    }
    record->set_end_ns(NowNs());
    record->set_passed(result->passed);
    record->set_status(static_cast<int32_t>(result->status));
    record->set_failure(result->failure);
    record->set_body_head(result->body_head);
    record->set_attempts(result->attempts);
    reporter.HealthChecked(*record);
    if (!result->passed) failures->push_back(DescribeResult(*result));
  }
  return absl::OkStatus();
}

// Reloads, then checks (unless a reload failed): what failed, in words, or
// "" when nothing did.
absl::StatusOr<std::string> ReloadAndCheck(SiteSession& session, const LiveChecks& checks, Run* run,
                                           Reporter& reporter) {
  std::string failure;
  absl::Status status = Reload(session, checks, run, reporter, &failure);
  if (!status.ok()) return status;
  if (!failure.empty()) return absl::StrCat("a reload failed: ", failure);
  std::vector<std::string> failures;
  status = Check(session, checks, run, reporter, &failures);
  if (!status.ok()) return status;
  if (failures.empty()) return std::string();
  return absl::StrCat("the health check failed: ", absl::StrJoin(failures, "; "));
}

// The site's checks for `options`, reloads and checks after `run`, and the
// run stored with their record: what failed ("" for nothing, and for no
// checks at all).
absl::StatusOr<std::string> RunLiveChecks(SiteSession& session, const HealthOptions& options,
                                          Run* run, Reporter& reporter, LiveChecks* checks) {
  absl::StatusOr<LiveChecks> found = LiveChecksOf(session.root(), options);
  if (!found.ok()) return found.status();
  *checks = *std::move(found);
  if (checks->reload.empty() && checks->urls.empty()) return std::string();
  absl::StatusOr<std::string> failure = ReloadAndCheck(session, *checks, run, reporter);
  if (!failure.ok()) return failure.status();
  absl::Status stored = session.site().store().PutRun(*run);
  if (!stored.ok()) return stored;
  return failure;
}

}  // namespace

absl::Status ValidateLiveChecks(const Root& root, const HealthOptions& options) {
  return LiveChecksOf(root, options).status();
}

absl::Status CheckLiveRelease(SiteSession& session, Run* run, const HealthOptions& options,
                              Reporter& reporter) {
  LiveChecks checks;
  absl::StatusOr<std::string> failure = RunLiveChecks(session, options, run, reporter, &checks);
  if (!failure.ok()) return failure.status();
  if (failure->empty()) return absl::OkStatus();

  const std::string release = run->release();
  absl::Status undone =
      ReverseRun(session.site(), *run, absl::StrCat("failed: ", *failure), RUN_FAILED);
  if (!undone.ok()) {
    return WithErrorKind(Annotate(undone, absl::StrCat(*failure, "; and undoing run ", run->id(),
                                                       " failed: run persist recover")),
                         ErrorKind::kFailed);
  }
  session.AddToHistory(
      absl::StrCat("undo of run ", run->id(), " (", run->kind(), " ", release, "): ", *failure));
  // The web server may still hold the undone release's files: reload again.
  std::string reload_failure;
  absl::Status reloaded = Reload(session, checks, run, reporter, &reload_failure);
  absl::Status stored_again = session.site().store().PutRun(*run);
  absl::StatusOr<Live> live = LiveRelease(session);
  if (!live.ok()) return live.status();
  std::string after = live->release.empty()
                          ? "no release is live (it was the site's first)"
                          : absl::StrCat("release ", live->release, " stays live");
  if (!reloaded.ok() || !reload_failure.empty()) {
    absl::StrAppend(&after, "; reloading after the undo failed too (",
                    reloaded.ok() ? reload_failure : std::string(reloaded.message()),
                    "): the web server may still serve the undone release");
  } else if (!stored_again.ok()) {
    absl::StrAppend(&after, "; the reload's output was not recorded (", stored_again.message(),
                    ")");
  }
  return WithErrorKind(
      absl::FailedPreconditionError(absl::StrCat(
          *failure, ". Run ", run->id(), " (", run->kind(),
          release.empty() ? "" : absl::StrCat(" of release ", release), ") was undone: ", after,
          ". Fix the release and deploy again, or skip the check with --no-health")),
      ErrorKind::kFailed);
}

absl::Status CheckAfterUndo(SiteSession& session, Run* undone, const HealthOptions& options,
                            Reporter& reporter) {
  LiveChecks checks;
  absl::StatusOr<std::string> failure = RunLiveChecks(session, options, undone, reporter, &checks);
  if (!failure.ok()) return failure.status();
  if (failure->empty()) return absl::OkStatus();
  absl::StatusOr<Live> live = LiveRelease(session);
  if (!live.ok()) return live.status();
  return WithErrorKind(
      absl::FailedPreconditionError(absl::StrCat(
          "run ", undone->id(), " was undone, and then ", *failure,
          ". The site is as the undo left it (",
          live->release.empty() ? "no release live" : "release " + live->release + " live",
          "): fix what the check names, or persist switch to a release that answers")),
      ErrorKind::kFailed);
}

bool MovesCurrent(const Op& op) {
  return (op.has_symlink() && op.symlink().path() == "current") ||
         (op.has_exchange() && (op.exchange().a() == "current" || op.exchange().b() == "current"));
}

}  // namespace persist
