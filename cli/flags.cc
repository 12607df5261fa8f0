// Copyright persist authors.

#include "cli/flags.h"

#include <stdlib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/path.h"

namespace persist {

absl::StatusOr<std::string> ParseFleetRun(const Args& args) {
  if (args.values.count("fleet-run") == 0) return std::string();
  const std::string id = args.Get("fleet-run", "");
  absl::Status valid = ValidateId(id, "fleet run id");
  if (valid.ok()) return id;
  return UsageError(absl::StrCat("--fleet-run \"", PrintablePath(id),
                                 "\" cannot be a fleet run id (", valid.message(),
                                 "); give the id the fleet's controller chose for this deploy"));
}

absl::StatusOr<std::optional<std::string>> ParseExpectCurrent(const Args& args) {
  if (args.values.count("expect-current") == 0) return std::nullopt;
  const std::string id = args.Get("expect-current", "");
  if (id.empty()) return id;
  absl::Status valid = ValidateId(id, "release id");
  if (valid.ok()) return id;
  return UsageError(absl::StrCat("--expect-current \"", PrintablePath(id),
                                 "\" cannot be a release id (", valid.message(),
                                 "); give the release current points at now, as `readlink "
                                 "current` shows it after releases/, or '' for none"));
}

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

namespace {

// A positive whole number, with a K, M, G or T suffix (powers of 1024)
// where `sizes`.
absl::StatusOr<uint64_t> ParseCount(const std::string& flag, const std::string& text, bool sizes) {
  std::string digits = text;
  uint64_t unit = 1;
  if (sizes && !digits.empty()) {
    const std::string suffixes = "KMGT";
    const size_t at = suffixes.find(toupper(static_cast<unsigned char>(digits.back())));
    if (at != std::string::npos) {
      unit = uint64_t{1} << (10 * (at + 1));
      digits.pop_back();
    }
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value) || value == 0 || value > UINT64_MAX / unit) {
    return UsageError(absl::StrCat("--", flag, " takes a whole number above 0",
                                   sizes ? " of bytes, or with K, M, G or T (e.g. 64G)" : "",
                                   ", not \"", text, "\""));
  }
  return value * unit;
}

}  // namespace

absl::StatusOr<ArchiveLimits> ParseArchiveLimits(const Args& args) {
  ArchiveLimits limits;
  const struct {
    const char* flag;
    uint64_t* value;
    bool sizes;
  } flags[] = {{"max-entries", &limits.max_entries, false},
               {"max-unpacked", &limits.max_bytes, true},
               {"max-ratio", &limits.max_ratio, false}};
  for (const auto& flag : flags) {
    if (args.values.count(flag.flag) == 0) continue;
    absl::StatusOr<uint64_t> value = ParseCount(flag.flag, args.Get(flag.flag, ""), flag.sizes);
    if (!value.ok()) return value.status();
    *flag.value = *value;
  }
  return limits;
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

absl::StatusOr<HealthOptions> ParseHealthOptions(const Args& args) {
  HealthOptions options;
  options.urls = args.GetAll("health-url");
  options.skip = args.Has("no-health");
  if (options.skip && !options.urls.empty()) {
    return UsageError(absl::StrCat("--no-health skips every health check, and --health-url ",
                                   options.urls.front(), " asks for one: give one or the other"));
  }
  return options;
}

}  // namespace persist
