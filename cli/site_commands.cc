// Copyright persist authors.
//
// The commands that plan changes to a site from the blueprint: deploy,
// switch, rollback, and classify (which only reads).

#include <stdlib.h>

#include <algorithm>
#include <functional>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/binary_record.h"
#include "cli/commands.h"
#include "cli/deploy_flow.h"
#include "cli/purge_guard.h"
#include "cli/history.h"
#include "cli/hooks.h"
#include "cli/report.h"
#include "cli/root_guard.h"
#include "cli/trash_emptier.h"
#include "cli/web_user.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "base/error_kind.h"
#include "journal/run_info.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "planner/audit.h"
#include "planner/classifier.h"
#include "planner/deploy_planner.h"
#include "planner/health.h"
#include "planner/link_planner.h"
#include "planner/shared_links.h"
#include "planner/profile.h"

namespace persist {
namespace {

// The site opened for a change, refusing while a run is interrupted: a plan
// made from a half-done tree would be wrong.
absl::StatusOr<std::unique_ptr<Site>> OpenForChange(const Args& args, const std::string& command) {
  absl::Status allowed = CheckSiteForChange(RootOf(args), command, args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Site>> site =
      Site::OpenForWriting(Env::Default(), RootOf(args), command);
  if (!site.ok()) return site.status();
  NoteSiteLocked(RootOf(args));
  RecordPersistBinary(**site);
  (*site)->set_purge_guard(RescueBeforePurge);
  absl::StatusOr<std::optional<Run>> interrupted = (*site)->FindInterrupted();
  if (!interrupted.ok()) return interrupted.status();
  if (interrupted->has_value()) return (*site)->NeedsRecovery(**interrupted);
  return site;
}

// The site's tree opened only to read, for a command to plan on before it
// creates anything: the same refusal as Site::OpenForWriting's when it is
// not there.
absl::StatusOr<std::unique_ptr<Root>> OpenTreeToRead(const std::string& root_dir) {
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), root_dir);
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot open the site (give an existing directory "
                                                "with --root)"),
                        ErrorKind::kUsage);
  }
  return root;
}

std::string ClassificationJson(const std::vector<Classification>& rows) {
  std::vector<std::string> items;
  for (const Classification& row : rows) {
    items.push_back(absl::StrCat("{\"path\": ", JsonString(row.path), ", \"class\": \"",
                                 PathClassName(row.cls), "\", \"rule\": ", JsonString(row.rule),
                                 row.conflict.empty() ? "" : ", \"conflict\": " + JsonString(row.conflict),
                                 "}"));
  }
  return absl::StrCat("{\"paths\": [", absl::StrJoin(items, ", "), "]}\n");
}

std::string ClassificationTable(const std::vector<Classification>& rows) {
  std::string out;
  for (const Classification& row : rows) {
    absl::StrAppend(&out, absl::StrFormat("%-8s %-32s %s", PathClassName(row.cls),
                                          PrintablePath(row.path) + (row.is_dir ? "/" : ""), row.rule));
    if (!row.conflict.empty()) absl::StrAppend(&out, "  [overrules ", row.conflict, "]");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

absl::StatusOr<std::string> AbsolutePath(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    return WithErrorKind(WithPath(absl::InvalidArgumentError(absl::StrCat(
                                     "the release to deploy, ", path,
                                     ", cannot be found; give the directory holding the new "
                                     "release")),
                                 path),
                        ErrorKind::kUsage);
  }
  std::string out = resolved;
  free(resolved);
  return out;
}

void ReportHook(const HookOutcome& outcome) {
  const HookResult& hook = outcome.result;
  std::cerr << "persist: hook (" << hook.phase() << ") `" << hook.command() << "` "
            << (outcome.timed_out ? "timed out" : absl::StrCat("exited ", hook.exit_code())) << "\n";
  if (!hook.output().empty()) std::cerr << hook.output() << (hook.output().back() == '\n' ? "" : "\n");
  if (outcome.left_running) {
    std::cerr << "persist: note: hook `" << hook.command()
              << "` left a process running in the background that still holds its output: it "
                 "gets EPIPE or SIGPIPE if it writes there; send its output elsewhere (e.g. "
                 "`command >/dev/null 2>&1 &`)\n";
  }
}

// After the switch the release is live: a failing hook is reported, and the
// deploy stays (persist undo reverses it). Hook output joins the run's record.
absl::Status RunAfterSwitchHooks(Site& site, const DeployPlan& planned, const std::string& release_dir,
                                 const std::string& root_dir, Run* run) {
  if (planned.switch_index < 0 || planned.after_switch.empty()) return absl::OkStatus();
  absl::Status failed;
  for (const std::string& command : planned.after_switch) {
    absl::StatusOr<HookOutcome> hook = RunHook("after_switch", command, release_dir, root_dir,
                                               planned.release_id, planned.hook_timeout);
    if (!hook.ok()) {
      failed = hook.status();
      break;
    }
    *run->add_hooks() = hook->result;
    ReportHook(*hook);
    failed = HookFailure(*hook, planned.hook_timeout,
                         absl::StrCat("; release ", planned.release_id,
                                      " is live: fix the cause, or run persist undo to go back"));
    if (!failed.ok()) break;
  }
  absl::Status recorded = site.store().PutRun(*run);
  if (!failed.ok()) return failed;
  return recorded;
}

}  // namespace

