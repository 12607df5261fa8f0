// Copyright persist authors.
//
// hooks: running the profile's deploy commands (`php artisan migrate
// --force`, `php artisan config:cache`, ...) in a release directory.
//
// A hook runs as `/bin/sh -c COMMAND` in the release, with PERSIST_ROOT and
// PERSIST_RELEASE set, its standard input empty and its output (stdout and
// stderr together, the last 64 KiB) kept for the run's record. It runs in a
// process group of its own. What a hook does outside the site (a database
// migration) is not journaled and not undone.
//
// A hook is done when its shell exits, not when its output closes: a hook
// that starts a process in the background (`php artisan queue:work &`) and
// exits is finished at once, although that process still holds the output.
// What is in the pipe then is read without waiting, and the background
// process is left running; the result says so, since it gets EPIPE (or
// SIGPIPE) if it writes there later. A hook still running after `timeout`
// is stopped: its process group gets SIGTERM, then SIGKILL 5 s later.

#ifndef PERSIST_WORKFLOWS_HOOKS_H_
#define PERSIST_WORKFLOWS_HOOKS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/journal.pb.h"

namespace persist {

struct HookOutcome {
  HookResult result;  // for the run's record; exit_code -1 when killed
  bool timed_out = false;     // killed after the timeout
  bool left_running = false;  // exited, leaving a process that holds its output
};

// Runs `command` in the directory `dir`, for at most `timeout`. An error only
// when it cannot be started; a command that fails or times out is reported
// in the outcome.
absl::StatusOr<HookOutcome> RunHook(const std::string& phase, const std::string& command,
                                    const std::string& dir, const std::string& root,
                                    const std::string& release, absl::Duration timeout);

// OK when the hook exited 0. Otherwise the error for the deploy: the hook,
// its phase, its exit code or the timeout it overran (and where that is
// set), then `consequence` (what became of the deploy, and what to do).
absl::Status HookFailure(const HookOutcome& hook, absl::Duration timeout,
                         const std::string& consequence);

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_HOOKS_H_
