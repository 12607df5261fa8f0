// Copyright persist authors.

#include "fsops/real_path.h"

#include <errno.h>
#include <stdlib.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"

namespace persist {

absl::StatusOr<std::string> RealPath(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> resolved(realpath(path.c_str(), nullptr), &free);
  if (resolved == nullptr) return ErrnoStatus(errno, "resolve", path);
  return std::string(resolved.get());
}

absl::StatusOr<std::string> RealPathMaybeMissing(const std::string& path) {
  absl::StatusOr<std::string> real = RealPath(path);
  if (real.ok() || StatusErrno(real.status()) != ENOENT) return real;
  auto [parent, name] = SplitParent(path);
  if (name.empty() || name == "." || name == "..") {
    return WithPath(absl::InvalidArgumentError(absl::StrCat(
                        PrintablePath(path),
                        " does not exist and names no entry to make in a directory; give a path "
                        "whose last component is a name")),
                    path);
  }
  // "/x": the parent of a name at the top is "/", not the working directory.
  if (parent.empty() && !path.empty() && path.front() == '/') parent = "/";
  absl::StatusOr<std::string> real_parent = RealPath(parent.empty() ? "." : parent);
  if (!real_parent.ok()) {
    return Annotate(real_parent.status(),
                    absl::StrCat(PrintablePath(path),
                                 " does not exist, nor the directory it would go in"));
  }
  if (*real_parent == "/") return "/" + name;
  return absl::StrCat(*real_parent, "/", name);
}

std::string TemporaryDirectory() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

}  // namespace persist
