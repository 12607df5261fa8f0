// Copyright persist authors.
//
// persist switch and persist rollback: parse, call the workflow, print.

#include <iostream>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/report.h"
#include "cli/terminal_reporter.h"
#include "workflows/switch.h"

namespace persist {
namespace {

constexpr char kShowReleases[] = "persist log and ls releases/ show the releases";

absl::Status Print(const Args& args, const absl::StatusOr<SwitchResult>& switched) {
  if (!switched.ok()) return switched.status();
  if (args.Has("json")) {
    // {"runs": []} when current pointed at the release already.
    std::vector<Run> runs;
    if (switched->run.has_value()) runs.push_back(*switched->run);
    std::cout << RunsJson(runs, switched->notes);
    return absl::OkStatus();
  }
  if (!switched->run.has_value()) {
    std::cout << "current already points at release " << switched->release << "; nothing to do\n";
  } else {
    std::cout << "current -> releases/" << switched->release << " (run " << switched->run->id()
              << "; `persist undo` reverses it)\n";
  }
  for (const std::string& note : switched->notes) std::cout << "note: " << note << "\n";
  return absl::OkStatus();
}

// The options of switch and rollback but the release: the site, the fleet
// run, --expect-current and the health checks.
absl::StatusOr<SwitchOptions> SwitchOptionsOf(const Args& args, const std::string& command) {
  SwitchOptions options;
  options.site = SiteRequest{RootOf(args), command, args.Has("allow-root")};
  absl::StatusOr<std::string> fleet_run = ParseFleetRun(args);
  if (!fleet_run.ok()) return fleet_run.status();
  options.site.fleet_run = *fleet_run;
  absl::StatusOr<std::optional<std::string>> expect_current = ParseExpectCurrent(args);
  if (!expect_current.ok()) return expect_current.status();
  options.expect_current = *expect_current;
  absl::StatusOr<HealthOptions> health = ParseHealthOptions(args);
  if (!health.ok()) return health.status();
  options.health = *health;
  return options;
}

}  // namespace

absl::Status RunSwitch(const Args& args) {
  absl::Status status = ExpectPositionals("switch", args, 1, 1);
  if (status.ok()) status = ExpectId(args.positional[0], "release", kShowReleases);
  if (!status.ok()) return status;
  absl::StatusOr<SwitchOptions> options = SwitchOptionsOf(args, "switch");
  if (!options.ok()) return options.status();
  options->release = args.positional[0];
  TerminalReporter reporter;
  return Print(args, Switch(*options, reporter));
}

absl::Status RunRollback(const Args& args) {
  absl::Status status = ExpectPositionals("rollback", args, 0, 0);
  if (status.ok() && args.values.count("to") > 0) {
    status = ExpectId(args.Get("to", ""), "release", kShowReleases);
  }
  if (!status.ok()) return status;
  absl::StatusOr<SwitchOptions> options = SwitchOptionsOf(args, "rollback");
  if (!options.ok()) return options.status();
  options->release = args.Get("to", "");
  TerminalReporter reporter;
  return Print(args, Rollback(*options, reporter));
}

}  // namespace persist
