// Copyright persist authors.
//
// persist verify and persist repair: parse, call the workflow, print.

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/error_kind.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/terminal_reporter.h"
#include "fsops/describe_op.h"
#include "fsops/path.h"
#include "workflows/repair.h"
#include "workflows/verify.h"

namespace persist {
namespace {

// A problem as JSON: {"path", "problem", "fix", "repairable"[, "repair":
// the ops in words]}.
std::string ProblemJson(const Problem& p) {
  std::vector<std::string> ops;
  for (const Op& op : p.repair) ops.push_back(DescribeOp(op));
  return absl::StrCat(
      "{\"path\": ", JsonString(p.path), ", \"problem\": ", JsonString(p.what),
      ", \"fix\": ", JsonString(p.fix), ", \"repairable\": ", p.repair.empty() ? "false" : "true",
      p.repair.empty() ? "" : absl::StrCat(", \"repair\": ", JsonStrings(ops)), "}");
}

std::string ProblemsJson(const std::vector<Problem>& problems) {
  std::vector<std::string> items;
  for (const Problem& p : problems) items.push_back(ProblemJson(p));
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

std::string HealthJson(const Health& health) {
  return JsonDocument(absl::StrCat("\"healthy\": ", health.problems.empty() ? "true" : "false",
                                   ", \"problems\": ", ProblemsJson(health.problems),
                                   ", \"ok\": ", JsonStrings(health.ok),
                                   ", \"notes\": ", JsonStrings(health.notes)));
}

std::string HealthText(const Health& health) {
  std::string out;
  for (const std::string& ok : health.ok) absl::StrAppend(&out, "ok: ", ok, "\n");
  for (const std::string& note : health.notes) absl::StrAppend(&out, "note: ", note, "\n");
  absl::StrAppend(&out, ProblemLines(health.problems));
  const size_t n = health.problems.size();
  absl::StrAppend(&out, n == 0 ? std::string("the site is healthy")
                               : absl::StrCat(n, " problem", n == 1 ? "" : "s", " found"),
                  "\n");
  return out;
}

std::string RepairJson(const RepairResult& repaired) {
  return JsonDocument(
      absl::StrCat("\"run\": ", repaired.run.has_value() ? JsonString(repaired.run->id()) : "null",
                   ", \"repaired\": ", ProblemsJson(repaired.planned.repaired),
                   ", \"unrepairable\": ", ProblemsJson(repaired.planned.unrepairable),
                   ", \"remaining\": ", ProblemsJson(repaired.remaining)));
}

std::string RepairText(const RepairResult& repaired, bool dry_run) {
  std::string out;
  const RepairPlan& planned = repaired.planned;
  for (const Problem& p : planned.repaired) {
    absl::StrAppend(&out, dry_run ? "would repair: " : "repaired: ", PrintablePath(p.path), ": ",
                    p.what, "\n");
    for (const Op& op : p.repair) absl::StrAppend(&out, "  ", DescribeOp(op), "\n");
  }
  if (repaired.run.has_value()) {
    absl::StrAppend(&out, "as run ", repaired.run->id(),
                    "; `persist undo` puts the site back as it was before it\n");
  } else if (planned.repaired.empty()) {
    absl::StrAppend(&out, "nothing persist can repair\n");
  } else {
    absl::StrAppend(&out, "nothing changed (--dry-run)\n");
  }
  if (!repaired.remaining.empty()) {
    absl::StrAppend(&out, dry_run ? "left for you to fix:\n" : "still wrong:\n",
                    ProblemLines(repaired.remaining));
  }
  return out;
}

}  // namespace

absl::Status RunRepair(const Args& args) {
  absl::Status status = ExpectPositionals("repair", args, 0, 0);
  if (!status.ok()) return status;
  RepairOptions options;
  options.site = SiteRequest{RootOf(args), "repair", args.Has("allow-root")};
  options.dry_run = args.Has("dry-run");
  TerminalReporter reporter;
  absl::StatusOr<RepairResult> repaired = Repair(options, reporter);
  if (!repaired.ok()) return repaired.status();
  std::cout << (args.Has("json") ? RepairJson(*repaired) : RepairText(*repaired, options.dry_run));
  if (repaired->remaining.empty()) return absl::OkStatus();
  // Reported above: exit 1 with nothing more to say.
  return WithErrorKind(absl::FailedPreconditionError(""), ErrorKind::kFailed);
}

absl::Status RunVerify(const Args& args) {
  absl::Status status = ExpectPositionals("verify", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<Health> health = VerifySite(VerifyOptions{RootOf(args), args.Has("quick")});
  if (!health.ok()) return health.status();
  std::cout << (args.Has("json") ? HealthJson(*health) : HealthText(*health));
  if (health->problems.empty()) return absl::OkStatus();
  // Reported above: exit 1 with nothing more to say.
  return WithErrorKind(absl::FailedPreconditionError(""), ErrorKind::kFailed);
}

}  // namespace persist
