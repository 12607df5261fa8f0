// Copyright persist authors.
//
// persist switch and persist rollback: parse, call the workflow, print.

#include <iostream>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/terminal_reporter.h"
#include "workflows/switch.h"

namespace persist {
namespace {

constexpr char kShowReleases[] = "persist log and ls releases/ show the releases";

absl::Status Print(const absl::StatusOr<SwitchResult>& switched) {
  if (!switched.ok()) return switched.status();
  if (!switched->run.has_value()) {
    std::cout << "current already points at release " << switched->release << "; nothing to do\n";
  } else {
    std::cout << "current -> releases/" << switched->release << " (run " << switched->run->id()
              << "; `persist undo` reverses it)\n";
  }
  for (const std::string& note : switched->notes) std::cout << "note: " << note << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status RunSwitch(const Args& args) {
  absl::Status status = ExpectPositionals("switch", args, 1, 1);
  if (status.ok()) status = ExpectId(args.positional[0], "release", kShowReleases);
  if (!status.ok()) return status;
  absl::StatusOr<HealthOptions> health = ParseHealthOptions(args);
  if (!health.ok()) return health.status();
  TerminalReporter reporter;
  return Print(Switch(SwitchOptions{SiteRequest{RootOf(args), "switch", args.Has("allow-root")},
                                    args.positional[0], *health},
                      reporter));
}

absl::Status RunRollback(const Args& args) {
  absl::Status status = ExpectPositionals("rollback", args, 0, 0);
  if (status.ok() && args.values.count("to") > 0) {
    status = ExpectId(args.Get("to", ""), "release", kShowReleases);
  }
  if (!status.ok()) return status;
  absl::StatusOr<HealthOptions> health = ParseHealthOptions(args);
  if (!health.ok()) return health.status();
  TerminalReporter reporter;
  return Print(Rollback(SwitchOptions{SiteRequest{RootOf(args), "rollback", args.Has("allow-root")},
                                      args.Get("to", ""), *health},
                        reporter));
}

}  // namespace persist
