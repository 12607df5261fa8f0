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

}  // namespace persist

#endif  // PERSIST_CLI_COMMAND_TABLE_H_
