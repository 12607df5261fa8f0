// Copyright persist authors.

#include "cli/terminal_reporter.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace persist {

void TerminalReporter::HookEnded(const HookOutcome& outcome) {
  const HookResult& hook = outcome.result;
  std::cerr << "persist: hook (" << hook.phase() << ") `" << hook.command() << "` "
            << (outcome.timed_out ? "timed out" : absl::StrCat("exited ", hook.exit_code())) << "\n";
  if (!hook.output().empty()) std::cerr << hook.output() << (hook.output().back() == '\n' ? "" : "\n");
  if (outcome.left_running) {
    std::cerr << "persist: note: hook `" << hook.command()
              << "` left a process running in the background that still holds its output: it "
                 "gets EPIPE or SIGPIPE if it writes there; send its output elsewhere (e.g. "
                 "`command >/dev/null 2>&1 &`)\n";
  }
}

}  // namespace persist
