// Copyright persist authors.
//
// persist: the command line. Thin: it parses arguments, calls the journal,
// prints results on stdout and the human log on stderr, and maps errors to
// the exit codes of DESIGN.md (under --json, an error is a JSON object on
// stdout as well).

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <streambuf>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/root_guard.h"
#include "cli/trash_emptier.h"
#include "cli/version.h"
#include "fsops/errno_status.h"
#include "base/error_kind.h"
#include "cli/exit_code.h"
#include "journal/format.h"
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
  // Whether it may change a site, and so set trees aside in its trash: only
  // then does $PERSIST_EMPTY_TRASH matter, and only then can a bad value of
  // it stop the command.
  bool changes_site = false;
};

const std::map<std::string, Command>& Commands() {
  static const auto* commands = new std::map<std::string, Command>{
      {"backup",
       {"persist backup [--out FILE] [--root DIR]",
        "Writes shared/ (the site's data, its profile .persistence-config included) to FILE\n"
        "as a pax tar archive, mode 0600: mtimes to the nanosecond, modes, symlinks as\n"
        "symlinks (never followed), directories with their modes. Fifos, sockets and devices\n"
        "are skipped and named. FILE defaults to persist-backup-<site dir name>-<UTC time>.tar\n"
        "in the current directory and is never overwritten. Only reads the site; refused\n"
        "while a run is interrupted.",
        {"root", "out"},
        {},
        RunBackup}},
      {"restore",
       {"persist restore FILE [--root DIR]",
        "Brings shared/ back exactly as FILE (an archive persist backup wrote) holds it, in\n"
        "one journaled run: the archive is checked and extracted under TMPDIR first (a bad\n"
        "one changes nothing), then swapped in for shared/, whose old copy goes to the run's\n"
        "stash, so `persist undo` puts it back exactly. What the old shared/ held that the\n"
        "archive does not is also copied to .persist/rescued/restore-RUN/shared/, so it\n"
        "outlives the stash.",
        {"root"},
        {},
        RunRestore,
        /*changes_site=*/true}},
      {"diff",
       {"persist diff RELEASE_A RELEASE_B [--root DIR] [--json]",
        "Lists what changed from one release to another, from the manifests made while each\n"
        "was staged: added, removed, modified (content), mode and type changes.",
        {"root"},
        {"json"},
        RunDiff}},
      {"exec",
       {"persist exec PLAN_FILE [--root DIR] [--json] [--intents grouped|per-op]",
        "Applies an explicit plan (a persist.Plan in protobuf text format, one `op` per change,\n"
        "paths relative to the root) as one journaled run. If an op fails the run is undone\n"
        "before persist returns; if persist is killed, `persist recover` undoes it.\n"
        "--intents per-op journals each op's intent just before it instead of all at once.",
        {"root", "intents"},
        {"json"},
        RunExec,
        /*changes_site=*/true}},
      {"recover",
       {"persist recover [--root DIR]",
        "Undoes an interrupted run exactly: every path outside .persist/ is as before the run.\n"
        "Data written meanwhile where the run must restore is kept in .persist/rescued/.\n"
        "Safe to run again if it is itself interrupted. A release the run had staged but not\n"
        "yet made visible is set aside whole in .persist/trash/ (one rename) and removed after\n"
        "recover returns, in the background unless --empty-trash says otherwise.",
        {"root"},
        {},
        RunRecover,
        /*changes_site=*/true}},
      {"undo",
       {"persist undo [RUN_ID] [--root DIR] [--yes] [--dry-run]",
        "Undoes the latest completed run exactly (or RUN_ID, which must be that run).\n"
        "Run it again to undo the run before, while its stash is kept. It first names the\n"
        "run (kind, release, when, by whom); on a terminal it asks before it acts (--yes:\n"
        "do not ask), and --dry-run only names it. Right after a run that failed (and was\n"
        "undone already), it refuses without RUN_ID rather than undo the run before.\n"
        "Exactly means: every path outside .persist/ is as it was before the run (type,\n"
        "mode, size, content, symlink target, file mtime), directory mtimes excepted, and\n"
        "shared/.deployment-history, the append-only log every run (this undo too) adds a\n"
        "line to.",
        {"root"},
        {"yes", "dry-run"},
        RunUndo,
        /*changes_site=*/true}},
      {"empty-trash",
       {"persist empty-trash [--root DIR] [--idle]",
        "Removes what waits in .persist/trash/: staged releases that recover or undo set aside,\n"
        "and stashes that left the undo window. Commands start this in the background once they\n"
        "release the site (see --empty-trash in persist --help); this waits for an emptier\n"
        "already at work, then removes whatever is left and says how much. Takes no site lock:\n"
        "runs may go on meanwhile. Exit 0 when there was nothing to remove. --idle: at the idle\n"
        "I/O class and nice 10, so that the site's own disk I/O goes first (the background\n"
        "emptier runs so).",
        {"root"},
        {"idle"},
        RunEmptyTrash}},
      {"link",
       {"persist link APP_DIR SHARED_DIR [MODE] [ENV] [--merge-new]",
        "The blueprint's in-place form (ultimate-persistence.sh APP_DIR SHARED_DIR MODE ENV)\n"
        "for an app directory that is not a persist release. MODE: first, subsequent, auto\n"
        "(default), verify, custom; true and false mean first and subsequent. ENV: server\n"
        "(default) links every persistent path into SHARED_DIR as a deploy does; local makes\n"
        "sure every persistent directory exists in the app, without links. One journaled run,\n"
        "kept in the .persist/ of the directory holding both; running it again changes nothing.\n"
        "The app's copy of a path may be live data: where SHARED_DIR holds the path too, what\n"
        "it lacks moves in (so --merge-new, accepted as deploy takes it, is always in effect),\n"
        "nothing there is overwritten, and entries that differ are named and kept.",
        {},
        {"merge-new"},
        RunLink,
        /*changes_site=*/true}},
      {"log",
       {"persist log [--root DIR] [--json]",
        "Lists every run: id, kind, state, op count, start, user and host.",
        {"root"},
        {"json"},
        RunLog}},
      {"custom",
       {"persist custom add PATH_OR_GLOB [--root DIR]",
        "Makes a path persistent (the blueprint's E-Customize-App): adds it to the profile's\n"
        "custom list in shared/.persistence-config, so every later deploy keeps it in shared/,\n"
        "and moves it into shared/ and links it in the live release now: one undoable run.\n"
        "A trailing / matches directories only; * stays within one path component.",
        {"root"},
        {},
        RunCustom,
        /*changes_site=*/true}},
      {"deploy",
       {"persist deploy SRC [--root DIR] [--mode auto|first|subsequent] [--id ID] [--keep N]\n"
        "                 [--merge-new] [--no-switch] [--dry-run] [--json] [--force]\n"
        "                 [--dedupe auto|reflink|hardlink|off] [--manifest on|off]",
        "Deploys the release in directory SRC as releases/ID in one journaled run: copies it,\n"
        "moves or links every persistent path (the blueprint's classes, see persist classify)\n"
        "into shared/, switches current, prunes releases beyond --keep (default 5) and logs\n"
        "it in shared/.deployment-history. A first deploy keeps the release's demo content in\n"
        "shared/; later deploys never overwrite it (--merge-new adds only files shared/ lacks).\n"
        "--mode accepts the blueprint's true (first) and false (subsequent). --dry-run prints\n"
        "the classification and the plan and changes nothing. `persist undo` reverses it.\n"
        "--manifest off skips the release's manifest (and so diff and verify's file checks).\n"
        "--dedupe: a file the live release holds byte for byte is reflinked to it (auto, the\n"
        "default, where the filesystem can; reflink: or fail), hard-linked to it (hardlink:\n"
        "when mode, mtime and owner agree too; the releases then share that file, see the\n"
        "README), or copied (off).\n"
        "SRC must hold artisan, composer.json or public/index.php: an empty directory, or one\n"
        "that is not an app's, is refused unless --force.",
        {"root", "mode", "id", "keep", "manifest", "dedupe"},
        {"merge-new", "no-switch", "dry-run", "json", "force"},
        RunDeploy,
        /*changes_site=*/true}},
      {"switch",
       {"persist switch RELEASE_ID [--root DIR]",
        "Points current at a prepared release (see deploy --no-switch) as one undoable run.",
        {"root"},
        {},
        RunSwitch,
        /*changes_site=*/true}},
      {"rollback",
       {"persist rollback [--to RELEASE_ID] [--root DIR]",
        "Points current at the release before the live one (or RELEASE_ID) as a new,\n"
        "undoable run. Shared data is not touched.",
        {"root", "to"},
        {},
        RunRollback,
        /*changes_site=*/true}},
      {"classify",
       {"persist classify [DIR] [--root SITE] [--json]",
        "Lists each candidate path of an app directory with its class (APP, SHARED, USER,\n"
        "RUNTIME, CUSTOM) and the rule that decided it, using SITE's profile when given.",
        {"root"},
        {"json"},
        RunClassify}},
      {"verify",
       {"persist verify [--root DIR] [--quick] [--json]",
        "Checks the site's health: current and every shared link resolve inside the site,\n"
        "public_html serves current/public, no run is left interrupted, the journal reads,\n"
        "the last emptying of .persist/trash/ did not fail, shared/.env is not world-readable,\n"
        "storage/ and bootstrap/cache/ are writable, and\n"
        "the live release is what was deployed: every file changed since (by SHA-256; --quick\n"
        "compares size and mtime) and every file written into application code (drift) is\n"
        "named. Exit 1 naming each problem and the command that fixes it.",
        {"root"},
        {"json", "quick"},
        RunVerify}},
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
  out << "  persist --version\n";
  out << "\n`persist COMMAND --help` explains one command. --root defaults to the nearest\n"
         "directory at or above the current one that holds .persist/ (as git finds .git), else\n"
         "the current directory; --quiet keeps the progress log off stderr.\n"
         "--empty-trash background|wait|later: what a command that changed a site does, once it\n"
         "has released the site, with the trees set aside in .persist/trash/ (a staged release\n"
         "undone, a stash purged): remove them in a detached background process (background,\n"
         "the default), remove them before exiting (wait), or leave them for `persist\n"
         "empty-trash` or the next command (later). The environment variable\n"
         "PERSIST_EMPTY_TRASH sets it too; the option wins.\n"
         "Exit codes: 0 ok, 1 failed, 2 usage or configuration error (nothing\n"
         "touched), 3 an interrupted run must be recovered first, 4 the site is locked.\n"
         "Under --json, an error is also printed on stdout, as\n"
         "{\"error\": {\"code\": EXIT_CODE, \"message\": \"...\", \"path\": \"...\"}} (path where known).\n";
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

// {"error": {"code": EXIT_CODE, "message": "...", "path": "..."}}, the path
// only where the error names one.
std::string ErrorJson(const absl::Status& status) {
  const std::string path = StatusPath(status);
  return absl::StrCat("{\"error\": {\"code\": ", ExitCodeOf(status),
                      ", \"message\": ", JsonString(std::string(status.message())),
                      path.empty() ? "" : absl::StrCat(", \"path\": ", JsonString(path)), "}}\n");
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
  if (words[0] == "--version") {
    // One place for each: VERSION at the top of the source tree, and the
    // journal's own format number.
    std::cout << "persist " << PERSIST_VERSION << "\njournal format " << kJournalFormatVersion
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
  switches.insert("allow-root");
  std::set<std::string> values = command.value_flags;
  values.insert("empty-trash");
  absl::StatusOr<Args> args = ParseArgs(it->first, rest, values, switches);
  absl::Status status = args.status();
  absl::StatusOr<TrashMode> trash_mode = TrashMode::kLater;
  if (status.ok()) trash_mode = TrashModeOf(*args);
  // A bad --empty-trash is refused whatever the command; a bad variable only
  // where it would be used, so that it never stops a look at a site.
  if (status.ok() && (command.changes_site || args->values.count("empty-trash") > 0)) status = trash_mode.status();
  // Without --root, the site is the nearest directory at or above the
  // current one that holds .persist/, as git finds .git: commands run from
  // inside current/, a release or shared/ act on the site, not on a new one.
  if (status.ok() && command.value_flags.count("root") > 0 && args->values.count("root") == 0) {
    std::optional<std::string> found = FindSiteAbove();
    if (found.has_value() && *found != ".") args->values["root"] = *found;
  }
  const bool ran = status.ok();
  if (ran) {
    if (args->Has("quiet")) spdlog::set_level(spdlog::level::warn);
    status = command.run(*args);
  }
  if (!status.ok() && !status.message().empty()) {
    std::cerr << "persist: error: " << status.message() << "\n";
  }
  // The command has returned, and with its Site the site lock: what it set
  // aside in a site's trash is emptied now, without holding anyone up, and
  // whether it succeeded or not (a failed run was undone into the trash).
  if (ran && trash_mode.ok()) EmptyTrashAfterCommand(*trash_mode);
  *failure = status;
  return ExitCodeOf(status);
}

}  // namespace
}  // namespace persist

int main(int argc, char** argv) { return persist::Main(argc, argv); }
