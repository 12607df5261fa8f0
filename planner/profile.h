// Copyright persist authors.
//
// profile: which paths of a release persist, and how.
//
// The defaults are the Universal Data Persistence Blueprint's lists, so a
// site needs no profile file. A site's shared/.persistence-config (a
// persist.Profile in protobuf text format) adds to them, or replaces them
// with replace_defaults.

#ifndef PERSIST_PLANNER_PROFILE_H_
#define PERSIST_PLANNER_PROFILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/config.pb.h"

namespace persist {

// Where a site keeps its profile, relative to the root.
inline constexpr char kProfilePath[] = "shared/.persistence-config";

enum class PathClass { kApp, kShared, kUser, kRuntime, kCustom };

// "APP", "SHARED", "USER", "RUNTIME", "CUSTOM".
const char* PathClassName(PathClass cls);

// One classification rule. A glob's `*` matches within one path component
// and never crosses '/'. A rule written with a trailing '/' matches
// directories only.
struct Rule {
  std::string pattern;  // without the trailing '/'
  PathClass cls;
  bool dir_only;
  bool from_profile;    // else from the blueprint
  bool is_glob() const { return pattern.find_first_of("*?[") != std::string::npos; }
  // As written: "public/*upload*/ (blueprint USER)".
  std::string Describe() const;
};

// The blueprint's rules.
std::vector<Rule> BlueprintRules();

// The rules of `profile`: its own, after the blueprint's unless
// replace_defaults. InvalidArgument for a pattern that is absolute, has "..",
// is empty or holds a NUL.
absl::StatusOr<std::vector<Rule>> RulesOf(const Profile& profile);

// Parses profile text; errors name "<name>:<line>:<column>".
absl::StatusOr<Profile> ParseProfile(const std::string& text, const std::string& name);

// One line of profile text setting `field` to `value`, quoted so that any
// value stays on its line: `custom: "public/qr codes"\n`.
std::string ProfileLine(absl::string_view field, absl::string_view value);

// What a profile file persist writes begins with.
inline constexpr char kProfileHeading[] = "# persist profile (protobuf text format)\n";

// How many releases a deploy keeps (the profile's keep_releases, else 5).
int KeepReleases(const Profile& profile);

// How long a deploy hook may run (the profile's hook_timeout, else 300 s).
absl::Duration HookTimeout(const Profile& profile);

}  // namespace persist

#endif  // PERSIST_PLANNER_PROFILE_H_
