// Copyright persist authors.
//
// The commands over the journal itself: exec, recover, undo, log, show.

#include <iostream>

#include "cli/commands.h"
#include "cli/root_guard.h"
#include "cli/drift_guard.h"
#include "cli/plan_file.h"
#include "cli/report.h"
#include "fsops/env.h"
#include "journal/exit_code.h"
#include "journal/recovery.h"
#include "journal/site.h"
#include "journal/transaction.h"

namespace persist {

absl::Status RunExec(const Args& args) {
  absl::Status status = ExpectPositionals("exec", args, 1, 1);
  if (!status.ok()) return status;
  RunOptions options;
  options.kind = "exec";
  const std::string intents = args.Get("intents", "grouped");
  if (intents == "per-op") {
    options.group_intents = false;
  } else if (intents != "grouped") {
    return absl::InvalidArgumentError(
        absl::StrCat("--intents takes grouped or per-op, not \"", intents, "\""));
  }
  absl::StatusOr<Plan> plan = ReadPlanFile(args.positional[0]);
  if (!plan.ok()) return plan.status();
  absl::Status allowed = CheckRootOnSite(RootOf(args), "exec", args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), "exec");
  if (!site.ok()) return site.status();
  (*site)->set_purge_guard(RescueDriftBeforePurge);
  absl::StatusOr<Run> run = ExecutePlan(**site, *plan, options);
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
  absl::Status allowed = CheckRootOnSite(RootOf(args), "recover", args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), "recover");
  if (!site.ok()) return site.status();
  absl::StatusOr<std::optional<Run>> run = Recover(**site);
  if (!run.ok()) return run.status();
  if (!run->has_value()) {
    std::cout << "nothing to recover: no run was interrupted\n";
    return absl::OkStatus();
  }
  std::cout << "run " << (*run)->id() << " undone: the site is as it was before it started\n";
  for (const std::string& path : (*run)->rescued()) {
    std::cout << "kept foreign data in " << path << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunUndo(const Args& args) {
  absl::Status status = ExpectPositionals("undo", args, 0, 1);
  if (!status.ok()) return status;
  absl::Status allowed = CheckRootOnSite(RootOf(args), "undo", args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), "undo");
  if (!site.ok()) return site.status();
  absl::StatusOr<Run> run = UndoLatest(**site, args.positional.empty() ? "" : args.positional[0]);
  if (!run.ok()) return run.status();
  std::cout << "run " << run->id() << " undone: the site is as it was before it started\n";
  for (const std::string& path : run->rescued()) {
    std::cout << "kept foreign data in " << path << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunLog(const Args& args) {
  absl::Status status = ExpectPositionals("log", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), RootOf(args));
  if (!site.ok()) return site.status();
  absl::StatusOr<std::vector<Run>> runs = (*site)->store().ListRuns();
  if (!runs.ok()) return runs.status();
  std::cout << (args.Has("json") ? RunsJson(*runs) : FormatRunTable(*runs, (*site)->LockIsHeld()));
  return absl::OkStatus();
}

absl::Status RunShow(const Args& args) {
  absl::Status status = ExpectPositionals("show", args, 1, 1);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), RootOf(args));
  if (!site.ok()) return site.status();
  absl::StatusOr<Run> run = (*site)->store().GetRun(args.positional[0]);
  if (!run.ok()) return WithExitCode(run.status(), kExitUsage);
  absl::StatusOr<std::vector<OpRecord>> ops = (*site)->store().GetOps(run->id());
  if (!ops.ok()) return ops.status();
  std::cout << (args.Has("json") ? RunDetailJson(*run, *ops) : FormatRunDetail(*run, *ops));
  return absl::OkStatus();
}

}  // namespace persist
