// Copyright persist authors.

#include "planner/profile.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fsops/path.h"
#include "proto/text_format.h"

namespace persist {
namespace {

absl::StatusOr<Rule> MakeRule(const std::string& written, PathClass cls, bool from_profile) {
  Rule rule;
  rule.cls = cls;
  rule.from_profile = from_profile;
  rule.dir_only = absl::EndsWith(written, "/");
  rule.pattern = rule.dir_only ? written.substr(0, written.size() - 1) : written;
  absl::Status valid = ValidateRelativePath(rule.pattern);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("profile pattern \"", PrintablePath(written), "\": ", valid.message()));
  }
  return rule;
}

}  // namespace

const char* PathClassName(PathClass cls) {
  switch (cls) {
    case PathClass::kApp:
      return "APP";
    case PathClass::kShared:
      return "SHARED";
    case PathClass::kUser:
      return "USER";
    case PathClass::kRuntime:
      return "RUNTIME";
    case PathClass::kCustom:
      return "CUSTOM";
  }
  return "APP";
}

std::string Rule::Describe() const {
  return absl::StrCat(pattern, dir_only ? "/" : "", " (", from_profile ? "profile" : "blueprint",
                      " ", PathClassName(cls), ")");
}

std::vector<Rule> BlueprintRules() {
  struct Entry {
    const char* pattern;
    PathClass cls;
  };
  // The blueprint's lists, as DESIGN.md states them. public/template* is APP
  // so that public/*temp*/ does not take public/templates/.
  static const Entry kEntries[] = {
      {".env", PathClass::kShared},
      {"storage/", PathClass::kShared},
      {"bootstrap/cache/", PathClass::kShared},
      {"public/.well-known/", PathClass::kShared},
      {"public/*upload*/", PathClass::kUser},
      {"public/*avatar*/", PathClass::kUser},
      {"public/*media*/", PathClass::kUser},
      {"public/profile*/", PathClass::kUser},
      {"public/document*/", PathClass::kUser},
      {"public/file*/", PathClass::kUser},
      {"public/qr*/", PathClass::kRuntime},
      {"public/*invoice*/", PathClass::kRuntime},
      {"public/*export*/", PathClass::kRuntime},
      {"public/*report*/", PathClass::kRuntime},
      {"public/*temp*/", PathClass::kRuntime},
      {"public/*generated*/", PathClass::kRuntime},
      {"public/backup*/", PathClass::kRuntime},
      {"public/custom-*/", PathClass::kCustom},
      {"storage/app/custom/", PathClass::kCustom},
      {"public/build*", PathClass::kApp},
      {"public/css*", PathClass::kApp},
      {"public/js*", PathClass::kApp},
      {"public/img*", PathClass::kApp},
      {"public/image*", PathClass::kApp},
      {"public/font*", PathClass::kApp},
      {"public/flag*", PathClass::kApp},
      {"public/icon*", PathClass::kApp},
      {"public/theme*", PathClass::kApp},
      {"public/template*", PathClass::kApp},
      {"public/vendor*", PathClass::kApp},
      {"vendor/", PathClass::kApp},
  };
  std::vector<Rule> rules;
  for (const Entry& entry : kEntries) rules.push_back(*MakeRule(entry.pattern, entry.cls, false));
  return rules;
}

absl::StatusOr<std::vector<Rule>> RulesOf(const Profile& profile) {
  std::vector<Rule> rules;
  if (!profile.replace_defaults()) rules = BlueprintRules();
  auto add = [&](const google::protobuf::RepeatedPtrField<std::string>& patterns,
                 PathClass cls) -> absl::Status {
    for (const std::string& written : patterns) {
      absl::StatusOr<Rule> rule = MakeRule(written, cls, true);
      if (!rule.ok()) return rule.status();
      rules.push_back(*rule);
    }
    return absl::OkStatus();
  };
  for (auto status : {add(profile.shared(), PathClass::kShared), add(profile.user(), PathClass::kUser),
                      add(profile.runtime(), PathClass::kRuntime),
                      add(profile.custom(), PathClass::kCustom), add(profile.app(), PathClass::kApp)}) {
    if (!status.ok()) return status;
  }
  return rules;
}

std::string ProfileLine(absl::string_view field, absl::string_view value) {
  return absl::StrCat(field, ": \"", absl::CEscape(value), "\"\n");
}

absl::StatusOr<Profile> ParseProfile(const std::string& text, const std::string& name) {
  Profile profile;
  absl::Status parsed = ParseTextProto(
      text, name,
      "fix the profile (fields: shared, user, runtime, custom, app, replace_defaults, "
      "keep_releases, before_switch, after_switch, hook_timeout, web_user) and run again",
      &profile);
  if (!parsed.ok()) return parsed;
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(profile);
  if (!rules.ok()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", rules.status().message()));
  return profile;
}

int KeepReleases(const Profile& profile) {
  return profile.keep_releases() == 0 ? 5 : static_cast<int>(profile.keep_releases());
}

absl::Duration HookTimeout(const Profile& profile) {
  return absl::Seconds(profile.hook_timeout() == 0 ? 300 : profile.hook_timeout());
}

}  // namespace persist
