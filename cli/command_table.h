// Copyright persist authors.
//
// command_table: every subcommand of the persist binary: its usage line, its
// help, the flags it takes and the function that runs it (commands.h).

#ifndef PERSIST_CLI_COMMAND_TABLE_H_
#define PERSIST_CLI_COMMAND_TABLE_H_

#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "cli/args.h"

namespace persist {

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

// The commands by name.
const std::map<std::string, Command>& Commands();

// What every command shares, as `persist --help` ends: --root, --quiet,
// --empty-trash, the exit codes and errors under --json. Lines of at most 90
// columns, each ending in '\n'.
const char* CommonHelp();

// The value flags and switches every command takes besides its own.
const std::set<std::string>& CommonValueFlags();
const std::set<std::string>& CommonSwitchFlags();

}  // namespace persist

#endif  // PERSIST_CLI_COMMAND_TABLE_H_
