// Copyright persist authors.
//
// persist: the command line. Thin: it parses arguments, calls the journal,
// prints results on stdout and the human log on stderr, and maps errors to
// the exit codes of DESIGN.md.

#include <unistd.h>

#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/plan_file.h"
#include "cli/report.h"
#include "fsops/env.h"
#include "journal/exit_code.h"
#include "journal/recovery.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace persist {
namespace {

struct Command {
  const char* usage;
  const char* help;
  std::set<std::string> value_flags;
  std::set<std::string> switch_flags;
  std::function<absl::Status(const Args&)> run;
};

std::string RootOf(const Args& args) { return args.Get("root", "."); }

absl::Status ExpectPositionals(const std::string& command, const Args& args, size_t min, size_t max) {
  if (args.positional.size() < min || args.positional.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "persist ", command, " takes ", min == max ? absl::StrCat(min) : absl::StrCat(min, " to ", max),
        " argument(s), got ", args.positional.size(), "; see persist ", command, " --help"));
  }
  return absl::OkStatus();
}

absl::Status RunExec(const Args& args) {
  absl::Status status = ExpectPositionals("exec", args, 1, 1);
  if (!status.ok()) return status;
  absl::StatusOr<Plan> plan = ReadPlanFile(args.positional[0]);
  if (!plan.ok()) return plan.status();
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), "exec");
  if (!site.ok()) return site.status();
  RunOptions options;
  options.kind = "exec";
  const std::string intents = args.Get("intents", "grouped");
  if (intents == "per-op") {
    options.group_intents = false;
  } else if (intents != "grouped") {
    return absl::InvalidArgumentError(
        absl::StrCat("--intents takes grouped or per-op, not \"", intents, "\""));
  }
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
  std::cout << (args.Has("json") ? RunsJson(*runs) : FormatRunTable(*runs));
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

const std::map<std::string, Command>& Commands() {
  static const auto* commands = new std::map<std::string, Command>{
      {"exec",
       {"persist exec PLAN_FILE [--root DIR] [--json] [--intents grouped|per-op]",
        "Applies an explicit plan (a persist.Plan in protobuf text format, one `op` per change,\n"
        "paths relative to the root) as one journaled run. If an op fails the run is undone\n"
        "before persist returns; if persist is killed, `persist recover` undoes it.\n"
        "--intents per-op journals each op's intent just before it instead of all at once.",
        {"root", "intents"},
        {"json"},
        RunExec}},
      {"recover",
       {"persist recover [--root DIR]",
        "Undoes an interrupted run exactly: every path outside .persist/ is as before the run.\n"
        "Data written meanwhile where the run must restore is kept in .persist/rescued/.\n"
        "Safe to run again if it is itself interrupted.",
        {"root"},
        {},
        RunRecover}},
      {"undo",
       {"persist undo [RUN_ID] [--root DIR]",
        "Undoes the latest completed run exactly (or RUN_ID, which must be that run).\n"
        "Run it again to undo the run before, while its stash is kept.",
        {"root"},
        {},
        RunUndo}},
      {"log",
       {"persist log [--root DIR] [--json]",
        "Lists every run: id, kind, state, op count, start, user and host.",
        {"root"},
        {"json"},
        RunLog}},
      {"show",
       {"persist show RUN_ID [--root DIR] [--json]",
        "Shows one run and each of its ops with the before and after state of every path.",
        {"root"},
        {"json"},
        RunShow}},
  };
  return *commands;
}

void PrintUsage(std::ostream& out) {
  out << "persist: deploys that keep user data and can always be undone\n\nusage:\n";
  for (const auto& [name, command] : Commands()) out << "  " << command.usage << "\n";
  out << "\n`persist COMMAND --help` explains one command. --root defaults to the current\n"
         "directory. Exit codes: 0 ok, 1 failed, 2 usage or configuration error (nothing\n"
         "touched), 3 an interrupted run must be recovered first, 4 the site is locked.\n";
}

int Main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("persist");
  logger->set_pattern("persist: %^%v%$");
  spdlog::set_default_logger(logger);

  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    PrintUsage(words.empty() ? std::cerr : std::cout);
    return words.empty() ? kExitUsage : kExitOk;
  }
  auto it = Commands().find(words[0]);
  if (it == Commands().end()) {
    std::cerr << "persist: unknown command \"" << words[0] << "\"\n\n";
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  const Command& command = it->second;
  std::vector<std::string> rest(words.begin() + 1, words.end());
  for (const std::string& word : rest) {
    if (word == "--help" || word == "-h") {
      std::cout << "usage: " << command.usage << "\n\n" << command.help << "\n";
      return kExitOk;
    }
  }
  std::set<std::string> switches = command.switch_flags;
  switches.insert("quiet");
  absl::StatusOr<Args> args = ParseArgs(it->first, rest, command.value_flags, switches);
  absl::Status status = args.status();
  if (status.ok()) {
    if (args->Has("quiet")) spdlog::set_level(spdlog::level::warn);
    status = command.run(*args);
  }
  if (!status.ok()) {
    std::cerr << "persist: error: " << status.message() << "\n";
    return ExitCodeOf(status);
  }
  return kExitOk;
}

}  // namespace
}  // namespace persist

int main(int argc, char** argv) { return persist::Main(argc, argv); }
