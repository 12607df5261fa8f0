// Copyright persist authors.

#include "cli/plan_file.h"

#include <errno.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "journal/exit_code.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace persist {
namespace {

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!found) {
      found = true;
      this->line = line;
      this->column = column;
      this->message = message;
    }
  }
  void AddWarning(int, int, const std::string&) override {}

  bool found = false;
  int line = 0;
  int column = 0;
  std::string message;
};

}  // namespace

absl::StatusOr<Plan> ParsePlan(const std::string& text, const std::string& name) {
  Plan plan;
  FirstError errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &plan)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ":", errors.line + 1, ":", errors.column + 1, ": ",
        errors.found ? errors.message : "not a plan in protobuf text format",
        "; fix the plan file (one `op { KIND { ... } }` per change, see README.md) and run again"));
  }
  if (plan.op_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": the plan has no op; add at least one `op { ... }`"));
  }
  return plan;
}

absl::StatusOr<Plan> ReadPlanFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return WithExitCode(Annotate(ErrnoStatus(errno, "read plan file", path),
                                 "give the path of an existing plan file"),
                        kExitUsage);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ErrnoStatus(errno, "read plan file", path);
  return ParsePlan(text.str(), path);
}

}  // namespace persist
