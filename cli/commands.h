// Copyright persist authors.
//
// commands: one function per subcommand of the persist binary. Each takes
// its parsed arguments, calls one workflow, prints its result on stdout, and
// returns a Status whose error kind main() reports as an exit code
// (exit_code.h).

#ifndef PERSIST_CLI_COMMANDS_H_
#define PERSIST_CLI_COMMANDS_H_

#include <string>

#include "absl/status/status.h"
#include "cli/args.h"

namespace persist {

// The site: --root, or the current directory. main() fills in --root when
// it is not given but a directory above the current one holds .persist/
// (root_guard.h FindSiteAbove), so every command agrees on one site.
inline std::string RootOf(const Args& args) { return args.Get("root", "."); }

absl::Status RunExec(const Args& args);
absl::Status RunRecover(const Args& args);
absl::Status RunUndo(const Args& args);
absl::Status RunLog(const Args& args);
absl::Status RunShow(const Args& args);
absl::Status RunStatus(const Args& args);
absl::Status RunReleases(const Args& args);
absl::Status RunEmptyTrash(const Args& args);

absl::Status RunDeploy(const Args& args);
absl::Status RunSwitch(const Args& args);
absl::Status RunRollback(const Args& args);
absl::Status RunClassify(const Args& args);
absl::Status RunCapture(const Args& args);
absl::Status RunAdopt(const Args& args);
absl::Status RunVerify(const Args& args);
absl::Status RunRepair(const Args& args);
absl::Status RunLink(const Args& args);
absl::Status RunCustom(const Args& args);
absl::Status RunDiff(const Args& args);

absl::Status RunBackup(const Args& args);
absl::Status RunRestore(const Args& args);
absl::Status RunGuide(const Args& args);

}  // namespace persist

#endif  // PERSIST_CLI_COMMANDS_H_