absl::Status RunDeploy(const Args& args) {
  absl::Status status = ExpectPositionals("deploy", args, 1, 1);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> source = AbsolutePath(args.positional[0]);
  if (!source.ok()) return source.status();
  DeployRequest request;
  request.source = *source;
  absl::StatusOr<DeployRequest::Mode> mode = ParseDeployMode(args.Get("mode", "auto"));
  if (!mode.ok()) return mode.status();
  request.mode = *mode;
  request.merge_new = args.Has("merge-new");
  request.force = args.Has("force");
  request.switch_current = !args.Has("no-switch");

  std::optional<int> keep;
  if (args.values.count("keep")) {
    int value = atoi(args.Get("keep", "").c_str());
    if (value < 1) {
      return absl::InvalidArgumentError("--keep takes a whole number of releases, 1 or more");
    }
    keep = value;
  }
  request.release_id = args.Get("id", "");
  if (args.values.count("id") > 0) {
    absl::Status valid = ValidateId(request.release_id, "release id");
    if (!valid.ok()) {
      return WithErrorKind(absl::InvalidArgumentError(absl::StrCat(valid.message(), "; give another --id")),
                          ErrorKind::kUsage);
    }
  }
  absl::StatusOr<Dedupe> dedupe = ParseDedupe(args.Get("dedupe", "auto"));
  if (!dedupe.ok()) return WithErrorKind(dedupe.status(), ErrorKind::kUsage);
  request.dedupe = ModeOfDedupe(*dedupe);
  const std::string manifest = args.Get("manifest", "on");
  if (manifest != "on" && manifest != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("--manifest takes on or off, not \"", manifest, "\""));
  }

  auto print_dry_run = [&](const DeployPlan& planned) {
    if (args.Has("json")) {
      std::cout << ClassificationJson(planned.classification);
      return;
    }
    std::cout << "classification of " << request.source << ":\n"
              << ClassificationTable(planned.classification) << "\nplan ("
              << (planned.first ? "first" : "subsequent") << " deploy of release "
              << planned.release_id << "), nothing changed:\n";
    for (int i = 0; i < planned.plan.op_size(); ++i) {
      std::cout << "  " << i + 1 << ". " << DescribeOp(planned.plan.op(i)) << "\n";
    }
    for (const std::string& note : planned.notes) std::cout << "note: " << note << "\n";
  };
  // A site persist has not opened yet: the deploy is planned on its tree,
  // read only, before .persist/ is created, so that a refused deploy (or a
  // dry run) leaves nothing behind. The plan is made again under the lock.
  if (!HasSiteState(RootOf(args))) {
    absl::Status allowed = CheckSiteForChange(RootOf(args), "deploy", args.Has("allow-root"));
    if (!allowed.ok()) return allowed;
    absl::StatusOr<std::unique_ptr<Root>> tree = OpenTreeToRead(RootOf(args));
    if (!tree.ok()) return tree.status();
    absl::StatusOr<DeployPlan> trial = PlanNewSiteDeploy(**tree, request, keep);
    if (!trial.ok()) return trial.status();
    if (args.Has("dry-run")) {
      print_dry_run(*trial);
      return absl::OkStatus();
    }
  }
  absl::StatusOr<std::unique_ptr<Site>> site = OpenForChange(args, "deploy");
  if (!site.ok()) return site.status();
  absl::StatusOr<DeployPlan> planned = PlanSiteDeploy(**site, request, keep);
  if (!planned.ok()) return planned.status();
  for (const Op& op : planned->plan.op()) {
    if (!op.has_remove() || SplitParent(op.remove().path()).first != "releases") continue;
    absl::StatusOr<std::vector<std::string>> drift = DriftOf(**site, op.remove().path());
    if (!drift.ok()) return drift.status();
    for (const std::string& path : *drift) {
      planned->notes.push_back(absl::StrCat(
          path, " was written into a release this deploy prunes; it waits in the stash and is moved "
                "to .persist/rescued/",
          SplitParent(op.remove().path()).second, "/ when this run leaves the undo window"));
    }
  }

  if (args.Has("dry-run")) {
    print_dry_run(*planned);
    return absl::OkStatus();
  }
  RunOptions options = DeployRunOptions(**site, *planned);
  options.record_manifests = manifest == "on";
  CopyStats copied;
  options.copy_stats = &copied;
  absl::StatusOr<std::string> root_dir = AbsolutePath(RootOf(args));
  if (!root_dir.ok()) return root_dir.status();
  const std::string release_dir = absl::StrCat(*root_dir, "/releases/", planned->release_id);
  // Before-switch hooks run in the new release just before current moves to
  // it (at the end when there is no switch); one that fails undoes the run.
  const int hook_point =
      planned->switch_index >= 0 ? planned->switch_index : planned->plan.op_size();
  auto run_before_switch_hooks = [&](Run* run) -> absl::Status {
    for (const std::string& command : planned->before_switch) {
      absl::StatusOr<HookOutcome> hook = RunHook("before_switch", command, release_dir, *root_dir,
                                                 planned->release_id, planned->hook_timeout);
      if (!hook.ok()) return hook.status();
      *run->add_hooks() = hook->result;
      ReportHook(*hook);
      absl::Status failed = HookFailure(
          *hook, planned->hook_timeout,
          absl::StrCat(" in ", release_dir, " (its output is above and in persist show)"));
      if (!failed.ok()) return failed;
    }
    return absl::OkStatus();
  };
  // Then, past the last op, the check that what the run placed is still in
  // place (DeployRunOptions).
  std::function<absl::Status(int, Run*)> check_outcome = options.before_op;
  options.before_op = [&](int index, Run* run) -> absl::Status {
    if (index == hook_point) {
      absl::Status hooks = run_before_switch_hooks(run);
      if (!hooks.ok()) return hooks;
    }
    return check_outcome(index, run);
  };
  absl::StatusOr<Run> run = ExecutePlan(**site, planned->plan, options);
  const std::string what = absl::StrCat("deploy ", planned->release_id, " (",
                                        planned->first ? "first" : "subsequent", ") from ",
                                        request.source);
  AppendHistory(**site, HistoryOutcome(what, run));
  if (!run.ok()) return run.status();
  absl::Status after = RunAfterSwitchHooks(**site, *planned, release_dir, *root_dir, &*run);
  if (args.Has("json")) {
    std::cout << RunsJson({*run}, planned->notes);
    return after;
  }
  std::cout << "deployed release " << planned->release_id << " ("
            << (planned->first ? "first" : "subsequent") << " deploy) as run " << run->id() << "; "
            << (request.switch_current ? "current points at it"
                                       : "not switched: persist switch " + planned->release_id)
            << "\n";
  if (copied.linked + copied.cloned > 0) {
    std::cout << copied.linked + copied.cloned << " of " << copied.files
              << " files unchanged since the live release were "
              << (copied.linked > 0 ? "hard-linked" : "reflinked")
              << " to it instead of copied (--dedupe " << args.Get("dedupe", "auto") << ")\n";
  }
  for (const std::string& note : planned->notes) std::cout << "note: " << note << "\n";
  std::cout << "`persist undo` reverses this deploy exactly\n";
  return after;
}

