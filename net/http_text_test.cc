// Copyright persist authors.

#include "net/http_text.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(PrintableHeadTest, KeepsTheFirstLinesOnly) {
  EXPECT_EQ(PrintableHead("one\ntwo\nthree\nfour\nfive\nsix\nseven\n"),
            "one\ntwo\nthree\nfour\nfive");
  EXPECT_EQ(PrintableHead("fatal"), "fatal");
  EXPECT_EQ(PrintableHead(""), "");
}

TEST(PrintableHeadTest, DropsLeadingBlankLinesAndTrailingSpace) {
  EXPECT_EQ(PrintableHead("\r\n\n  \nrelease v1  \r\n\r\n"), "release v1");
}

TEST(PrintableHeadTest, TurnsCrLfIntoLf) { EXPECT_EQ(PrintableHead("a\r\nb\r\n"), "a\nb"); }

TEST(PrintableHeadTest, ReplacesControlsAndBytesThatAreNotUtf8) {
  // An escape sequence, a NUL, DEL, a lone CR, a lone continuation byte, a
  // C1 control (U+0085), an overlong '/', a surrogate, a cut sequence.
  const std::string body =
      std::string("\x1b[2Jx\0y\x7fz\rw", 11) + "\x80|\xc2\x85|\xc0\xaf|\xed\xa0\x80|\xe2\x82";
  EXPECT_EQ(PrintableHead(body), "?[2Jx?y?z?w?|??|??|???|??");
}

TEST(PrintableHeadTest, KeepsUtf8AndTabs) { EXPECT_EQ(PrintableHead("Café\t€ 𝄞"), "Café\t€ 𝄞"); }

TEST(PrintableHeadTest, StopsAtTheByteCapOnACharacterBoundary) {
  const std::string body = std::string(kBodyHeadBytes - 1, 'a') + "é and more";
  const std::string head = PrintableHead(body);
  EXPECT_EQ(head, std::string(kBodyHeadBytes - 1, 'a'));
  EXPECT_LE(PrintableHead(std::string(100000, 'x')).size(), kBodyHeadBytes);
}

TEST(FirstLineTest, CutsOnACharacterBoundary) {
  EXPECT_EQ(FirstLine("short\nsecond", 160), "short");
  EXPECT_EQ(FirstLine("abcdef", 3), "abc...");
  EXPECT_EQ(FirstLine("ab€", 3), "ab...");  // never half of the euro sign
  EXPECT_EQ(FirstLine("", 3), "");
}

TEST(DurationInWordsTest, MillisecondsThenSeconds) {
  EXPECT_EQ(DurationInWords(absl::Milliseconds(250)), "250 ms");
  EXPECT_EQ(DurationInWords(absl::ZeroDuration()), "0 ms");
  EXPECT_EQ(DurationInWords(absl::Seconds(10)), "10 s");
  EXPECT_EQ(DurationInWords(absl::Milliseconds(2500)), "2.5 s");
}

}  // namespace
}  // namespace persist
