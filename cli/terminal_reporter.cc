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

void TerminalReporter::HealthChecked(const HealthCheck& check) {
  std::cerr << "persist: health check " << check.url() << " (release "
            << (check.release().empty() ? "none" : check.release())
            << "): " << (check.passed() ? "passed" : absl::StrCat("failed: ", check.failure()))
            << (check.status() > 0 ? absl::StrCat(", status ", check.status()) : "") << " ("
            << check.attempts() << (check.attempts() == 1 ? " attempt" : " attempts") << ")\n";
  if (!check.passed() && !check.body_head().empty()) {
    std::cerr << "  body: " << check.body_head() << (check.body_head().back() == '\n' ? "" : "\n");
  }
}

}  // namespace persist
