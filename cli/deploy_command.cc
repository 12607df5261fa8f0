// Copyright persist authors.
//
// persist deploy, capture, adopt and classify: parse, call the workflow,
// print.

#include <iostream>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/report.h"
#include "cli/terminal_reporter.h"
#include "workflows/adopt.h"
#include "workflows/deploy.h"
#include "workflows/inspect.h"

namespace persist {
namespace {

absl::StatusOr<DeployOptions> DeployOptionsOf(const Args& args) {
  DeployOptions options;
  options.site = SiteRequest{RootOf(args), "deploy", args.Has("allow-root")};
  absl::StatusOr<std::string> fleet_run = ParseFleetRun(args);
  if (!fleet_run.ok()) return fleet_run.status();
  options.site.fleet_run = *fleet_run;
  options.release.source = args.positional[0];
  absl::StatusOr<DeployRequest::Mode> mode = ParseDeployMode(args.Get("mode", "auto"));
  if (!mode.ok()) return mode.status();
  options.release.mode = *mode;
  options.release.merge_new = args.Has("merge-new");
  options.release.force = args.Has("force");
  options.release.switch_current = !args.Has("no-switch");
  absl::StatusOr<std::optional<int>> keep = ParseKeep(args);
  if (!keep.ok()) return keep.status();
  options.keep = *keep;
  options.release.release_id = args.Get("id", "");
  options.release_id_given = args.values.count("id") > 0;
  options.release.app_dir = args.Get("app-dir", "");
  absl::StatusOr<ArchiveLimits> limits = ParseArchiveLimits(args);
  if (!limits.ok()) return limits.status();
  options.release.limits = *limits;
  options.release.update = args.Has("update");
  absl::StatusOr<HealthOptions> health = ParseHealthOptions(args);
  if (!health.ok()) return health.status();
  options.health = *health;
  absl::StatusOr<std::optional<std::string>> expect_current = ParseExpectCurrent(args);
  if (!expect_current.ok()) return expect_current.status();
  options.expect_current = *expect_current;
  options.release.delete_list = args.Get("delete-list", "");
  options.release.expect_version = args.Get("expect-version", "");
  if (!options.release.update &&
      (args.values.count("delete-list") > 0 || args.values.count("expect-version") > 0)) {
    return UsageError("--delete-list and --expect-version go with --update PKG");
  }
  absl::StatusOr<DedupeMode> dedupe = ParseDedupe(args.Get("dedupe", "auto"));
  if (!dedupe.ok()) return dedupe.status();
  options.release.dedupe = *dedupe;
  absl::StatusOr<bool> manifest = ParseManifest(args.Get("manifest", "on"));
  if (!manifest.ok()) return manifest.status();
  options.record_manifest = *manifest;
  options.dry_run = args.Has("dry-run");
  return options;
}

void PrintDryRun(const Args& args, const std::string& source, const DeployPlan& planned) {
  if (args.Has("json")) {
    std::cout << DryRunJson(planned);
    return;
  }
  std::cout << "classification of " << source << ":\n"
            << ClassificationTable(planned.classification) << "\nplan ("
            << (planned.first ? "first" : "subsequent") << " deploy of release "
            << planned.release_id << "), nothing changed:\n";
  for (int i = 0; i < planned.plan.op_size(); ++i) {
    std::cout << "  " << i + 1 << ". " << DescribeOp(planned.plan.op(i)) << "\n";
  }
  for (const std::string& note : planned.notes) std::cout << "note: " << note << "\n";
}

void PrintDeployed(const Args& args, const DeployOptions& options,
                   const DeployResult& deployed) {
  const DeployPlan& planned = deployed.planned;
  if (args.Has("json")) {
    std::cout << RunsJson({*deployed.run}, planned.notes);
    return;
  }
  if (options.release.capture) {
    std::cout << "captured the live release as it is now as release " << planned.release_id;
  } else {
    std::cout << "deployed release " << planned.release_id << " ("
              << (planned.first ? "first" : "subsequent") << " deploy)";
  }
  std::cout << " as run " << deployed.run->id() << "; "
            << (options.release.switch_current
                    ? "current points at it"
                    : "not switched: persist switch " + planned.release_id)
            << "\n";
  const CopyStats& copied = deployed.copied;
  if (copied.linked + copied.cloned > 0) {
    std::cout << copied.linked + copied.cloned << " of " << copied.files
              << " files unchanged since the live release were "
              << (copied.linked > 0 ? "hard-linked" : "reflinked")
              << " to it instead of copied (--dedupe " << args.Get("dedupe", "auto") << ")\n";
  }
  for (const std::string& note : planned.notes) std::cout << "note: " << note << "\n";
  std::cout << "`persist undo` reverses this " << (options.release.capture ? "capture" : "deploy")
            << " exactly\n";
}

}  // namespace

absl::Status RunDeploy(const Args& args) {
  absl::Status status = ExpectPositionals("deploy", args, 1, 1);
  if (!status.ok()) return status;
  absl::StatusOr<DeployOptions> options = DeployOptionsOf(args);
  if (!options.ok()) return options.status();
  TerminalReporter reporter;
  absl::StatusOr<DeployResult> deployed = Deploy(*options, reporter);
  if (!deployed.ok()) return deployed.status();
  if (!deployed->run.has_value()) {
    PrintDryRun(args, deployed->planned.source, deployed->planned);
    return absl::OkStatus();
  }
  PrintDeployed(args, *options, *deployed);
  return deployed->after_switch;
}

absl::Status RunCapture(const Args& args) {
  absl::Status status = ExpectPositionals("capture", args, 0, 0);
  if (!status.ok()) return status;
  DeployOptions options;
  options.site = SiteRequest{RootOf(args), "capture", args.Has("allow-root")};
  options.release.capture = true;
  options.release.release_id = args.Get("id", "");
  options.release_id_given = args.values.count("id") > 0;
  absl::StatusOr<std::optional<int>> keep = ParseKeep(args);
  if (!keep.ok()) return keep.status();
  options.keep = *keep;
  absl::StatusOr<DedupeMode> dedupe = ParseDedupe(args.Get("dedupe", "auto"));
  if (!dedupe.ok()) return dedupe.status();
  options.release.dedupe = *dedupe;
  options.dry_run = args.Has("dry-run");
  absl::StatusOr<HealthOptions> health = ParseHealthOptions(args);
  if (!health.ok()) return health.status();
  options.health = *health;
  TerminalReporter reporter;
  absl::StatusOr<DeployResult> captured = Deploy(options, reporter);
  if (!captured.ok()) return captured.status();
  if (!captured->run.has_value()) {
    PrintDryRun(args, captured->planned.source, captured->planned);
    return absl::OkStatus();
  }
  PrintDeployed(args, options, *captured);
  return captured->after_switch;
}

absl::Status RunAdopt(const Args& args) {
  absl::Status status = ExpectPositionals("adopt", args, 1, 1);
  if (!status.ok()) return status;
  AdoptOptions options;
  // Without --root (and no site above), the workflow chooses from the app.
  options.site = SiteRequest{args.Get("root", ""), "adopt", args.Has("allow-root")};
  options.app_dir = args.positional[0];
  options.web_root = args.Get("web-root", "");
  options.release_id = args.Get("id", "");
  options.force = args.Has("force");
  options.dry_run = args.Has("dry-run");
  options.vendor = args.Get("vendor", "");
  const std::string unknown = args.Get("adopt-unknown", "");
  if (!unknown.empty() && unknown != "release" && unknown != "shared") {
    return UsageError(absl::StrCat(
        "--adopt-unknown takes release or shared, not '", unknown,
        "': files the vendor never shipped stay in the release as code, or move into shared/ "
        "as the site's data"));
  }
  if (!unknown.empty() && options.vendor.empty()) {
    return UsageError(
        "--adopt-unknown goes with --vendor PKG, which tells what the vendor shipped");
  }
  if (!unknown.empty()) {
    options.unknown = unknown == "shared" ? AdoptRequest::kShared : AdoptRequest::kRelease;
  }
  absl::StatusOr<DeployResult> adopted = Adopt(options);
  if (!adopted.ok()) return adopted.status();
  const DeployPlan& planned = adopted->planned;
  if (!adopted->run.has_value()) {
    PrintDryRun(args, planned.source, planned);
    return absl::OkStatus();
  }
  if (args.Has("json")) {
    std::cout << RunsJson({*adopted->run}, planned.notes);
    return absl::OkStatus();
  }
  std::cout << "adopted " << planned.source << " as release " << planned.release_id << " (run "
            << adopted->run->id() << "); current points at it\n";
  for (const std::string& note : planned.notes) std::cout << "note: " << note << "\n";
  std::cout << "`persist undo` puts the app back as it was installed, exactly\n";
  return absl::OkStatus();
}

absl::Status RunClassify(const Args& args) {
  absl::Status status = ExpectPositionals("classify", args, 0, 1);
  if (!status.ok()) return status;
  const std::string app_dir = args.positional.empty() ? "." : args.positional[0];
  const std::string root_dir = args.values.count("root") > 0 ? RootOf(args) : "";
  if (args.Has("volumes")) {
    if (args.Has("json")) {
      return UsageError(
          "--volumes prints YAML for docker compose, --json the classification: "
          "give one of them");
    }
    const std::string container_dir = args.Get("container-dir", "/var/www/html");
    if (container_dir.empty() || container_dir[0] != '/' ||
        container_dir.find_first_of("\n\r") != std::string::npos) {
      return UsageError(absl::StrCat("--container-dir \"", container_dir,
                                     "\" is not an absolute path in the container; give the "
                                     "directory the app is in there, e.g. /var/www/html"));
    }
    absl::StatusOr<std::vector<Classification>> roots = PersistentPathsOf(app_dir, root_dir);
    if (!roots.ok()) return roots.status();
    std::cout << ComposeVolumes(*roots, container_dir);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Classification>> rows = ClassifyApp(app_dir, root_dir);
  if (!rows.ok()) return rows.status();
  std::cout << (args.Has("json") ? ClassificationJson(*rows) : ClassificationTable(*rows));
  return absl::OkStatus();
}

}  // namespace persist
