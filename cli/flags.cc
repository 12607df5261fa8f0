// Copyright persist authors.

#include "cli/flags.h"

#include <stdlib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/error_kind.h"

namespace persist {
absl::StatusOr<DeployRequest::Mode> ParseDeployMode(const std::string& text) {
  if (text == "auto") return DeployRequest::kAuto;
  if (text == "first" || text == "true") return DeployRequest::kFirst;
  if (text == "subsequent" || text == "false") return DeployRequest::kSubsequent;
  return UsageError(absl::StrCat("unknown deploy mode \"", text,
                                 "\"; give auto, first or subsequent (or the blueprint's true for "
                                 "first, false for subsequent)"));
}

absl::StatusOr<LinkRequest::Mode> ParseLinkMode(const std::string& text) {
  if (text == "auto") return LinkRequest::kAuto;
  if (text == "first" || text == "true") return LinkRequest::kFirst;
  if (text == "subsequent" || text == "false") return LinkRequest::kSubsequent;
  if (text == "verify") return LinkRequest::kVerify;
  if (text == "custom") return LinkRequest::kCustom;
  return UsageError(absl::StrCat("unknown mode \"", text,
                                 "\"; give first, subsequent, auto, verify or custom (or the "
                                 "blueprint's true for first, false for subsequent)"));
}

absl::StatusOr<bool> ParseLinkEnvIsLocal(const std::string& text) {
  if (text == "server") return false;
  if (text == "local") return true;
  return UsageError(absl::StrCat("unknown environment \"", text, "\"; give server or local"));
}

absl::StatusOr<DedupeMode> ParseDedupe(const std::string& text) {
  if (text == "off") return DEDUPE_OFF;
  if (text == "auto") return DEDUPE_AUTO;
  if (text == "reflink") return DEDUPE_REFLINK;
  if (text == "hardlink") return DEDUPE_HARDLINK;
  return UsageError(
      absl::StrCat("--dedupe takes auto, reflink, hardlink or off, not '", text, "'"));
}

absl::StatusOr<bool> ParseIntentsGrouped(const std::string& text) {
  if (text == "grouped") return true;
  if (text == "per-op") return false;
  return UsageError(absl::StrCat("--intents takes grouped or per-op, not \"", text, "\""));
}

absl::StatusOr<std::optional<int>> ParseKeep(const Args& args) {
  if (args.values.count("keep") == 0) return std::nullopt;
  int value = 0;
  if (!absl::SimpleAtoi(args.Get("keep", ""), &value) || value < 1) {
    return UsageError("--keep takes a whole number of releases, 1 or more");
  }
  return value;
}

absl::StatusOr<bool> ParseManifest(const std::string& text) {
  if (text == "on") return true;
  if (text == "off") return false;
  return UsageError(absl::StrCat("--manifest takes on or off, not \"", text, "\""));
}

absl::StatusOr<TrashMode> TrashModeOf(const Args& args) {
  std::string value;
  std::string source = "--empty-trash";
  auto it = args.values.find("empty-trash");
  if (it != args.values.end()) {
    value = it->second;
  } else if (const char* set = getenv(kTrashModeVariable); set != nullptr && *set != '\0') {
    value = set;
    source = kTrashModeVariable;
  } else {
    return TrashMode::kBackground;
  }
  if (value == "background") return TrashMode::kBackground;
  if (value == "wait") return TrashMode::kWait;
  if (value == "later") return TrashMode::kLater;
  return UsageError(absl::StrCat(source, " takes background, wait or later, not \"", value, "\""));
}

}  // namespace persist
