// Copyright persist authors.
//
// hooks: running the profile's deploy commands (`php artisan migrate
// --force`, `php artisan config:cache`, ...) in a release directory.
//
// A hook runs as `/bin/sh -c COMMAND` in the release, with PERSIST_ROOT and
// PERSIST_RELEASE set, its standard input empty and its output (stdout and
// stderr together, the last 64 KiB) kept for the run's record. What a hook
// does outside the site (a database migration) is not journaled and not
// undone.

#ifndef PERSIST_CLI_HOOKS_H_
#define PERSIST_CLI_HOOKS_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/journal.pb.h"

namespace persist {

// Runs `command` in the directory `dir`. An error only when it cannot be
// started; a command that fails returns its exit code in the result.
absl::StatusOr<HookResult> RunHook(const std::string& phase, const std::string& command,
                                   const std::string& dir, const std::string& root,
                                   const std::string& release);

}  // namespace persist

#endif  // PERSIST_CLI_HOOKS_H_
