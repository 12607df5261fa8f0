// Copyright persist authors.
//
// as_ordinary_user: running a piece of a test the way the site's owner on a
// shared host would, where permission bits apply (root never sees them).

#ifndef PERSIST_TESTS_TESTING_AS_ORDINARY_USER_H_
#define PERSIST_TESTS_TESTING_AS_ORDINARY_USER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace persist {
namespace testing {

struct ChildResult {
  bool skipped = false;  // the capabilities could not be dropped
  bool ok = false;
  std::string message;
};

// Runs `fn` in a forked child without CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH and reports how it ended. Records a test failure when
// the child dies.
ChildResult RunWithoutPermissionOverride(const std::function<absl::Status()>& fn);

}  // namespace testing
}  // namespace persist

#endif  // PERSIST_TESTS_TESTING_AS_ORDINARY_USER_H_