namespace {

constexpr char kShowReleases[] = "persist log and ls releases/ show the releases";

// OK when `release` is a release id and releases/`release` a directory.
absl::Status ExpectRelease(const Root& root, const std::string& release) {
  absl::Status valid = ExpectId(release, "release", kShowReleases);
  if (!valid.ok()) return valid;
  absl::StatusOr<PathState> target = root.Observe(JoinPath("releases", release), false);
  if (!target.ok()) return target.status();
  if (target->type() != DIRECTORY) {
    return WithErrorKind(WithPath(absl::InvalidArgumentError(absl::StrCat(
                                     "there is no release ", PrintablePath(release), " under ",
                                     PrintablePath(root.dir()), "/releases/; ", kShowReleases)),
                                 JoinPath("releases", release)),
                        ErrorKind::kUsage);
  }
  return absl::OkStatus();
}

// On a site persist has not opened yet, ExpectRelease before anything is
// created: a switch to a release that is not there leaves no .persist/.
absl::Status ExpectReleaseOnNewSite(const Args& args, const std::string& release,
                                    const std::string& command) {
  if (HasSiteState(RootOf(args))) return absl::OkStatus();
  absl::Status allowed = CheckSiteForChange(RootOf(args), command, args.Has("allow-root"));
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::unique_ptr<Root>> tree = OpenTreeToRead(RootOf(args));
  if (!tree.ok()) return tree.status();
  return ExpectRelease(**tree, release);
}

// Points current at `release` as one run of `kind`.
absl::Status PointCurrentAt(Site& site, const std::string& release, const std::string& kind) {
  Root& root = site.root();
  absl::Status exists = ExpectRelease(root, release);
  if (!exists.ok()) return exists;
  absl::StatusOr<std::string> live = CurrentRelease(root);
  if (!live.ok()) return live.status();
  if (*live == release) {
    std::cout << "current already points at release " << release << "; nothing to do\n";
    return absl::OkStatus();
  }
  Plan plan;
  Op link;
  link.mutable_symlink()->set_target(JoinPath("releases", release));
  link.mutable_symlink()->set_path("current");
  *plan.add_op() = link;
  RunOptions options;
  options.kind = kind;
  options.release = release;
  absl::StatusOr<Run> run = ExecutePlan(site, plan, options);
  AppendHistory(site, HistoryOutcome(absl::StrCat(kind, " to ", release, " from ",
                                                  live->empty() ? "nothing" : *live),
                                     run));
  if (!run.ok()) return run.status();
  std::cout << "current -> releases/" << release << " (run " << run->id()
            << "; `persist undo` reverses it)\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status RunSwitch(const Args& args) {
  absl::Status status = ExpectPositionals("switch", args, 1, 1);
  if (status.ok()) status = ExpectId(args.positional[0], "release", kShowReleases);
  if (status.ok()) status = ExpectReleaseOnNewSite(args, args.positional[0], "switch");
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Site>> site = OpenForChange(args, "switch");
  if (!site.ok()) return site.status();
  return PointCurrentAt(**site, args.positional[0], "switch");
}

absl::Status RunRollback(const Args& args) {
  absl::Status status = ExpectPositionals("rollback", args, 0, 0);
  if (status.ok() && args.values.count("to") > 0) {
    status = ExpectId(args.Get("to", ""), "release", kShowReleases);
    if (status.ok()) status = ExpectReleaseOnNewSite(args, args.Get("to", ""), "rollback");
  }
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Site>> site = OpenForChange(args, "rollback");
  if (!site.ok()) return site.status();
  std::string target = args.Get("to", "");
  if (target.empty()) {
    // The release deployed before the live one, by the journal's records.
    absl::StatusOr<DeployTimes> deployed_at = ReleaseDeployTimes(**site);
    if (!deployed_at.ok()) return deployed_at.status();
    absl::StatusOr<std::vector<std::string>> releases = ListReleases((*site)->root(), *deployed_at);
    if (!releases.ok()) return releases.status();
    absl::StatusOr<std::string> live = CurrentRelease((*site)->root());
    if (!live.ok()) return live.status();
    auto at = std::find(releases->begin(), releases->end(), *live);
    if (at != releases->end() && at != releases->begin()) target = *(at - 1);
    if (target.empty()) {
      return WithErrorKind(absl::FailedPreconditionError(absl::StrCat(
                              "there is no release older than the live one (",
                              live->empty() ? "none" : *live,
                              ") to roll back to; name one with --to")),
                          ErrorKind::kUsage);
    }
  }
  return PointCurrentAt(**site, target, "rollback");
}

absl::Status RunVerify(const Args& args) {
  absl::Status status = ExpectPositionals("verify", args, 0, 0);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Root>> root = Root::Open(Env::Default(), RootOf(args));
  if (!root.ok()) {
    return WithErrorKind(Annotate(root.status(), "cannot verify (give the site with --root)"), ErrorKind::kUsage);
  }
  Health health;
  // The journal: readable, and no run left half done.
  absl::StatusOr<PathState> journal = (*root)->Observe(".persist/journal/data.mdb", false);
  if (!journal.ok()) return journal.status();
  // A data.mdb that is gone where the site shows there was one is reported
  // as a problem like any other damage.
  absl::StatusOr<bool> has_journal = Site::HasJournal(**root);
  if (!has_journal.ok()) return has_journal.status();
  if (*has_journal) {
    absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), RootOf(args));
    absl::StatusOr<std::optional<Run>> interrupted =
        site.ok() ? (*site)->FindInterrupted() : absl::StatusOr<std::optional<Run>>(site.status());
    if (!interrupted.ok()) {
      health.problems.push_back(Problem{".persist/journal", std::string(interrupted.status().message()),
                                        "move the journal aside and inspect the site; runs in it "
                                        "can no longer be undone"});
    } else if (interrupted->has_value() && (*site)->LockIsHeld()) {
      health.problems.push_back(Problem{".persist/journal", absl::StrCat("run ", (*interrupted)->id(),
                                        " is under way right now"), "run persist verify when it ends"});
    } else if (interrupted->has_value()) {
      health.problems.push_back(Problem{".persist/journal",
                                        absl::StrCat("run ", (*interrupted)->id(), " (", (*interrupted)->kind(),
                                                     ") was interrupted and left the site half changed"),
                                        "persist recover --root " + RootOf(args)});
    } else {
      health.ok.push_back("journal readable, no interrupted run");
    }
  }
  absl::StatusOr<Profile> profile = LoadSiteProfile(**root);
  absl::StatusOr<std::vector<Rule>> rules =
      profile.ok() ? RulesOf(*profile) : absl::StatusOr<std::vector<Rule>>(profile.status());
  if (!rules.ok()) {
    health.problems.push_back(Problem{kProfilePath, std::string(rules.status().message()),
                                      "fix the profile; until then the blueprint's defaults apply"});
    rules = BlueprintRules();
  }
  absl::StatusOr<WebUser> web_user =
      ResolveWebUser(profile.ok() ? profile->web_user() : "", RootOf(args));
  if (!web_user.ok() && profile.ok() && !profile->web_user().empty()) {
    health.problems.push_back(Problem{kProfilePath, std::string(web_user.status().message()),
                                      "fix web_user; until then the site's owner is checked"});
    web_user = ResolveWebUser("", RootOf(args));
  }
  if (!web_user.ok()) return web_user.status();
  absl::StatusOr<Health> tree = CheckSiteHealth(**root, Classifier(*rules), *web_user);
  if (!tree.ok()) return tree.status();
  health.ok.insert(health.ok.end(), tree->ok.begin(), tree->ok.end());
  health.problems.insert(health.problems.end(), tree->problems.begin(), tree->problems.end());
  health.notes = tree->notes;

  // The live release against its manifest: tampering and drift.
  absl::StatusOr<std::string> live = CurrentRelease(**root);
  if (live.ok() && !live->empty() && journal->type() != ABSENT) {
    absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), RootOf(args));
    const std::string release = JoinPath("releases", *live);
    absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest =
        site.ok() ? (*site)->store().ReadManifest(release)
                  : absl::StatusOr<std::unique_ptr<Store::ManifestView>>(site.status());
    absl::StatusOr<ReleaseCheck> check =
        manifest.ok() ? CheckRelease(**root, release, (*manifest)->reader(), args.Has("quick"))
                      : absl::StatusOr<ReleaseCheck>(manifest.status());
    // Damage found in the record, when opening it or entry by entry.
    const absl::Status damage = !manifest.ok() ? manifest.status() : (*manifest)->reader().status();
    if (check.ok()) {
      health.ok.push_back(absl::StrCat(check->checked, " paths of release ", *live,
                                       " checked against its manifest",
                                       args.Has("quick") ? " (size and mtime)" : " (SHA-256)"));
      health.problems.insert(health.problems.end(), check->tampered.begin(), check->tampered.end());
      health.problems.insert(health.problems.end(), check->drifted.begin(), check->drifted.end());
    } else if (absl::IsNotFound(damage)) {
      health.ok.push_back(absl::StrCat("release ", *live, " has no manifest to check against (",
                                       damage.message(), ")"));
    } else if (site.ok() && !damage.ok()) {
      // A journal that opens but whose manifest does not read: the release
      // cannot be checked, which must not pass for a clean check.
      health.problems.push_back(Problem{
          ".persist/journal", std::string(damage.message()),
          absl::StrCat("release ", *live, " cannot be checked against its manifest; move the "
                       "journal aside and compare the release with its upload by hand")});
    } else if (site.ok()) {
      return check.status();  // the walk of the release failed
    }
  }

  if (args.Has("json")) {
    std::vector<std::string> problems, oks;
    for (const Problem& p : health.problems) {
      problems.push_back(absl::StrCat("{\"path\": ", JsonString(p.path), ", \"problem\": ",
                                      JsonString(p.what), ", \"fix\": ", JsonString(p.fix), "}"));
    }
    for (const std::string& ok : health.ok) oks.push_back(JsonString(ok));
    std::vector<std::string> notes;
    for (const std::string& note : health.notes) notes.push_back(JsonString(note));
    std::cout << "{\"healthy\": " << (health.problems.empty() ? "true" : "false")
              << ", \"problems\": [" << absl::StrJoin(problems, ", ") << "], \"ok\": ["
              << absl::StrJoin(oks, ", ") << "], \"notes\": [" << absl::StrJoin(notes, ", ")
              << "]}\n";
  } else {
    for (const std::string& ok : health.ok) std::cout << "ok: " << ok << "\n";
    for (const std::string& note : health.notes) std::cout << "note: " << note << "\n";
    for (const Problem& p : health.problems) {
      std::cout << "problem: " << PrintablePath(p.path) << ": " << p.what << "\n  fix: " << p.fix << "\n";
    }
    std::cout << (health.problems.empty()
                      ? std::string("the site is healthy\n")
                      : absl::StrCat(health.problems.size(), " problem",
                                     health.problems.size() == 1 ? "" : "s", " found\n"));
  }
  if (health.problems.empty()) return absl::OkStatus();
  // Reported above: exit 1 with nothing more to say.
  return WithErrorKind(absl::FailedPreconditionError(""), ErrorKind::kFailed);
}

