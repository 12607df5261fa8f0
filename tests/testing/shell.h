// Copyright persist authors.
//
// shell: running the real tools a test makes its inputs with (Info-ZIP
// zip, GNU tar, python3), through /bin/sh.

#ifndef PERSIST_TESTS_TESTING_SHELL_H_
#define PERSIST_TESTS_TESTING_SHELL_H_

#include <string>

#include "gtest/gtest.h"

namespace persist {
namespace testing {

// `s` quoted for /bin/sh.
std::string Quote(const std::string& s);

// Runs `command` with /bin/sh in `dir`, PATH=/usr/bin:/bin, stdin closed;
// a failure carries the command and its output.
::testing::AssertionResult Sh(const std::string& dir, const std::string& command);

}  // namespace testing
}  // namespace persist

#endif  // PERSIST_TESTS_TESTING_SHELL_H_
