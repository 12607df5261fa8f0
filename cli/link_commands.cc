// Copyright persist authors.
//
// persist link and persist custom: parse, call the workflow, print.

#include <iostream>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/report.h"
#include "workflows/custom.h"
#include "workflows/link.h"

namespace persist {
namespace {

absl::StatusOr<LinkOptions> LinkOptionsOf(const Args& args) {
  LinkOptions options;
  options.app_dir = args.positional[0];
  options.shared_dir = args.positional[1];
  absl::StatusOr<LinkRequest::Mode> mode =
      ParseLinkMode(args.positional.size() > 2 ? args.positional[2] : "auto");
  if (!mode.ok()) return mode.status();
  options.mode = *mode;
  absl::StatusOr<bool> local =
      ParseLinkEnvIsLocal(args.positional.size() > 3 ? args.positional[3] : "server");
  if (!local.ok()) return local.status();
  options.local = *local;
  options.allow_root = args.Has("allow-root");
  return options;
}

}  // namespace

absl::Status RunLink(const Args& args) {
  absl::Status status = ExpectPositionals("link", args, 2, 4);
  if (!status.ok()) return status;
  absl::StatusOr<LinkOptions> options = LinkOptionsOf(args);
  if (!options.ok()) return options.status();
  absl::StatusOr<LinkResult> linked = Link(*options);
  if (!linked.ok()) return linked.status();
  if (options->mode == LinkRequest::kVerify) {
    std::cout << ProblemLines(linked->problems);
    if (linked->problems.empty()) {
      std::cout << "every persistent path of " << linked->app << " is in place\n";
      return absl::OkStatus();
    }
    return WithErrorKind(absl::FailedPreconditionError(absl::StrCat(
                             linked->problems.size(), " persistent path(s) not in place; see above")),
                         ErrorKind::kFailed);
  }
  for (const std::string& note : linked->notes) std::cout << "note: " << note << "\n";
  if (!linked->run.has_value()) {
    std::cout << "nothing to change: every persistent path of " << linked->app << " is in place\n";
    return absl::OkStatus();
  }
  std::cout << (options->local ? "persistent directories of " : "persistent paths of ") << linked->app
            << (options->local ? " are in place" : " are linked into ")
            << (options->local ? "" : linked->shared) << " (run " << linked->run->id() << " in "
            << linked->site_dir << "/.persist; `persist undo --root " << linked->site_dir
            << "` reverses it)\n";
  return absl::OkStatus();
}

absl::Status RunCustom(const Args& args) {
  absl::Status status = ExpectPositionals("custom", args, 2, 2);
  if (!status.ok()) return status;
  if (args.positional[0] != "add") {
    return UsageError(absl::StrCat("persist custom knows only `add`, not \"", args.positional[0],
                                   "\"; see persist custom --help"));
  }
  const std::string& pattern = args.positional[1];
  absl::StatusOr<CustomResult> added =
      AddCustom(CustomOptions{SiteRequest{RootOf(args), "custom", args.Has("allow-root")}, pattern});
  if (!added.ok()) return added.status();
  for (const std::string& note : added->notes) std::cout << "note: " << note << "\n";
  if (!added->run.has_value()) {
    std::cout << "nothing to change: " << pattern << " is persistent already\n";
    return absl::OkStatus();
  }
  std::cout << pattern << " is persistent: in shared/.persistence-config for every deploy"
            << (added->live_release.empty() ? "" : ", and linked into shared/ in the live release")
            << " (run " << added->run->id() << "; `persist undo` reverses it)\n";
  return absl::OkStatus();
}

}  // namespace persist
