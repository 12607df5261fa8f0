// Copyright persist authors.

#include "fsops/path.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace persist {

absl::Status ValidateRelativePath(absl::string_view path) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", PrintablePath(path), "\" ", why,
                     "; give a path relative to the site root, such as shared/.env"));
  };
  if (path.empty()) return bad("is empty");
  if (path.find('\0') != absl::string_view::npos) return bad("holds a NUL byte");
  if (path.front() == '/') return bad("is absolute");
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty()) return bad("has an empty component");
    if (part == "..") return bad("climbs out with \"..\"");
    if (part == ".") return bad("has a \".\" component");
    if (part.size() > 255) return bad("has a component longer than 255 bytes");
  }
  return absl::OkStatus();
}

absl::Status ValidateId(absl::string_view id, absl::string_view kind) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " \"", PrintablePath(id), "\" ", why, ": an id is one name of 1 to ", kMaxIdLength,
        " letters, digits, '.', '_' or '-', not starting with '.', such as 20261128T101500Z"));
  };
  if (id.empty()) return bad("is empty");
  if (id.size() > kMaxIdLength) return bad(absl::StrCat("is ", id.size(), " bytes long"));
  for (char c : id) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (safe) continue;
    const unsigned char byte = static_cast<unsigned char>(c);
    return bad(byte > 0x20 && byte < 0x7f ? absl::StrFormat("holds a '%c'", c)
                                          : absl::StrFormat("holds the byte \\x%02x", byte));
  }
  if (id.front() == '.') return bad("starts with '.'");
  return absl::OkStatus();
}

std::pair<std::string, std::string> SplitParent(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return absl::StrCat(a, "/", b);
}

bool IsWithin(absl::string_view path, absl::string_view ancestor) {
  if (ancestor.empty()) return true;
  if (path.size() < ancestor.size()) return false;
  if (path.substr(0, ancestor.size()) != ancestor) return false;
  return path.size() == ancestor.size() || path[ancestor.size()] == '/';
}

bool PathBefore(absl::string_view a, absl::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    // A component that ends first is the smaller: "a/..." before "a-c".
    if (a[i] == '/') return true;
    if (b[i] == '/') return false;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

std::string PrintablePath(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (unsigned char c : path) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  return out;
}

std::string ResolveLexically(const std::string& link, const std::string& target) {
  if (target.empty() || target.front() == '/') return "";
  std::vector<std::string> parts = absl::StrSplit(SplitParent(link).first, '/', absl::SkipEmpty());
  for (absl::string_view part : absl::StrSplit(target, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return "";
      parts.pop_back();
    } else {
      parts.emplace_back(part);
    }
  }
  return absl::StrJoin(parts, "/");
}

bool LeadsIntoShared(const std::string& link, const std::string& target) {
  return IsWithin(ResolveLexically(link, target), "shared");
}

}  // namespace persist
