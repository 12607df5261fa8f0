// Copyright persist authors.

#include "cli/args.h"

#include "absl/strings/str_cat.h"
#include "fsops/path.h"
#include "base/error_kind.h"

namespace persist {

absl::StatusOr<Args> ParseArgs(const std::string& command, const std::vector<std::string>& argv,
                               const std::set<std::string>& value_flags,
                               const std::set<std::string>& switch_flags) {
  Args args;
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (only_positional || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      args.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (value_flags.count(name)) {
      if (!has_value) {
        if (i + 1 >= argv.size()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--", name, " needs a value; see persist ", command, " --help"));
        }
        value = argv[++i];
      }
      args.values[name] = value;
      args.repeated[name].push_back(value);
    } else if (switch_flags.count(name) && !has_value) {
      args.switches.insert(name);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("persist ", command, " has no option --", name, "; see persist ", command,
                       " --help"));
    }
  }
  return args;
}

absl::Status ExpectPositionals(const std::string& command, const Args& args, size_t min,
                               size_t max) {
  if (args.positional.size() >= min && args.positional.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "persist ", command, " takes ", min == max ? absl::StrCat(min) : absl::StrCat(min, " to ", max),
      " argument(s), got ", args.positional.size(), "; see persist ", command, " --help"));
}

absl::Status ExpectId(const std::string& id, const std::string& thing,
                      const std::string& next_step) {
  absl::Status valid = ValidateId(id, thing + " id");
  if (valid.ok()) return valid;
  return UsageError(absl::StrCat("there is no ", thing, " \"", PrintablePath(id), "\" (",
                                 valid.message(), "); ", next_step));
}

}  // namespace persist
