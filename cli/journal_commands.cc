// Copyright persist authors.
//
// The commands over the journal itself: exec, recover, undo, log, show,
// diff and empty-trash: parse, call the workflow, print.

#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/report.h"
#include "cli/terminal_reporter.h"
#include "fsops/path.h"
#include "workflows/inspect.h"
#include "workflows/trash_emptier.h"
#include "workflows/undo.h"

namespace persist {
namespace {

constexpr char kListRuns[] = "persist log lists the runs";

// "run R undone: ...", the foreign data kept, and what went to the trash.
void PrintUndone(const Run& run, const std::string& set_aside) {
  std::cout << "run " << run.id() << " undone: the site is as it was before it started\n";
  for (const std::string& path : run.rescued()) std::cout << "kept foreign data in " << path << "\n";
  if (!set_aside.empty()) std::cout << set_aside << "\n";
}

// Names the run, and on a terminal asks: an undo typed in the wrong moment
// reverses a whole deploy.
bool ConfirmUndo(const Args& args, const Run& run) {
  std::cout << "to undo: " << DescribeRun(run) << "\n";
  if (args.Has("yes") || !isatty(STDIN_FILENO)) return true;
  std::cout << "undo it? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

absl::Status RunExec(const Args& args) {
  absl::Status status = ExpectPositionals("exec", args, 1, 1);
  if (!status.ok()) return status;
  ExecOptions options;
  options.site = SiteRequest{RootOf(args), "exec", args.Has("allow-root")};
  absl::StatusOr<bool> grouped = ParseIntentsGrouped(args.Get("intents", "grouped"));
  if (!grouped.ok()) return grouped.status();
  options.group_intents = *grouped;
  options.plan_file = args.positional[0];
  absl::StatusOr<Run> run = ExecPlan(options);
  if (!run.ok()) return run.status();
  if (args.Has("json")) {
    std::cout << RunsJson({*run});
  } else {
    std::cout << "run " << run->id() << " committed: " << run->op_count()
              << " ops applied; `persist undo` reverses it\n";
  }
  return absl::OkStatus();
}

absl::Status RunRecover(const Args& args) {
  absl::Status status = ExpectPositionals("recover", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<TrashMode> trash_mode = TrashModeOf(args);
  absl::StatusOr<RecoverResult> recovered =
      RecoverSite(SiteRequest{RootOf(args), "recover", args.Has("allow-root")},
                  trash_mode.ok() ? *trash_mode : TrashMode::kBackground);
  if (!recovered.ok()) return recovered.status();
  if (!recovered->run.has_value()) {
    std::cout << "nothing to recover: no run was interrupted\n";
  } else {
    PrintUndone(*recovered->run, recovered->set_aside);
  }
  return absl::OkStatus();
}

absl::Status RunUndo(const Args& args) {
  absl::Status status = ExpectPositionals("undo", args, 0, 1);
  if (status.ok() && !args.positional.empty()) status = ExpectId(args.positional[0], "run", kListRuns);
  if (!status.ok()) return status;
  UndoOptions options;
  options.site = SiteRequest{RootOf(args), "undo", args.Has("allow-root")};
  absl::StatusOr<std::string> fleet_run = ParseFleetRun(args);
  if (!fleet_run.ok()) return fleet_run.status();
  options.site.fleet_run = *fleet_run;
  options.run_id = args.positional.empty() ? "" : args.positional[0];
  options.dry_run = args.Has("dry-run");
  options.confirm = [&args](const Run& run) { return ConfirmUndo(args, run); };
  absl::StatusOr<TrashMode> trash_mode = TrashModeOf(args);
  options.trash_mode = trash_mode.ok() ? *trash_mode : TrashMode::kBackground;
  absl::StatusOr<HealthOptions> health = ParseHealthOptions(args);
  if (!health.ok()) return health.status();
  options.health = *health;
  TerminalReporter reporter;
  absl::StatusOr<UndoResult> undone = UndoRun(options, reporter);
  if (!undone.ok()) return undone.status();
  if (!undone->run.has_value()) {
    std::cout << "to undo: " << DescribeRun(undone->target) << "\nnothing changed (--dry-run)\n";
    return absl::OkStatus();
  }
  PrintUndone(*undone->run, undone->set_aside);
  return undone->live_check;
}

absl::Status RunLog(const Args& args) {
  absl::Status status = ExpectPositionals("log", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<RunList> runs = ListRuns(RootOf(args));
  if (!runs.ok()) return runs.status();
  std::cout << (args.Has("json") ? RunLogJson(runs->runs, runs->current)
                                 : FormatRunTable(runs->runs, runs->live));
  return absl::OkStatus();
}

absl::Status RunShow(const Args& args) {
  absl::Status status = ExpectPositionals("show", args, 1, 1);
  if (status.ok()) status = ExpectId(args.positional[0], "run", kListRuns);
  if (!status.ok()) return status;
  absl::StatusOr<RunDetail> shown = ShowRun(RootOf(args), args.positional[0]);
  if (!shown.ok()) return shown.status();
  std::cout << (args.Has("json") ? RunDetailJson(shown->run, shown->ops)
                                 : FormatRunDetail(shown->run, shown->ops));
  return absl::OkStatus();
}

absl::Status RunDiff(const Args& args) {
  absl::Status status = ExpectPositionals("diff", args, 2, 2);
  for (size_t i = 0; status.ok() && i < 2; ++i) {
    status = ExpectId(args.positional[i], "release", "persist log lists the releases deployed");
  }
  if (!status.ok()) return status;
  absl::StatusOr<std::vector<Change>> changes =
      DiffReleases(RootOf(args), args.positional[0], args.positional[1]);
  if (!changes.ok()) return changes.status();
  if (args.Has("json")) {
    std::cout << ChangesJson(*changes);
    return absl::OkStatus();
  }
  for (const Change& change : *changes) {
    std::cout << absl::StrFormat("%-9s %s\n", ChangeName(change.kind), PrintablePath(change.path));
  }
  std::cout << changes->size() << " change" << (changes->size() == 1 ? "" : "s") << " from "
            << args.positional[0] << " to " << args.positional[1] << "\n";
  return absl::OkStatus();
}

absl::Status RunEmptyTrash(const Args& args) {
  absl::Status status = ExpectPositionals("empty-trash", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> report = EmptySiteTrash(RootOf(args), args.Has("idle"));
  if (!report.ok()) return report.status();
  std::cout << *report << "\n";
  return absl::OkStatus();
}

}  // namespace persist
