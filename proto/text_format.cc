// Copyright persist authors.

#include "proto/text_format.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace persist {
namespace {

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (found) return;
    found = true;
    this->line = line;
    this->column = column;
    this->message = message;
  }
  void AddWarning(int, int, const std::string&) override {}

  bool found = false;
  int line = 0;
  int column = 0;
  std::string message;
};

}  // namespace

absl::Status ParseTextProto(const std::string& text, const std::string& name,
                            const std::string& next_step, google::protobuf::Message* message) {
  FirstError errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  // Plans and profiles nest three messages deep at most (Plan > op > write).
  // protobuf's default limit is INT_MAX: should a message ever gain a
  // recursive or Any field, a file of "a { a { a { ..." would otherwise
  // recurse until the stack overflows instead of being a syntax error.
  parser.SetRecursionLimit(kTextRecursionLimit);
  if (parser.ParseFromString(text, message)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      name, ":", errors.line + 1, ":", errors.column + 1, ": ",
      errors.found ? errors.message : "not protobuf text format", "; ", next_step));
}

}  // namespace persist