namespace {

// The absolute form of a directory that may not exist yet (its parent must).
absl::StatusOr<std::string> AbsoluteMaybeMissing(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved != nullptr) {
    std::string out = resolved;
    free(resolved);
    return out;
  }
  auto [parent, name] = SplitParent(path);
  char* parent_resolved = realpath(parent.empty() ? "." : parent.c_str(), nullptr);
  if (parent_resolved == nullptr || name.empty() || name == "." || name == "..") {
    free(parent_resolved);
    return WithErrorKind(absl::InvalidArgumentError(absl::StrCat(
                            path, " cannot be found, nor the directory it would go in; create it")),
                        ErrorKind::kUsage);
  }
  std::string out = JoinPath(parent_resolved, name);
  free(parent_resolved);
  return out;
}

// The path of `path` below `root`, both absolute.
std::string Below(const std::string& root, const std::string& path) {
  return root == "/" ? path.substr(1) : path.substr(std::min(path.size(), root.size() + 1));
}

}  // namespace

absl::Status RunLink(const Args& args) {
  absl::Status status = ExpectPositionals("link", args, 2, 4);
  if (!status.ok()) return status;
  absl::StatusOr<LinkRequest::Mode> mode =
      ParseLinkMode(args.positional.size() > 2 ? args.positional[2] : "auto");
  if (!mode.ok()) return mode.status();
  absl::StatusOr<bool> local =
      ParseLinkEnvIsLocal(args.positional.size() > 3 ? args.positional[3] : "server");
  if (!local.ok()) return local.status();
  absl::StatusOr<std::string> app = AbsolutePath(args.positional[0]);
  if (!app.ok()) {
    return WithErrorKind(absl::InvalidArgumentError(absl::StrCat(
                            "the app directory ", args.positional[0],
                            " cannot be found; give the directory of the app")),
                        ErrorKind::kUsage);
  }
  absl::StatusOr<std::string> shared = AbsoluteMaybeMissing(args.positional[1]);
  if (!shared.ok()) return shared.status();
  // The site is the deepest directory holding both: its .persist/ keeps the
  // journal of these changes.
  std::string root = *app;
  while (!IsWithin(*shared, root)) root = SplitParent(root).first.empty() ? "/" : SplitParent(root).first;
  if (root == "/" || root == *app || root == *shared) {
    return WithErrorKind(
        absl::InvalidArgumentError(absl::StrCat(
            "cannot link ", *app, " to ", *shared,
            ": they must be two separate directories under one site directory (such as "
            "/home/user/site/app and /home/user/site/shared), which holds persist's journal")),
        ErrorKind::kUsage);
  }
  LinkRequest request;
  request.app_dir = Below(root, *app);
  request.shared_dir = Below(root, *shared);
  request.app_source = *app;
  request.mode = *mode;
  request.local = *local;

  auto plan_on = [&](const Root& tree) -> absl::StatusOr<LinkPlan> {
    absl::StatusOr<Profile> profile =
        LoadSiteProfile(tree, JoinPath(request.shared_dir, ".persistence-config"));
    if (!profile.ok()) return WithErrorKind(profile.status(), ErrorKind::kUsage);
    absl::StatusOr<std::vector<Rule>> rules = RulesOf(*profile);
    if (!rules.ok()) return WithErrorKind(rules.status(), ErrorKind::kUsage);
    absl::StatusOr<LinkPlan> planned = PlanLink(tree, Classifier(*rules), request);
    if (!planned.ok()) return WithErrorKind(planned.status(), ErrorKind::kUsage);
    return planned;
  };
  // The directory holding both has no .persist/ yet: the link is planned on
  // its tree, read only, before .persist/ is created, so that a refused link
  // leaves nothing behind. The plan is made again under the lock.
  if (request.mode != LinkRequest::kVerify && !HasSiteState(root)) {
    absl::Status allowed = CheckSiteForChange(root, "link", args.Has("allow-root"));
    if (!allowed.ok()) return allowed;
    absl::StatusOr<std::unique_ptr<Root>> opened = OpenTreeToRead(root);
    if (!opened.ok()) return opened.status();
    absl::StatusOr<LinkPlan> trial = plan_on(**opened);
    if (!trial.ok()) return trial.status();
  }

  std::unique_ptr<Site> site;
  std::unique_ptr<Root> read_only;
  const Root* tree = nullptr;
  if (request.mode == LinkRequest::kVerify) {
    absl::StatusOr<std::unique_ptr<Root>> opened = Root::Open(Env::Default(), root);
    if (!opened.ok()) return opened.status();
    read_only = std::move(*opened);
    tree = read_only.get();
  } else {
    Args with_root = args;
    with_root.values["root"] = root;
    absl::StatusOr<std::unique_ptr<Site>> opened = OpenForChange(with_root, "link");
    if (!opened.ok()) return opened.status();
    site = std::move(*opened);
    tree = &site->root();
  }
  absl::StatusOr<LinkPlan> planned = plan_on(*tree);
  if (!planned.ok()) return planned.status();

  if (request.mode == LinkRequest::kVerify) {
    for (const Problem& p : planned->problems) {
      std::cout << "problem: " << PrintablePath(p.path) << ": " << p.what << "\n  fix: " << p.fix << "\n";
    }
    if (planned->problems.empty()) {
      std::cout << "every persistent path of " << *app << " is in place\n";
      return absl::OkStatus();
    }
    return WithErrorKind(absl::FailedPreconditionError(absl::StrCat(
                            planned->problems.size(), " persistent path(s) not in place; see above")),
                        ErrorKind::kFailed);
  }
  for (const std::string& note : planned->notes) std::cout << "note: " << note << "\n";
  if (planned->plan.op_size() == 0) {
    std::cout << "nothing to change: every persistent path of " << *app << " is in place\n";
    return absl::OkStatus();
  }
  RunOptions options;
  options.kind = "link";
  absl::StatusOr<Run> run = ExecutePlan(*site, planned->plan, options);
  if (!request.local) {
    AppendHistory(*site,
                  HistoryOutcome(absl::StrCat("link ", request.app_dir, " (",
                                              planned->first ? "first" : "subsequent", ")"),
                                 run),
                  request.shared_dir);
  }
  if (!run.ok()) return run.status();
  std::cout << (request.local ? "persistent directories of " : "persistent paths of ") << *app
            << (request.local ? " are in place" : " are linked into ") << (request.local ? "" : *shared)
            << " (run " << run->id() << " in " << root << "/.persist; `persist undo --root " << root
            << "` reverses it)\n";
  return absl::OkStatus();
}

