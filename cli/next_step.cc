// Copyright persist authors.

#include "cli/next_step.h"

#include "absl/strings/str_cat.h"
#include "base/next_step.h"

namespace persist {
namespace {

// "persist COMMAND [ARG] [--root SITE]", quoted as a command to type.
std::string Command(const std::string& command, const std::string& site, const std::string& arg = "") {
  return absl::StrCat("`persist ", command, arg.empty() ? "" : " " + arg,
                      site.empty() || site == "." ? "" : " --root " + site, "`");
}

std::string Words(const NextStepOf& next, const std::string& site) {
  switch (next.step) {
    case NextStep::kNone:
      return "";
    case NextStep::kRecover:
      return absl::StrCat("run ", Command("recover", site), " to undo it exactly, then try again");
    case NextStep::kRecoverAgain:
      return absl::StrCat("then run ", Command("recover", site),
                          ": it finishes the undo where it stopped");
    case NextStep::kEmptyTrash:
      return absl::StrCat("then run ", Command("empty-trash", site));
    case NextStep::kListRuns:
      return absl::StrCat(Command("log", site), " lists the runs");
    case NextStep::kNameTheRun:
      return absl::StrCat("if that is what you mean, name it: ", Command("undo", site, next.run_id));
    case NextStep::kVerify:
      return absl::StrCat("check the site with ", Command("verify", site));
    case NextStep::kGiveTheSite:
      return "give the site's directory with --root";
    case NextStep::kGiveABackup:
      return "give an archive that `persist backup` wrote, whole";
  }
  return "";
}

}  // namespace

absl::Status SayNextStep(const absl::Status& status, const std::string& root_dir) {
  const NextStepOf next(status);
  const std::string words = Words(next, next.site_dir.empty() ? root_dir : next.site_dir);
  if (words.empty()) return status;
  absl::Status said(status.code(), absl::StrCat(status.message(), "; ", words));
  status.ForEachPayload([&said](absl::string_view url, const absl::Cord& payload) {
    said.SetPayload(url, payload);
  });
  return said;
}

}  // namespace persist
