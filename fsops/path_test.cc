// Copyright persist authors.

#include "fsops/path.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"

#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(ValidateRelativePathTest, AcceptsOrdinaryRelativePaths) {
  EXPECT_TRUE(ValidateRelativePath("shared/.env").ok());
  EXPECT_TRUE(ValidateRelativePath("a").ok());
  EXPECT_TRUE(ValidateRelativePath("releases/r1/public/uploads").ok());
  EXPECT_TRUE(ValidateRelativePath("...").ok());
  EXPECT_TRUE(ValidateRelativePath("a/..b/c..").ok());
  EXPECT_TRUE(ValidateRelativePath(std::string(255, 'x')).ok());
}

TEST(ValidateRelativePathTest, RejectsTheEmptyPath) {
  absl::Status status = ValidateRelativePath("");
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("empty"), absl::string_view::npos) << status;
}

TEST(ValidateRelativePathTest, RejectsAbsolutePaths) {
  absl::Status status = ValidateRelativePath("/etc/passwd");
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("absolute"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("/etc/passwd"), absl::string_view::npos) << status;
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRelativePath("/")));
}

TEST(ValidateRelativePathTest, RejectsDotDotAnywhere) {
  for (const char* path : {"..", "../x", "a/..", "a/../b", "a/b/.."}) {
    absl::Status status = ValidateRelativePath(path);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << path;
    EXPECT_NE(status.message().find(".."), absl::string_view::npos) << status;
  }
}

TEST(ValidateRelativePathTest, RejectsDotComponents) {
  for (const char* path : {".", "./a", "a/.", "a/./b"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateRelativePath(path))) << path;
  }
}

TEST(ValidateRelativePathTest, RejectsEmptyComponents) {
  for (const char* path : {"a//b", "a/", "a/b/", "//"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateRelativePath(path))) << path;
  }
  EXPECT_NE(ValidateRelativePath("a//b").message().find("empty component"),
            absl::string_view::npos);
}

TEST(ValidateRelativePathTest, RejectsNulBytes) {
  std::string path("shared/.env\0.bak", 16);
  absl::Status status = ValidateRelativePath(path);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("NUL"), absl::string_view::npos) << status;
  // The message itself stays printable: the NUL is escaped.
  EXPECT_EQ(status.message().find('\0'), absl::string_view::npos);
}

TEST(ValidateRelativePathTest, RejectsComponentsLongerThan255Bytes) {
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRelativePath(std::string(256, 'x'))));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRelativePath("a/" + std::string(256, 'x') + "/b")));
  // Long paths made of short components are fine.
  std::string long_path;
  for (int i = 0; i < 40; ++i) long_path += std::string(100, 'a' + i % 26) + "/";
  long_path += "leaf";
  EXPECT_TRUE(ValidateRelativePath(long_path).ok());
}

TEST(ValidateIdTest, AcceptsTimeBasedAndHandGivenIds) {
  for (const char* id : {"20261128T101500Z", "20261128T101500Z-2", "v1", "v1.2.3", "release_9",
                         "-", "a..b", "V"}) {
    EXPECT_TRUE(ValidateId(id, "release id").ok()) << id;
  }
  EXPECT_TRUE(ValidateId(std::string(kMaxIdLength, 'x'), "run id").ok());
}

TEST(ValidateIdTest, RejectsDotAndDotDotAndEveryLeadingDot) {
  for (const char* id : {".", "..", ".hidden", ".persist-r1-1.tmp"}) {
    absl::Status status = ValidateId(id, "release id");
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << id;
    EXPECT_NE(status.message().find("starts with '.'"), absl::string_view::npos) << status;
  }
}

TEST(ValidateIdTest, RejectsPathsAndNamesThatLeaveTheDirectory) {
  for (const char* id : {"../../etc", "a/b", "/etc", "releases/v1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateId(id, "release id"))) << id;
  }
}

TEST(ValidateIdTest, RejectsNewlinesSpacesAndEveryOtherByte) {
  absl::Status status = ValidateId("a\nb", "run id");
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  // The message names the kind and the id on one line, and says what an id holds.
  EXPECT_EQ(status.message().find('\n'), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("run id \"a\\x0ab\""), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("letters, digits"), absl::string_view::npos) << status;
  for (const std::string& id :
       {std::string("a b"), std::string("a$b"), std::string("a\0b", 3), std::string("caf\xc3\xa9"),
        std::string("a*"), std::string("a:b")}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateId(id, "release id"))) << PrintablePath(id);
  }
}

TEST(ValidateIdTest, RejectsTheEmptyIdAndOneLongerThanTheLimit) {
  EXPECT_NE(ValidateId("", "release id").message().find("is empty"), absl::string_view::npos);
  absl::Status status = ValidateId(std::string(kMaxIdLength + 1, 'x'), "release id");
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("129 bytes long"), absl::string_view::npos) << status;
}

TEST(SplitParentTest, SplitsAtTheLastSlash) {
  EXPECT_EQ(SplitParent("a/b/c"), std::make_pair(std::string("a/b"), std::string("c")));
  EXPECT_EQ(SplitParent("a/b"), std::make_pair(std::string("a"), std::string("b")));
}

TEST(SplitParentTest, GivesAnEmptyParentForATopLevelName) {
  EXPECT_EQ(SplitParent("c"), std::make_pair(std::string(""), std::string("c")));
  EXPECT_EQ(SplitParent(""), std::make_pair(std::string(""), std::string("")));
}