absl::Status RunCustom(const Args& args) {
  absl::Status status = ExpectPositionals("custom", args, 2, 2);
  if (!status.ok()) return status;
  if (args.positional[0] != "add") {
    return absl::InvalidArgumentError(absl::StrCat("persist custom knows only `add`, not \"",
                                                   args.positional[0], "\"; see persist custom --help"));
  }
  const std::string pattern = args.positional[1];
  absl::StatusOr<std::unique_ptr<Site>> site = OpenForChange(args, "custom");
  if (!site.ok()) return site.status();
  Root& root = (*site)->root();
  absl::StatusOr<Profile> profile = LoadSiteProfile(root);
  if (!profile.ok()) return WithErrorKind(profile.status(), ErrorKind::kUsage);
  const bool known = std::find(profile->custom().begin(), profile->custom().end(), pattern) !=
                     profile->custom().end();
  Profile updated = *profile;
  if (!known) updated.add_custom(pattern);
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(updated);
  if (!rules.ok()) return WithErrorKind(rules.status(), ErrorKind::kUsage);
  Classifier classifier(*rules);

  Plan plan;
  std::vector<std::string> notes;
  if (!known) {
    // Appended, so that the operator's comments and layout stay.
    absl::StatusOr<std::string> text = root.ReadFile(kProfilePath, 1 << 20);
    if (!text.ok() && !absl::IsNotFound(text.status())) return text.status();
    std::string content = text.ok() ? *text : "# persist profile (protobuf text format)\n";
    if (!content.empty() && content.back() != '\n') content += "\n";
    absl::StrAppend(&content, "custom: ", JsonString(pattern), "\n");
    PlanBuilder builder(root);
    status = builder.EnsureDir("shared");
    if (!status.ok()) return WithErrorKind(status, ErrorKind::kUsage);
    plan = builder.plan();
    Op write;
    write.mutable_write()->set_path(kProfilePath);
    write.mutable_write()->set_content(content);
    *plan.add_op() = write;
  } else {
    notes.push_back(absl::StrCat(pattern, " is in the profile already"));
  }
  // The live release, if there is one, gets it now.
  absl::StatusOr<std::string> live = CurrentRelease(root);
  if (!live.ok()) return live.status();
  if (!live->empty()) {
    absl::StatusOr<std::string> root_dir = AbsolutePath(RootOf(args));
    if (!root_dir.ok()) return root_dir.status();
    const std::string release = JoinPath("releases", *live);
    const std::string source = absl::StrCat(*root_dir, "/", release);
    absl::StatusOr<std::unique_ptr<Root>> release_root = Root::Open(Env::Default(), source);
    if (!release_root.ok()) return release_root.status();
    absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(**release_root, "");
    if (!rows.ok()) return rows.status();
    PlanBuilder builder(root);
    SharedLinkOptions options;
    options.source = source;
    options.app_dir = release;
    options.shared_dir = "shared";
    options.in_place = true;
    options.app_holds_live_data = true;
    options.only = PathClass::kCustom;
    status = PlanSharedLinks(builder, classifier, *rows, options);
    if (!status.ok()) return WithErrorKind(status, ErrorKind::kUsage);
    for (const Op& op : builder.plan().op()) *plan.add_op() = op;
    notes.insert(notes.end(), builder.notes().begin(), builder.notes().end());
  }
  for (const std::string& note : notes) std::cout << "note: " << note << "\n";
  if (plan.op_size() == 0) {
    std::cout << "nothing to change: " << pattern << " is persistent already\n";
    return absl::OkStatus();
  }
  RunOptions options;
  options.kind = "custom";
  options.release = *live;
  absl::StatusOr<Run> run = ExecutePlan(**site, plan, options);
  AppendHistory(**site, HistoryOutcome(absl::StrCat("custom add ", pattern), run));
  if (!run.ok()) return run.status();
  std::cout << pattern << " is persistent: in " << kProfilePath << " for every deploy"
            << (live->empty() ? "" : ", and linked into shared/ in the live release") << " (run "
            << run->id() << "; `persist undo` reverses it)\n";
  return absl::OkStatus();
}

