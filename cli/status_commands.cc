// Copyright persist authors.
//
// status and releases: a site at a glance. Parse, call the workflow
// (workflows/status.h), print. Both only read the site.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/report.h"
#include "workflows/status.h"

namespace persist {
namespace {

std::string JsonOrNull(const std::string& text) { return text.empty() ? "null" : JsonString(text); }

std::string ReleaseJson(const ReleaseInfo& release) {
  return absl::StrCat("{\"id\": ", JsonString(release.id),
                      ", \"live\": ", release.live ? "true" : "false",
                      ", \"deployed_ns\": ", release.deployed_ns, ", \"deployed_at\": ",
                      release.deployed_ns == 0 ? "null" : JsonString(FormatNs(release.deployed_ns)),
                      ", \"run\": ", JsonOrNull(release.deployed_by),
                      ", \"bytes\": ", release.bytes, ", \"files\": ", release.files, "}");
}

// "releases": [...], "current": ..., "skipped": [...]: what both commands share.
std::string ReleaseFieldsJson(const ReleaseList& list) {
  std::vector<std::string> items;
  for (const ReleaseInfo& release : list.releases) items.push_back(ReleaseJson(release));
  return absl::StrCat("\"current\": ", JsonOrNull(list.current), ", \"releases\": [",
                      absl::StrJoin(items, ", "), "], \"skipped\": ", JsonStrings(list.skipped));
}

// One line per release, oldest first, the live one marked.
std::string ReleaseTable(const ReleaseList& list) {
  if (list.releases.empty()) return "no releases yet\n";
  std::string out = absl::StrFormat("  %-24s %-4s %10s %8s  %-23s %s\n", "RELEASE", "LIVE", "SIZE",
                                    "FILES", "DEPLOYED", "RUN");
  for (const ReleaseInfo& release : list.releases) {
    absl::StrAppendFormat(&out, "  %-24s %-4s %10s %8u  %-23s %s\n", release.id,
                          release.live ? "*" : "", FormatBytes(release.bytes), release.files,
                          release.deployed_ns == 0 ? "not recorded" : FormatNs(release.deployed_ns),
                          release.deployed_by.empty() ? "-" : release.deployed_by);
  }
  for (const std::string& name : list.skipped) {
    absl::StrAppend(&out, "  (releases/", name, " left out: not a valid release id)\n");
  }
  return out;
}

std::string HealthJson(const Run& run) {
  std::vector<std::string> items;
  for (const HealthCheck& check : run.health()) {
    items.push_back(absl::StrCat(
        "{\"url\": ", JsonString(check.url()), ", \"passed\": ", check.passed() ? "true" : "false",
        ", \"status\": ", check.status(), ", \"failure\": ", JsonString(check.failure()),
        ", \"release\": ", JsonString(check.release()), "}"));
  }
  return absl::StrCat("{\"run\": ", JsonString(run.id()), ", \"checks\": [",
                      absl::StrJoin(items, ", "), "]}");
}

std::string StatusJson(const SiteStatus& status) {
  std::vector<std::string> undoable;
  for (const Run& run : status.undoable) undoable.push_back(run.id());
  return JsonDocument(absl::StrCat(
      "\"root\": ", JsonString(status.root), ", ", ReleaseFieldsJson(status.releases),
      ", \"shared\": ",
      status.has_shared ? absl::StrCat("{\"bytes\": ", status.shared_bytes,
                                       ", \"files\": ", status.shared_files, "}")
                        : "null",
      ", \"interrupted\": ", status.interrupted ? RunJson(*status.interrupted) : "null",
      ", \"lock\": {\"held\": ", status.lock_holder.empty() ? "false" : "true",
      ", \"holder\": ", JsonOrNull(status.lock_holder), "}",
      ", \"last_run\": ", status.last_run ? RunJson(*status.last_run) : "null",
      ", \"last_health_check\": ", status.last_checked ? HealthJson(*status.last_checked) : "null",
      ", \"undo_window\": {\"runs\": ", status.undo_window,
      ", \"undoable\": ", JsonStrings(undoable), "}"));
}

std::string HealthText(const Run& run) {
  std::string out = absl::StrCat("by run ", run.id(), " (", FormatNs(run.start_ns()), ")\n");
  for (const HealthCheck& check : run.health()) {
    absl::StrAppend(&out, "               ", check.url(), ": ",
                    check.passed() ? absl::StrCat("passed, status ", check.status())
                                   : absl::StrCat("failed: ", check.failure()),
                    "\n");
  }
  return out;
}

std::string StatusText(const SiteStatus& status) {
  std::string out = absl::StrCat("site:          ", status.root, "\n");
  absl::StrAppend(
      &out, "current:       ",
      status.releases.current.empty() ? "none (no release is live)" : status.releases.current,
      "\n");
  absl::StrAppend(&out, "releases:      ", status.releases.releases.size(), "\n",
                  ReleaseTable(status.releases));
  absl::StrAppend(&out, "shared:        ",
                  status.has_shared ? absl::StrCat(FormatBytes(status.shared_bytes), " in ",
                                                   status.shared_files, " files")
                                    : "none (shared/ does not exist)",
                  "\n");
  absl::StrAppend(&out, "interrupted:   ",
                  status.interrupted ? absl::StrCat("run ", status.interrupted->id(), " (",
                                                    status.interrupted->kind(), ", started ",
                                                    FormatNs(status.interrupted->start_ns()),
                                                    "): run persist recover")
                                     : "none",
                  "\n");
  absl::StrAppend(&out, "lock:          ",
                  status.lock_holder.empty() ? "free" : absl::StrCat("held: ", status.lock_holder),
                  "\n");
  absl::StrAppend(&out, "last run:      ",
                  status.last_run
                      ? absl::StrCat(status.last_run->id(), " ", status.last_run->kind(), ", ",
                                     RunStateText(*status.last_run))
                      : "none",
                  "\n");
  absl::StrAppend(&out, "health check:  ",
                  status.last_checked ? HealthText(*status.last_checked) : "none recorded\n");
  absl::StrAppend(&out,
                  "verify:        not recorded (persist verify only reads the site: run it to "
                  "check now)\n");
  absl::StrAppend(&out, "undo window:   the latest ", status.undo_window, " committed runs; ",
                  status.undoable.empty()
                      ? std::string("nothing can be undone")
                      : absl::StrCat(status.undoable.size(), " can be undone, persist undo takes ",
                                     DescribeRun(status.undoable.front())),
                  "\n");
  return out;
}

}  // namespace

absl::Status RunStatus(const Args& args) {
  absl::Status positionals = ExpectPositionals("status", args, 0, 0);
  if (!positionals.ok()) return positionals;
  absl::StatusOr<SiteStatus> status = SiteStatusOf(RootOf(args));
  if (!status.ok()) return status.status();
  std::cout << (args.Has("json") ? StatusJson(*status) : StatusText(*status));
  return absl::OkStatus();
}

absl::Status RunReleases(const Args& args) {
  absl::Status positionals = ExpectPositionals("releases", args, 0, 0);
  if (!positionals.ok()) return positionals;
  absl::StatusOr<ReleaseList> list = ListSiteReleases(RootOf(args));
  if (!list.ok()) return list.status();
  if (args.Has("json")) {
    std::cout << JsonDocument(ReleaseFieldsJson(*list));
  } else {
    std::cout << ReleaseTable(*list);
  }
  return absl::OkStatus();
}

}  // namespace persist
