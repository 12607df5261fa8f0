// Copyright persist authors.
//
// http_text: what a check shows of an answer, in its messages. A body comes
// from a server we do not control: before any of it reaches a terminal or a
// log it is cut short and made printable, so that a page of binary, or of
// escape sequences, cannot garble what the operator reads.

#ifndef PERSIST_NET_HTTP_TEXT_H_
#define PERSIST_NET_HTTP_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace persist {

inline constexpr int kBodyHeadLines = 5;
inline constexpr size_t kBodyHeadBytes = 1024;

// The first kBodyHeadLines lines of `body`, at most kBodyHeadBytes
// bytes (cut on a character's boundary), printable: valid UTF-8 and tabs are
// kept; control characters, DEL and bytes that are not UTF-8 become '?';
// "\r\n" becomes "\n". Blank lines at the start and white space at the end
// are dropped.
std::string PrintableHead(absl::string_view body);

// The first line of `text`, cut to at most `max_bytes` bytes on a UTF-8
// character's boundary, with "..." when anything was cut.
std::string FirstLine(absl::string_view text, size_t max_bytes);

// A duration for messages: "250 ms", "10 s", "2.5 s".
std::string DurationInWords(absl::Duration duration);

}  // namespace persist

#endif  // PERSIST_NET_HTTP_TEXT_H_