absl::Status RunDiff(const Args& args) {
  absl::Status status = ExpectPositionals("diff", args, 2, 2);
  for (size_t i = 0; status.ok() && i < 2; ++i) {
    status = ExpectId(args.positional[i], "release", "persist log lists the releases deployed");
  }
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Site>> site = Site::OpenForReading(Env::Default(), RootOf(args));
  if (!site.ok()) return site.status();
  std::unique_ptr<Store::ManifestView> manifests[2];
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest =
        (*site)->store().ReadManifest(JoinPath("releases", args.positional[i]));
    if (!manifest.ok()) return WithErrorKind(manifest.status(), ErrorKind::kUsage);
    manifests[i] = *std::move(manifest);
  }
  absl::StatusOr<std::vector<Change>> changes =
      DiffManifests(manifests[0]->reader(), manifests[1]->reader());
  if (!changes.ok()) return changes.status();
  if (args.Has("json")) {
    std::vector<std::string> items;
    for (const Change& change : *changes) {
      items.push_back(absl::StrCat("{\"path\": ", JsonString(change.path), ", \"change\": \"",
                                   ChangeName(change.kind), "\"}"));
    }
    std::cout << "{\"changes\": [" << absl::StrJoin(items, ", ") << "]}\n";
    return absl::OkStatus();
  }
  for (const Change& change : *changes) {
    std::cout << absl::StrFormat("%-9s %s\n", ChangeName(change.kind), PrintablePath(change.path));
  }
  std::cout << changes->size() << " change" << (changes->size() == 1 ? "" : "s") << " from "
            << args.positional[0] << " to " << args.positional[1] << "\n";
  return absl::OkStatus();
}

