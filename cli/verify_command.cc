// Copyright persist authors.
//
// persist verify: parse, call the workflow, print.

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/error_kind.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "fsops/path.h"
#include "workflows/verify.h"

namespace persist {
namespace {

std::string HealthJson(const Health& health) {
  std::vector<std::string> problems, oks, notes;
  for (const Problem& p : health.problems) {
    problems.push_back(absl::StrCat("{\"path\": ", JsonString(p.path), ", \"problem\": ",
                                    JsonString(p.what), ", \"fix\": ", JsonString(p.fix), "}"));
  }
  for (const std::string& ok : health.ok) oks.push_back(JsonString(ok));
  for (const std::string& note : health.notes) notes.push_back(JsonString(note));
  return absl::StrCat("{\"healthy\": ", health.problems.empty() ? "true" : "false",
                      ", \"problems\": [", absl::StrJoin(problems, ", "), "], \"ok\": [",
                      absl::StrJoin(oks, ", "), "], \"notes\": [", absl::StrJoin(notes, ", "), "]}\n");
}

std::string HealthText(const Health& health) {
  std::string out;
  for (const std::string& ok : health.ok) absl::StrAppend(&out, "ok: ", ok, "\n");
  for (const std::string& note : health.notes) absl::StrAppend(&out, "note: ", note, "\n");
  absl::StrAppend(&out, ProblemLines(health.problems));
  const size_t n = health.problems.size();
  absl::StrAppend(&out, n == 0 ? std::string("the site is healthy")
                               : absl::StrCat(n, " problem", n == 1 ? "" : "s", " found"),
                  "\n");
  return out;
}

}  // namespace

absl::Status RunVerify(const Args& args) {
  absl::Status status = ExpectPositionals("verify", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<Health> health = VerifySite(VerifyOptions{RootOf(args), args.Has("quick")});
  if (!health.ok()) return health.status();
  std::cout << (args.Has("json") ? HealthJson(*health) : HealthText(*health));
  if (health->problems.empty()) return absl::OkStatus();
  // Reported above: exit 1 with nothing more to say.
  return WithErrorKind(absl::FailedPreconditionError(""), ErrorKind::kFailed);
}

}  // namespace persist
