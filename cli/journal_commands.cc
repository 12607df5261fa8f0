// Copyright persist authors.
//
// The commands over the journal itself: exec, recover, undo, log, show,
// and empty-trash.

#include <unistd.h>

#include <iostream>
#include <string>

#include "cli/binary_record.h"
#include "cli/commands.h"
#include "cli/history.h"
#include "cli/root_guard.h"
#include "cli/purge_guard.h"
#include "cli/plan_file.h"
#include "cli/report.h"
#include "cli/trash_emptier.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/root.h"
#include "fsops/trash.h"
#include "base/error_kind.h"
#include "journal/recovery.h"
#include "journal/site.h"
#include "journal/transaction.h"

namespace persist {
namespace {

// What the trash holds before an undo, to tell what the undo set aside.
std::vector<std::string> TrashBefore(const Root& root) {
  absl::StatusOr<std::vector<std::string>> names = ListTrash(root);
  return names.ok() ? *names : std::vector<std::string>();
}

}  // namespace

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
  // Ops whose paths are malformed are refused before the site is opened
  // (and its .persist/ created), as ExecutePlan would refuse them.
  for (int i = 0; i < plan->op_size(); ++i) {
    absl::Status valid = ValidateOp(plan->op(i));
    if (!valid.ok()) {
      return WithErrorKind(WithPath(Annotate(valid, absl::StrCat(args.positional[0], ": op ", i + 1)),
                                   args.positional[0]),
                          ErrorKind::kUsage);
    }
  }
  absl::Status allowed = CheckSiteForChange(RootOf(args), "exec", args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), "exec");
  if (!site.ok()) return site.status();
  NoteSiteLocked(RootOf(args));
  RecordPersistBinary(**site);
  (*site)->set_purge_guard(RescueBeforePurge);
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
  absl::Status allowed = CheckSiteForChange(RootOf(args), "recover", args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), "recover");
  if (!site.ok()) return site.status();
  NoteSiteLocked(RootOf(args));
  RecordPersistBinary(**site);
  const std::vector<std::string> trash = TrashBefore((*site)->root());
  absl::StatusOr<std::optional<Run>> run = Recover(**site);
  if (!run.ok()) return run.status();
  if (!run->has_value()) {
    std::cout << "nothing to recover: no run was interrupted\n";
    return absl::OkStatus();
  }
  AppendHistory(**site, absl::StrCat("recover: interrupted run ", (*run)->id(), " (", (*run)->kind(),
                                     (*run)->release().empty() ? "" : " of release " + (*run)->release(),
                                     ") undone"));
  std::cout << "run " << (*run)->id() << " undone: the site is as it was before it started\n";
  for (const std::string& path : (*run)->rescued()) {
    std::cout << "kept foreign data in " << path << "\n";
  }
  const std::string note = SetAsideNote(args, (*site)->root(), RootOf(args), trash);
  if (!note.empty()) std::cout << note << "\n";
  return absl::OkStatus();
}

absl::Status RunUndo(const Args& args) {
  absl::Status status = ExpectPositionals("undo", args, 0, 1);
  if (status.ok() && !args.positional.empty()) {
    status = ExpectId(args.positional[0], "run", "persist log lists the runs");
  }
  if (!status.ok()) return status;
  absl::Status allowed = CheckSiteForChange(RootOf(args), "undo", args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), "undo");
  if (!site.ok()) return site.status();
  NoteSiteLocked(RootOf(args));
  RecordPersistBinary(**site);
  const std::string run_id = args.positional.empty() ? "" : args.positional[0];
  // Say what will be undone, and on a terminal ask: an undo typed in the
  // wrong moment reverses a whole deploy.
  absl::StatusOr<Run> target = RunToUndo(**site, run_id);
  if (!target.ok()) return target.status();
  std::cout << "to undo: " << DescribeRun(*target) << "\n";
  if (args.Has("dry-run")) {
    std::cout << "nothing changed (--dry-run)\n";
    return absl::OkStatus();
  }
  if (!args.Has("yes") && isatty(STDIN_FILENO)) {
    std::cout << "undo it? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      return WithErrorKind(absl::CancelledError("nothing undone: the answer was not yes"), ErrorKind::kUsage);
    }
  }
  const std::vector<std::string> trash = TrashBefore((*site)->root());
  absl::StatusOr<Run> run = UndoLatest(**site, target->id());
  if (!run.ok()) return run.status();
  AppendHistory(**site, absl::StrCat("undo of run ", run->id(), " (", run->kind(),
                                     run->release().empty() ? "" : " of release " + run->release(),
                                     ")"));
  std::cout << "run " << run->id() << " undone: the site is as it was before it started\n";
  for (const std::string& path : run->rescued()) {
    std::cout << "kept foreign data in " << path << "\n";
  }
  const std::string note = SetAsideNote(args, (*site)->root(), RootOf(args), trash);
  if (!note.empty()) std::cout << note << "\n";
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
  if (status.ok()) status = ExpectId(args.positional[0], "run", "persist log lists the runs");
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), RootOf(args));
  if (!site.ok()) return site.status();
  absl::StatusOr<Run> run = (*site)->store().GetRun(args.positional[0]);
  if (!run.ok()) return WithErrorKind(run.status(), ErrorKind::kUsage);
  absl::StatusOr<std::vector<OpRecord>> ops = (*site)->store().GetOps(run->id());
  if (!ops.ok()) return ops.status();
  std::cout << (args.Has("json") ? RunDetailJson(*run, *ops) : FormatRunDetail(*run, *ops));
  return absl::OkStatus();
}

absl::Status RunEmptyTrash(const Args& args) {
  absl::Status status = ExpectPositionals("empty-trash", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), RootOf(args));
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot open the site (give an existing directory "
                                                "with --root)"),
                        ErrorKind::kUsage);
  }
  if (args.Has("idle")) RunAtIdlePriority();
  // No site lock: a run may go on meanwhile. Runs only ever add new names to
  // the trash, in one rename each, and never look inside it; the trash's own
  // flock, taken by EmptyTrash, makes this wait for an emptier already at
  // work (one a command started in the background) instead of racing it.
  absl::StatusOr<TrashReport> report = EmptyTrash(**root, /*wait=*/true);
  if (!report.ok()) return report.status();
  std::cout << DescribeTrashReport(*report) << "\n";
  return absl::OkStatus();
}

}  // namespace persist
