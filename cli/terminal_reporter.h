// Copyright persist authors.
//
// terminal_reporter: the workflows' progress for people, on stderr, so that
// stdout keeps only results (and stays one JSON document under --json).

#ifndef PERSIST_CLI_TERMINAL_REPORTER_H_
#define PERSIST_CLI_TERMINAL_REPORTER_H_

#include "workflows/reporter.h"

namespace persist {

class TerminalReporter : public Reporter {
 public:
  // "persist: hook (PHASE) `COMMAND` exited N", its output, and a note when
  // it left a background process holding that output.
  void HookEnded(const HookOutcome& outcome) override;
  // "persist: health check URL: passed, status 200 (1 attempt)", or failed
  // with why, and the first lines of the body.
  void HealthChecked(const HealthCheck& check) override;
};

}  // namespace persist

#endif  // PERSIST_CLI_TERMINAL_REPORTER_H_
