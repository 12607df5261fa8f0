// Copyright persist authors.
//
// text_format: reading persist's protobuf text files (plans, profiles) with
// errors an operator can act on.

#ifndef PERSIST_PROTO_TEXT_FORMAT_H_
#define PERSIST_PROTO_TEXT_FORMAT_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace persist {

// How deeply messages may nest in a text file; deeper is a syntax error.
inline constexpr int kTextRecursionLimit = 16;

// Parses `text` into `message`. A syntax error is InvalidArgument reading
// "<name>:<line>:<column>: <what>; <next_step>" (1-based line and column).
absl::Status ParseTextProto(const std::string& text, const std::string& name,
                            const std::string& next_step, google::protobuf::Message* message);

}  // namespace persist

#endif  // PERSIST_PROTO_TEXT_FORMAT_H_
