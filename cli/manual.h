// Copyright persist authors.
//
// manual: the man pages and the bash completion of persist, both made from
// the command table (command_table.h) that --help prints, so that neither
// can drift from the binary. `persist --man [COMMAND]` and `persist
// --completion bash` print them; tools/package installs what they print.
//
// Completion reads each command's usage line for what its operands and flag
// values are: a placeholder naming a release (RELEASE_ID, RELEASE_A) takes
// the site's release ids, RUN_ID its run ids, DIR, SITE, APP_DIR and the
// like directories, FILE, SRC, PKG and PATH files, "a|b|c" those words, and
// a lower-case word itself ("custom add").

#ifndef PERSIST_CLI_MANUAL_H_
#define PERSIST_CLI_MANUAL_H_

#include <map>
#include <string>

#include "cli/command_table.h"

namespace persist {

// persist(1) in man(7) format: NAME, SYNOPSIS (every usage line), the
// common options and exit codes, then one subsection per command with its
// usage and help, as --help prints them.
std::string ManPage(const std::map<std::string, Command>& commands, const std::string& version);

// persist-NAME(1), the page of one command, as git has git-commit(1): NAME
// with the first sentence of its help, SYNOPSIS its usage, DESCRIPTION its
// help, then the common options, the exit codes and persist(1).
std::string CommandManPage(const std::string& name, const Command& command,
                           const std::string& version);

// A bash completion script for persist (complete -F _persist persist):
// commands, each command's flags, and operands and flag values as the usage
// lines say. Release ids are the directories under SITE/releases/, run ids
// the first column of `persist log`, SITE being --root on the line or the
// nearest directory holding .persist/, as persist finds it.
std::string BashCompletion(const std::map<std::string, Command>& commands);

}  // namespace persist

#endif  // PERSIST_CLI_MANUAL_H_
