// Copyright persist authors.
//
// flags: every parser of command-line words into the values the workflows
// take. Each refusal is a usage error naming the flag, the word given and
// the words it takes; nothing below cli/ knows a flag's spelling.

#ifndef PERSIST_CLI_FLAGS_H_
#define PERSIST_CLI_FLAGS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/args.h"
#include "planner/deploy_planner.h"
#include "planner/link_planner.h"
#include "proto/journal.pb.h"
#include "workflows/live_check.h"
#include "workflows/trash_emptier.h"

namespace persist {

// --health-url URL (repeatable) and --no-health, for every command that may
// move current. Both together are refused: one asks for a check, the other
// for none.
absl::StatusOr<HealthOptions> ParseHealthOptions(const Args& args);

// --fleet-run ID (deploy, switch, rollback, undo): a run or release id's
// spelling (fsops/path.h ValidateId), or "" when absent.
absl::StatusOr<std::string> ParseFleetRun(const Args& args);

// switch --expect-current RELEASE_ID: nullopt when absent; "" (given as
// --expect-current '') for a site with no current yet.
absl::StatusOr<std::optional<std::string>> ParseExpectCurrent(const Args& args);

// deploy --mode: "auto", "first", "subsequent", and the blueprint's "true"
// (first) and "false" (subsequent).
absl::StatusOr<DeployRequest::Mode> ParseDeployMode(const std::string& text);

// link's MODE (first, subsequent, auto, verify, custom, and true/false for
// first/subsequent) and ENV (server, local; true for local).
absl::StatusOr<LinkRequest::Mode> ParseLinkMode(const std::string& text);
absl::StatusOr<bool> ParseLinkEnvIsLocal(const std::string& text);

// --dedupe: "off", "auto", "reflink", "hardlink".
absl::StatusOr<DedupeMode> ParseDedupe(const std::string& text);

// exec --intents: "grouped" (true) or "per-op" (false).
absl::StatusOr<bool> ParseIntentsGrouped(const std::string& text);

// deploy --keep: a whole number of releases, 1 or more; nullopt when absent.
absl::StatusOr<std::optional<int>> ParseKeep(const Args& args);

// --manifest: "on" (true) or "off" (false).
// --max-entries N, --max-unpacked SIZE (bytes, or with K, M, G or T) and
// --max-ratio N over the defaults of ArchiveLimits.
absl::StatusOr<ArchiveLimits> ParseArchiveLimits(const Args& args);

absl::StatusOr<bool> ParseManifest(const std::string& text);

// The environment variable that chooses the trash mode when --empty-trash
// is not given.
inline constexpr char kTrashModeVariable[] = "PERSIST_EMPTY_TRASH";

// --empty-trash, else $PERSIST_EMPTY_TRASH, else background: "background",
// "wait" or "later".
absl::StatusOr<TrashMode> TrashModeOf(const Args& args);

}  // namespace persist

#endif  // PERSIST_CLI_FLAGS_H_
