// Copyright persist authors.
//
// args: the command line of one subcommand: positionals, and --flags that
// take a value (--root DIR or --root=DIR) or none (--json).

#ifndef PERSIST_CLI_ARGS_H_
#define PERSIST_CLI_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace persist {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // flags that take a value: the last given
  std::map<std::string, std::vector<std::string>> repeated;  // every value, in order
  std::set<std::string> switches;             // flags that take none

  bool Has(const std::string& flag) const { return switches.count(flag) > 0; }
  std::string Get(const std::string& flag, const std::string& fallback) const {
    auto it = values.find(flag);
    return it == values.end() ? fallback : it->second;
  }
  // Every value of a flag that may be given more than once (--health-url).
  std::vector<std::string> GetAll(const std::string& flag) const {
    auto it = repeated.find(flag);
    return it == repeated.end() ? std::vector<std::string>() : it->second;
  }
};

// Parses `argv` against the flags `command` accepts. An unknown flag or a
// missing value is InvalidArgument naming it and `command --help`.
absl::StatusOr<Args> ParseArgs(const std::string& command, const std::vector<std::string>& argv,
                               const std::set<std::string>& value_flags,
                               const std::set<std::string>& switch_flags);

// InvalidArgument unless `args` has between `min` and `max` positionals.
absl::Status ExpectPositionals(const std::string& command, const Args& args, size_t min,
                               size_t max);

// OK when `id`, a release or run id given on the command line, is one
// (fsops/path.h ValidateId). Otherwise exit 2: there is no such `thing`
// ("release", "run"), why the id cannot be one, and `next_step`.
absl::Status ExpectId(const std::string& id, const std::string& thing,
                      const std::string& next_step);

}  // namespace persist

#endif  // PERSIST_CLI_ARGS_H_
