// Copyright persist authors.
//
// persist: the command line. Thin: it parses arguments, calls a workflow,
// prints results on stdout and the human log on stderr, and maps errors to
// the exit codes of DESIGN.md (under --json, an error is a JSON object on
// stdout as well).

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "base/error_path.h"
#include "cli/args.h"
#include "cli/command_table.h"
#include "cli/exit_code.h"
#include "cli/flags.h"
#include "cli/manual.h"
#include "cli/next_step.h"
#include "cli/report.h"
#include "cli/version.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "workflows/inspect.h"
#include "workflows/root_guard.h"
#include "workflows/trash_emptier.h"

namespace persist {
namespace {

void PrintUsage(std::ostream& out) {
  out << "persist: deploys that keep user data and can always be undone\n\nusage:\n";
  for (const auto& [name, command] : Commands()) out << "  " << command.usage << "\n";
  out << "  persist --version\n";
  out << "\n" << CommonHelp();
}

// std::cout's buffer, noting whether anything was written: an error is
// given as a JSON object on stdout only when the command printed nothing
// there, so that stdout always holds one JSON document.
class NotingBuf : public std::streambuf {
 public:
  explicit NotingBuf(std::ostream& out) : out_(out), inner_(out.rdbuf()) { out_.rdbuf(this); }
  ~NotingBuf() override { out_.rdbuf(inner_); }
  bool wrote() const { return wrote_; }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    wrote_ = true;
    return inner_->sputc(static_cast<char>(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n > 0) wrote_ = true;
    return inner_->sputn(s, n);
  }
  int sync() override { return inner_->pubsync(); }

 private:
  std::ostream& out_;
  std::streambuf* inner_;
  bool wrote_ = false;
};

// {"version": 1, "error": {"code": EXIT_CODE, "message": "...", "path": "..."}}, the path
// only where the error names one.
std::string ErrorJson(const absl::Status& status) {
  const std::string path = StatusPath(status);
  return JsonDocument(
      absl::StrCat("\"error\": {\"code\": ", ExitCodeOf(status),
                   ", \"message\": ", JsonString(std::string(status.message())),
                   path.empty() ? "" : absl::StrCat(", \"path\": ", JsonString(path)), "}"));
}

// The command's flags, and those every command takes.
absl::StatusOr<Args> ParseCommandLine(const std::string& name, const Command& command,
                                      const std::vector<std::string>& words) {
  std::set<std::string> switches = command.switch_flags;
  switches.insert(CommonSwitchFlags().begin(), CommonSwitchFlags().end());
  std::set<std::string> values = command.value_flags;
  values.insert(CommonValueFlags().begin(), CommonValueFlags().end());
  absl::StatusOr<Args> args = ParseArgs(name, words, values, switches);
  if (!args.ok()) return args;
  // Without --root, the site is the nearest directory at or above the
  // current one that holds .persist/, as git finds .git: commands run from
  // inside current/, a release or shared/ act on the site, not on a new one.
  if (command.value_flags.count("root") > 0 && args->values.count("root") == 0) {
    std::optional<std::string> found = FindSiteAbove();
    if (found.has_value() && *found != ".") args->values["root"] = *found;
  }
  return args;
}

// Parses the words after the command's name and runs it; returns the error
// it reports (printed on stderr).
absl::Status RunCommand(const std::string& name, const Command& command,
                        const std::vector<std::string>& words) {
  absl::StatusOr<Args> args = ParseCommandLine(name, command, words);
  absl::Status status = args.status();
  absl::StatusOr<TrashMode> trash_mode = TrashMode::kLater;
  if (status.ok()) trash_mode = TrashModeOf(*args);
  // A bad --empty-trash is refused whatever the command; a bad variable only
  // where it would be used, so that it never stops a look at a site.
  if (status.ok() && (command.changes_site || args->values.count("empty-trash") > 0)) {
    status = trash_mode.status();
  }
  const bool ran = status.ok();
  if (ran) {
    if (args->Has("quiet")) spdlog::set_level(spdlog::level::warn);
    status = SayNextStep(command.run(*args), args->Get("root", "."));
  }
  if (!status.ok() && !status.message().empty()) {
    std::cerr << "persist: error: " << status.message() << "\n";
  }
  // The command has returned, and with its Site the site lock: what it set
  // aside in a site's trash is emptied now, without holding anyone up, and
  // whether it succeeded or not (a failed run was undone into the trash).
  if (ran && trash_mode.ok()) EmptyTrashAfterCommand(*trash_mode);
  return status;
}

int Run(const std::vector<std::string>& words, absl::Status* failure);

int Main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  NotingBuf stdout_buf(std::cout);
  absl::Status failure;
  const int code = Run(words, &failure);
  // Under --json, an error is also a JSON object on stdout, for scripts;
  // the human message is on stderr all the same.
  const bool json = std::find(words.begin(), words.end(), "--json") != words.end();
  if (json && !failure.ok() && !failure.message().empty() && !stdout_buf.wrote()) {
    std::cout << ErrorJson(failure);
  }
  std::cout.flush();
  return code;
}

// Parses and runs one command, and returns its exit code; `failure` gets
// the error it reports.
int Run(const std::vector<std::string>& words, absl::Status* failure) {
  auto logger = spdlog::stderr_color_mt("persist");
  logger->set_pattern("persist: %^%v%$");
  spdlog::set_default_logger(logger);

  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    PrintUsage(words.empty() ? std::cerr : std::cout);
    return words.empty() ? kExitUsage : kExitOk;
  }
  // The man pages and the completion script, made from the command table
  // (cli/manual.h); tools/package installs what they print.
  if (words[0] == "--man" && words.size() == 1) {
    std::cout << ManPage(Commands(), PERSIST_VERSION);
    return kExitOk;
  }
  if (words[0] == "--man" && words.size() == 2) {
    auto command = Commands().find(words[1]);
    if (command == Commands().end()) {
      *failure = WithErrorKind(absl::InvalidArgumentError(absl::StrCat(
                                   "there is no command \"", words[1],
                                   "\" to print the man page of; persist --help lists them")),
                               ErrorKind::kUsage);
      std::cerr << "persist: error: " << failure->message() << "\n";
      return kExitUsage;
    }
    std::cout << CommandManPage(command->first, command->second, PERSIST_VERSION);
    return kExitOk;
  }
  if (words[0] == "--completion" && words.size() == 2 && words[1] == "bash") {
    std::cout << BashCompletion(Commands());
    return kExitOk;
  }
  if (words[0] == "--version") {
    // One place for each: VERSION at the top of the source tree, and the
    // journal's own format number.
    std::cout << "persist " << PERSIST_VERSION << "\njournal format " << JournalFormatVersion()
              << "\n";
    return kExitOk;
  }
  auto it = Commands().find(words[0]);
  if (it == Commands().end()) {
    *failure = WithErrorKind(
        absl::InvalidArgumentError(absl::StrCat("unknown command \"", words[0],
                                                "\"; persist --help lists the commands")),
        ErrorKind::kUsage);
    std::cerr << "persist: error: " << failure->message() << "\n\n";
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  std::vector<std::string> rest(words.begin() + 1, words.end());
  for (const std::string& word : rest) {
    if (word == "--help" || word == "-h") {
      std::cout << "usage: " << it->second.usage << "\n\n" << it->second.help << "\n";
      return kExitOk;
    }
  }
  *failure = RunCommand(it->first, it->second, rest);
  return ExitCodeOf(*failure);
}

}  // namespace
}  // namespace persist

int main(int argc, char** argv) { return persist::Main(argc, argv); }