TEST(JoinPathTest, JoinsWithOneSlash) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a", "b/c"), "a/b/c");
}

TEST(JoinPathTest, EitherSideMayBeEmpty) {
  EXPECT_EQ(JoinPath("", "c"), "c");
  EXPECT_EQ(JoinPath("a", ""), "a");
  EXPECT_EQ(JoinPath("", ""), "");
}

TEST(JoinPathTest, UndoesSplitParent) {
  for (const char* path : {"a", "a/b", "a/b/c"}) {
    auto [parent, leaf] = SplitParent(path);
    EXPECT_EQ(JoinPath(parent, leaf), path);
  }
}

TEST(IsWithinTest, APathIsWithinItself) {
  EXPECT_TRUE(IsWithin("a/b", "a/b"));
}

TEST(IsWithinTest, APathIsWithinItsAncestors) {
  EXPECT_TRUE(IsWithin("a/b/c", "a/b"));
  EXPECT_TRUE(IsWithin("a/b/c", "a"));
}

TEST(IsWithinTest, ASiblingSharingAPrefixIsNotWithin) {
  EXPECT_FALSE(IsWithin("a/bc", "a/b"));
  EXPECT_FALSE(IsWithin("a/b-x/c", "a/b"));
  EXPECT_FALSE(IsWithin(".persistent", ".persist"));
}

TEST(IsWithinTest, AnAncestorIsNotWithinItsDescendant) {
  EXPECT_FALSE(IsWithin("a", "a/b"));
  EXPECT_FALSE(IsWithin("x/y", "a"));
}

TEST(IsWithinTest, EverythingIsWithinTheRoot) {
  EXPECT_TRUE(IsWithin("a/b", ""));
  EXPECT_TRUE(IsWithin("", ""));
}

TEST(PrintablePathTest, LeavesPrintableAsciiAlone) {
  EXPECT_EQ(PrintablePath("shared/public/uploads-2024 (copy).jpg"),
            "shared/public/uploads-2024 (copy).jpg");
}

TEST(PrintablePathTest, EscapesNewlinesSoAMessageStaysOneLine) {
  std::string printable = PrintablePath("evil\nname");
  EXPECT_EQ(printable, "evil\\x0aname");
  EXPECT_EQ(printable.find('\n'), std::string::npos);
}

TEST(PrintablePathTest, EscapesInvalidUtf8AndControlBytes) {
  EXPECT_EQ(PrintablePath(std::string("a\xff\xfe" "b", 4)), "a\\xff\\xfeb");
  EXPECT_EQ(PrintablePath(std::string("\x01\x7f", 2)), "\\x01\\x7f");
  EXPECT_EQ(PrintablePath(std::string("a\0b", 3)), "a\\x00b");
}

TEST(PrintablePathTest, EscapesBackslashSoEscapesAreUnambiguous) {
  // Otherwise a name holding the four characters \x0a would print like a
  // name holding a newline.
  EXPECT_NE(PrintablePath("\\x0a"), PrintablePath("\n"));
}

TEST(ResolveLexicallyTest, FollowsDotDotWithoutLeavingTheSite) {
  EXPECT_EQ(ResolveLexically("releases/r1/public/uploads", "../../../shared/public/uploads"),
            "shared/public/uploads");
  EXPECT_EQ(ResolveLexically("current", "releases/r1"), "releases/r1");
  EXPECT_EQ(ResolveLexically("a/b", "../../../x"), "");
  EXPECT_EQ(ResolveLexically("a/b", "/etc"), "");
}

TEST(PathBeforeTest, OrdersComponentByComponent) {
  EXPECT_TRUE(PathBefore("", "a"));
  EXPECT_TRUE(PathBefore("a", "a/b"));
  EXPECT_TRUE(PathBefore("a/b", "a-c"));  // plain string order says otherwise
  EXPECT_TRUE(PathBefore("a/z/z", "a.b"));
  EXPECT_TRUE(PathBefore("a/b", "a/c"));
  EXPECT_TRUE(PathBefore("ab", "b"));
  EXPECT_FALSE(PathBefore("a-c", "a/b"));
  EXPECT_FALSE(PathBefore("a", "a"));
  EXPECT_FALSE(PathBefore("a/b", "a"));
}

TEST(PathBeforeTest, BytesAboveSevenBitsSortAfterAscii) {
  EXPECT_TRUE(PathBefore("a/\x7f", "a/\xc3\xa9"));
  EXPECT_TRUE(PathBefore("a/\xc3\xa9", "a\x01"));
}

// The same order as comparing the lists of components, each byte by byte,
// which is what a walk with sorted names visits.
TEST(PathBeforeTest, AgreesWithComparingComponentLists) {
  const std::vector<std::string> paths = {"",     "a",    "a/b",  "a/b/c", "a-c", "a.b",
                                          "a/-",  "a\x01", "b",    "a/b-",  "ab",  "a/\xff",
                                          "a/ba", "z/a/a"};
  for (const std::string& x : paths) {
    for (const std::string& y : paths) {
      std::vector<std::string> cx = x.empty() ? std::vector<std::string>{} : absl::StrSplit(x, '/');
      std::vector<std::string> cy = y.empty() ? std::vector<std::string>{} : absl::StrSplit(y, '/');
      EXPECT_EQ(PathBefore(x, y), cx < cy) << PrintablePath(x) << " vs " << PrintablePath(y);
    }
  }
}

}  // namespace
}  // namespace persist
