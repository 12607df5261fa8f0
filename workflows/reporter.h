// Copyright persist authors.
//
// reporter: what a workflow tells the operator while it works, before its
// result is ready. Workflows never print; cli/ implements this for the
// terminal. Everything a workflow concludes (its run, its notes) is in its
// result instead.

#ifndef PERSIST_WORKFLOWS_REPORTER_H_
#define PERSIST_WORKFLOWS_REPORTER_H_

#include "workflows/hooks.h"

namespace persist {

class Reporter {
 public:
  virtual ~Reporter() = default;

  // A hook has ended: how, and its output (HookOutcome).
  virtual void HookEnded(const HookOutcome& outcome) = 0;

  // A health check of the live release has ended (live_check.h).
  virtual void HealthChecked(const HealthCheck& check) = 0;
};

}  // namespace persist

#endif  // PERSIST_WORKFLOWS_REPORTER_H_
