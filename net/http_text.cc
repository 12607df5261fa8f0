// Copyright persist authors.

#include "net/http_text.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace persist {
namespace {

// The length of the UTF-8 sequence of two to four bytes that starts at
// text[i], or 0 when none does there (overlong forms, surrogates, code
// points past U+10FFFF and the C1 controls U+0080-U+009F count as none).
size_t MultibyteLength(absl::string_view text, size_t i) {
  const unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    if (lead == 0xC2) low = 0xA0;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  const unsigned char second = static_cast<unsigned char>(text[i + 1]);
  if (second < low || second > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

std::string PrintableHead(absl::string_view body) {
  body = absl::StripLeadingAsciiWhitespace(body);
  std::string head;
  int lines = 1;
  size_t i = 0;
  while (i < body.size()) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    absl::string_view piece;
    size_t length = 1;
    if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c == '\n') {
      if (++lines > kBodyHeadLines) break;
      piece = "\n";
    } else if (c == '\t' || (c >= 0x20 && c < 0x7F)) {
      piece = body.substr(i, 1);
    } else if (c >= 0x80 && (length = MultibyteLength(body, i)) > 0) {
      piece = body.substr(i, length);
    } else {
      length = 1;
      piece = "?";
    }
    if (head.size() + piece.size() > kBodyHeadBytes) break;
    head.append(piece.data(), piece.size());
    i += length;
  }
  head.erase(head.find_last_not_of(" \t\n") + 1);
  return head;
}

std::string FirstLine(absl::string_view text, size_t max_bytes) {
  absl::string_view line = text.substr(0, text.find('\n'));
  if (line.size() <= max_bytes) return std::string(line);
  size_t cut = max_bytes;
  // Back to a character's first byte: never half a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return std::string(line.substr(0, cut)) + "...";
}

std::string DurationInWords(absl::Duration duration) {
  const int64_t ms = absl::ToInt64Milliseconds(duration);
  if (ms < 1000) return absl::StrFormat("%d ms", ms);
  if (ms % 1000 == 0) return absl::StrFormat("%d s", ms / 1000);
  return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(duration));
}

}  // namespace persist
