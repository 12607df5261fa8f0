// Copyright persist authors.
//
// next_step: the step that follows an error (base/next_step.h), in the
// command line's words: which persist command to run, with which --root.

#ifndef PERSIST_CLI_NEXT_STEP_H_
#define PERSIST_CLI_NEXT_STEP_H_

#include <string>

#include "absl/status/status.h"

namespace persist {

// `status` with its next step, if it carries one, added to its message
// ("...; then run `persist recover --root /srv/shop`: ..."). The site is the
// one the step names, else `root_dir` (the command's --root); "." is left
// out. Code, payloads and error kind are kept.
absl::Status SayNextStep(const absl::Status& status, const std::string& root_dir);

}  // namespace persist

#endif  // PERSIST_CLI_NEXT_STEP_H_