absl::Status RunClassify(const Args& args) {
  absl::Status status = ExpectPositionals("classify", args, 0, 1);
  if (!status.ok()) return status;
  const std::string dir = args.positional.empty() ? "." : args.positional[0];
  absl::StatusOr<std::unique_ptr<Root>> tree = Root::Open(Env::Default(), dir);
  if (!tree.ok()) {
    return WithErrorKind(Annotate(tree.status(), "cannot classify (give an app directory)"), ErrorKind::kUsage);
  }
  Profile profile;
  if (args.values.count("root")) {
    absl::StatusOr<std::unique_ptr<Root>> site = Root::Open(Env::Default(), RootOf(args));
    if (!site.ok()) return WithErrorKind(site.status(), ErrorKind::kUsage);
    absl::StatusOr<Profile> loaded = LoadSiteProfile(**site);
    if (!loaded.ok()) return WithErrorKind(loaded.status(), ErrorKind::kUsage);
    profile = *loaded;
  }
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(profile);
  if (!rules.ok()) return WithErrorKind(rules.status(), ErrorKind::kUsage);
  absl::StatusOr<std::vector<Classification>> rows = Classifier(*rules).ClassifyTree(**tree, "");
  if (!rows.ok()) return rows.status();
  std::cout << (args.Has("json") ? ClassificationJson(*rows) : ClassificationTable(*rows));
  return absl::OkStatus();
}

}  // namespace persist
