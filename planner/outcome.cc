// Copyright persist authors.

#include "planner/outcome.h"

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {
namespace {

constexpr absl::string_view kNextStep =
    "another process changed the site or the release while the run was under way: stop it and "
    "check what it changed";

}  // namespace

void Outcomes::Expect(const std::string& path, FileType type, const std::string& link_target) {
  by_path_[path] = Outcome{type, link_target};
}

absl::Status Outcomes::Check(const Root& site) const {
  for (const auto& [path, want] : by_path_) {
    absl::StatusOr<PathState> now = site.Observe(path, false);
    if (!now.ok()) {
      return Annotate(now.status(), absl::StrCat("cannot check ", PrintablePath(path),
                                                 " before the run commits; ", kNextStep));
    }
    if (now->type() != want.type) {
      return absl::FailedPreconditionError(absl::StrCat(
          PrintablePath(path), now->type() == ABSENT ? " is missing" : " is a ",
          now->type() == ABSENT ? "" : FileTypeName(now->type()),
          now->type() == SYMLINK ? absl::StrCat(" (-> ", PrintablePath(now->link_target()), ")") : "",
          " where this run put a ", FileTypeName(want.type), "; ", kNextStep));
    }
    if (want.type == SYMLINK && now->link_target() != want.link_target) {
      return absl::FailedPreconditionError(absl::StrCat(
          PrintablePath(path), " leads to ", PrintablePath(now->link_target()),
          " where this run made it lead to ", PrintablePath(want.link_target), "; ", kNextStep));
    }
  }
  return absl::OkStatus();
}

}  // namespace persist
