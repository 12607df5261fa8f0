// Copyright persist authors.

#include "planner/adopt_planner.h"

#include <string.h>

#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "base/error_path.h"
#include "fsops/path.h"
#include "fsops/source_tree.h"
#include "planner/plan_access.h"
#include "planner/profile.h"
#include "planner/shared_links.h"
#include "planner/vendor_compare.h"

namespace persist {
namespace {

// The names an adoption gives the site; the site must not hold them yet.
constexpr const char* kSiteNames[] = {"releases", "shared", "current"};

absl::Status CheckNotASiteYet(const Root& site) {
  for (const char* name : kSiteNames) {
    absl::StatusOr<PathState> state = site.Observe(name, false);
    if (!state.ok()) return state.status();
    if (state->type() == ABSENT) continue;
    const std::string path = JoinPath(site.dir(), name);
    return WithPath(
        Refuse(absl::StrCat(path, " exists: ", site.dir(),
                            " is a persist site already, or holds a name an adoption would take "
                            "(releases/, shared/, current); give --root a directory that holds "
                            "none of them")),
        path);
  }
  return absl::OkStatus();
}

absl::Status CheckApp(const Root& site, const SourceTree& app, const AdoptRequest& request) {
  if (!request.app_dir.empty()) {
    for (const char* name : kSiteNames) {
      if (IsWithin(request.app_dir, name)) {
        return WithPath(Refuse(absl::StrCat(request.app_source, " lies in the site's ", name,
                                            "/; give the directory of the app installed in place")),
                        request.app_source);
      }
    }
    absl::StatusOr<PathState> state = site.Observe(request.app_dir, false);
    if (!state.ok()) return state.status();
    if (state->type() != DIRECTORY) {
      return WithPath(
          Refuse(absl::StrCat(request.app_source, " is ",
                              state->type() == SYMLINK ? "a symlink" : "not a directory",
                              "; give the directory the app is installed in",
                              state->type() == SYMLINK ? " (where the link leads)" : "")),
          request.app_source);
    }
  }
  if (request.force) return absl::OkStatus();
  for (const char* marker : kAppMarkers) {
    absl::StatusOr<PathState> state = app.Observe(marker, false);
    if (!state.ok()) return state.status();
    if (state->type() != ABSENT) return absl::OkStatus();
  }
  return WithPath(Refuse(absl::StrCat(request.app_source,
                                      " holds none of artisan, composer.json and public/index.php: "
                                      "it is no Laravel app; give the app's directory, or add "
                                      "--force to adopt it anyway")),
                  request.app_source);
}

// Where the app's own public/ goes when a web root of its own becomes the
// release's public/: kept in the release, beside it.
constexpr char kAppPublicKept[] = "public.before-adopt";

// A web root of its own, as the adoption lays it into the release.
struct SeparateWebRoot {
  bool app_has_public = false;  // the app's own public/, kept as kAppPublicKept
  std::string index;            // index.php, rewritten
  uint32_t index_mode = 0;
};

absl::Status RefuseWebRoot(const AdoptRequest& request, absl::string_view why) {
  return WithPath(Refuse(absl::StrCat("the web root ", request.web_root_source, " ", why)),
                  request.web_root_source);
}

// Checks a web root of its own and rewrites its index.php: the paths that
// lead from it to the app ("/../example.com/") lead from public/ to the
// release's top ("/../") once it is the release's public/.
absl::StatusOr<SeparateWebRoot> CheckSeparateWebRoot(const Root& site, const SourceTree& whole,
                                                     const Classifier& classifier,
                                                     const AdoptRequest& request,
                                                     DeployPlan* result) {
  const std::string& web = request.web_root_dir;
  if (IsWithin(web, request.app_dir) || IsWithin(request.app_dir, web)) {
    return RefuseWebRoot(request, absl::StrCat("lies in the app's directory ", request.app_source,
                                               " or holds it; give the directory the web server "
                                               "serves, beside the app"));
  }
  for (const char* name : kSiteNames) {
    if (IsWithin(web, name)) {
      return RefuseWebRoot(request, absl::StrCat("lies in the site's ", name,
                                                 "/; give the directory the web server serves"));
    }
  }
  absl::StatusOr<PathState> state = site.Observe(web, false);
  if (!state.ok()) return state.status();
  if (state->type() != DIRECTORY) {
    return RefuseWebRoot(request, "is no directory; give the directory the web server serves");
  }
  SeparateWebRoot laid;
  const std::string index_path = JoinPath(web, "index.php");
  absl::StatusOr<PathState> index_state = site.Observe(index_path, false);
  if (!index_state.ok()) return index_state.status();
  absl::StatusOr<std::string> index = index_state->type() == REGULAR
                                          ? site.ReadFile(index_path, 1 << 20)
                                          : absl::NotFoundError("no index.php");
  // The path from the web root to the app, as index.php spells it.
  const std::string to_app = absl::StrCat("/", RelativeTarget(index_path, request.app_dir), "/");
  const int uses = index.ok() ? absl::StrReplaceAll({{to_app, "/../"}}, &*index) : 0;
  if (uses == 0) {
    return RefuseWebRoot(request,
                         absl::StrCat("has no index.php that requires the app through \"", to_app,
                                      "\" (as __DIR__.'", to_app,
                                      "vendor/autoload.php'): persist "
                                      "cannot tell it serves ",
                                      request.app_source,
                                      "; serve the app from its public/ and adopt that, or give "
                                      "--web-root the directory that serves it"));
  }
  laid.index = *std::move(index);
  laid.index_mode = index_state->mode();
  result->notes.push_back(absl::StrCat(
      PrintablePath(index_path), ": ", uses, " path(s) through \"", to_app, "\" now \"/../\", ",
      "as the release lays the app out (its other bytes as they were)"));

  // The app's own public/, which nobody served: kept in the release, unless
  // the app wrote the site's data there.
  absl::StatusOr<PathState> own = whole.Observe("public", false);
  if (!own.ok()) return own.status();
  laid.app_has_public = own->type() != ABSENT;
  absl::StatusOr<PathState> taken = whole.Observe(kAppPublicKept, false);
  if (!taken.ok()) return taken.status();
  if (laid.app_has_public && taken->type() != ABSENT) {
    return WithPath(Refuse(absl::StrCat(PrintablePath(JoinPath(request.app_source, kAppPublicKept)),
                                        " exists: the adoption keeps the app's own public/ under "
                                        "that name; rename it first")),
                    JoinPath(request.app_source, kAppPublicKept));
  }
  if (!laid.app_has_public) return laid;
  absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(whole);
  if (!rows.ok()) return rows.status();
  for (const Classification& row : PersistentRoots(*rows, classifier)) {
    if (!IsWithin(row.path, "public")) continue;
    absl::StatusOr<SourceTree::Size> size = whole.Measure(row.path);
    if (!size.ok()) return size.status();
    if (size->files == 0) continue;
    const std::string shown = PrintablePath(JoinPath(request.app_source, row.path));
    return WithPath(
        Refuse(absl::StrCat(
            shown, " holds ", size->files, " file(s) of the site's data (", PathClassName(row.cls),
            "), in the app's own public/, which the web "
            "server does not serve: move them where the app keeps that data (",
            PrintablePath(JoinPath(request.web_root_source, row.path.substr(strlen("public/")))),
            ") or out of the app, then adopt")),
        shown);
  }
  result->notes.push_back(absl::StrCat(
      "the app's own public/, which the web server did not serve, is kept in the release as ",
      kAppPublicKept, "/"));
  return laid;
}

// Renames the app into `release` and leads the web server's path to it.
absl::Status PlanRenames(PlanBuilder& builder, const SourceTree& app, const AdoptRequest& request,
                         const std::string& release, const SeparateWebRoot* web,
                         DeployPlan* result) {
  Plan& plan = builder.plan();
  // current first, while it still leads nowhere: the app is then out of
  // the web server's reach for the fewest ops.
  result->switch_index = plan.op_size();
  *plan.add_op() = SymlinkOf(release, "current");
  builder.outcomes().Expect("current", SYMLINK, release);
  builder.outcomes().Expect(release, DIRECTORY);
  if (web != nullptr) {
    const std::string& root = request.web_root_dir;
    const std::string pub = JoinPath(release, "public");
    *plan.add_op() = MoveOf(request.app_dir, release);
    if (web->app_has_public) *plan.add_op() = MoveOf(pub, JoinPath(release, kAppPublicKept));
    *plan.add_op() = MoveOf(root, pub);
    const std::string served = RelativeTarget(root, "current/public");
    *plan.add_op() = SymlinkOf(served, root);
    builder.outcomes().Expect(root, SYMLINK, served);
    Op* index = plan.add_op();
    index->mutable_write()->set_path(JoinPath(pub, "index.php"));
    index->mutable_write()->set_content(web->index);
    index->mutable_write()->set_mode(web->index_mode);
    const std::string live = RelativeTarget(request.app_dir, "current");
    *plan.add_op() = SymlinkOf(live, request.app_dir);
    builder.outcomes().Expect(request.app_dir, SYMLINK, live);
    result->notes.push_back(absl::StrCat(root, " becomes the release's public/ and a link to ",
                                         served, ": the web server serves the live release; ",
                                         request.app_dir, " becomes a link to ", live,
                                         ", so a cron job naming its artisan keeps working"));
    return absl::OkStatus();
  }
  if (!request.app_dir.empty()) {
    *plan.add_op() = MoveOf(request.app_dir, release);
    const std::string target =
        RelativeTarget(request.app_dir, request.app_is_web_root ? "current/public" : "current");
    *plan.add_op() = SymlinkOf(target, request.app_dir);
    builder.outcomes().Expect(request.app_dir, SYMLINK, target);
    result->notes.push_back(
        absl::StrCat(request.app_dir, " becomes a link to ", target,
                     request.app_is_web_root
                         ? ": the web server now serves the live release's public/ (the app's own "
                           "forwarding to public/ is no longer needed)"
                         : ": its public/ and artisan are the live release's"));
    return absl::OkStatus();
  }
  *plan.add_op() = MkdirOf(release);
  builder.AssumeDir(release);
  absl::StatusOr<std::vector<std::string>> names = app.List("");
  if (!names.ok()) return names.status();
  bool has_public = false;
  for (const std::string& name : *names) {
    if (name == "public") {
      has_public = true;
      continue;
    }
    *plan.add_op() = MoveOf(name, JoinPath(release, name));
  }
  if (!has_public) {
    result->notes.push_back("the app has no public/: no link leads the web server to the release");
    return absl::OkStatus();
  }
  *plan.add_op() = MoveOf("public", JoinPath(release, "public"));
  *plan.add_op() = SymlinkOf("current/public", "public");
  builder.outcomes().Expect("public", SYMLINK, "current/public");
  result->notes.push_back(
      "public becomes a link to current/public: a web server serving it serves the live release; "
      "a cron job naming artisan here must name current/artisan now");
  return absl::OkStatus();
}

// Where the app's path `rel` is now, relative to the site: its public/ is
// a web root of its own's, where there is one.
std::string LivePath(const AdoptRequest& request, const std::string& rel) {
  if (!request.web_root_dir.empty() && IsWithin(rel, "public")) {
    return JoinPath(request.web_root_dir, absl::StripPrefix(absl::StripPrefix(rel, "public"), "/"));
  }
  return JoinPath(request.app_dir, rel);
}

// Every move of an adoption is a rename on the site's filesystem: no disk
// space is needed. What lies on another filesystem beneath the site is a
// mount point (the app's directory, one of its entries, a persistent path
// such as storage/ on a disk of its own), which no rename can move: refused.
absl::Status CheckOneFilesystem(const Root& site, const SourceTree& app,
                                const AdoptRequest& request,
                                const std::vector<Classification>& persistent, DeployPlan* result) {
  absl::StatusOr<PathState> top = site.Observe("", false);
  if (!top.ok()) return top.status();
  std::vector<std::string> moved = {request.app_dir};
  if (!request.web_root_dir.empty()) {
    moved.push_back(request.web_root_dir);
    moved.push_back(JoinPath(request.app_dir, "public"));
  }
  if (request.app_dir.empty()) {
    absl::StatusOr<std::vector<std::string>> names = app.List("");
    if (!names.ok()) return names.status();
    moved = *names;
  }
  for (const Classification& row : persistent) moved.push_back(LivePath(request, row.path));
  for (const std::string& path : moved) {
    absl::StatusOr<PathState> state = site.Observe(path, false);
    if (!state.ok()) return state.status();
    if (state->type() == ABSENT || state->dev() == top->dev()) continue;
    const std::string shown = JoinPath(site.dir(), path);
    return WithPath(
        Refuse(absl::StrCat(PrintablePath(shown),
                            " is a mount point, another filesystem than the "
                            "site ",
                            site.dir(),
                            ": an adoption moves by renames, and no rename "
                            "moves a mount point; copy its content onto the site's filesystem "
                            "first (and mount the disk again where the adopted site needs it)")),
        shown);
  }
  result->notes.push_back("every move is a rename on one filesystem: no disk space is needed");
  return absl::OkStatus();
}

// Notes what the install holds against what the vendor shipped, and
// returns the paths the vendor never shipped in the app's code; refused
// when there are any and the request does not say where they go.
absl::StatusOr<std::vector<std::string>> CompareInstall(
    const SourceTree& app, const AdoptRequest& request,
    const std::vector<Classification>& persistent, DeployPlan* result) {
  absl::StatusOr<VendorComparison> compared = CompareWithVendor(app, *request.vendor, persistent);
  if (!compared.ok()) return compared.status();
  result->vendor = *compared;
  std::vector<std::string>& notes = result->notes;
  notes.push_back(absl::StrCat("against ", request.vendor->Name(""), ": ", compared->unchanged,
                               " of the vendor's files as shipped, ", compared->modified.size(),
                               " modified in place, ", compared->unknown.size(), " never shipped, ",
                               compared->missing.size(), " missing"));
  for (const std::string& path : compared->modified) {
    notes.push_back(absl::StrCat("modified in place (kept in the release): ", PrintablePath(path)));
  }
  for (const std::string& path : compared->missing) {
    notes.push_back(
        absl::StrCat("the vendor ships it, the install lacks it: ", PrintablePath(path)));
  }
  if (compared->unknown.empty()) return compared->unknown;
  std::string listed;
  for (const std::string& path : compared->unknown) {
    const std::string shown = PrintablePath(absl::StripSuffix(path, "/"));
    notes.push_back(request.unknown == AdoptRequest::kShared
                        ? absl::StrCat("never shipped by the vendor: ", PrintablePath(path),
                                       " (kept as data: moved into shared/, custom in the profile)")
                        : absl::StrCat("never shipped by the vendor: ", PrintablePath(path),
                                       " (if it is data: persist custom add ", shown, ")"));
    absl::StrAppend(&listed, listed.empty() ? "" : ", ", PrintablePath(path));
  }
  if (request.unknown != AdoptRequest::kAsk) return compared->unknown;
  return WithPath(Refuse(absl::StrCat(
                      request.app_source, " holds ", compared->unknown.size(),
                      " path(s) its vendor never shipped, in the app's code: ", listed,
                      ". Say where they go: --adopt-unknown release keeps them in the "
                      "release as code (then persist custom add PATH moves what is data "
                      "into shared/), --adopt-unknown shared keeps them all as data in shared/; "
                      "with either, --dry-run shows the whole report and plan")),
                  request.app_source);
}

// The classifier that keeps `unknown` (paths the vendor never shipped) as
// custom paths, and the profile text that says so for every later deploy.
absl::StatusOr<Classifier> KeepingUnknown(const std::vector<std::string>& unknown,
                                          const AdoptRequest& request, std::string* profile) {
  Profile kept;
  *profile = absl::StrCat(kProfileHeading,
                          "# Kept as data by persist adopt --adopt-unknown shared: the vendor of ",
                          PrintablePath(request.app_source), " never shipped them.\n");
  for (const std::string& path : unknown) {
    Rule rule{std::string(absl::StripSuffix(path, "/")), PathClass::kCustom, false, true};
    if (rule.is_glob()) {
      return WithPath(
          Refuse(absl::StrCat(PrintablePath(JoinPath(request.app_source, path)),
                              " has a glob's characters (*?[) in its name, which a profile reads "
                              "as a pattern: adopt with --adopt-unknown release, then persist "
                              "custom add a pattern that matches it")),
          JoinPath(request.app_source, path));
    }
    // As the vendor compare found it: a directory's trailing '/' matches
    // directories only.
    kept.add_custom(path);
    absl::StrAppend(profile, ProfileLine("custom", path));
  }
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(kept);
  if (!rules.ok()) return rules.status();
  return Classifier(*std::move(rules));
}

}  // namespace

bool LooksLikeWebRoot(const std::string& app_source) {
  const std::string name = absl::AsciiStrToLower(SplitParent(app_source).second);
  return name == "public_html" || name == "www" || name == "htdocs" || name == "httpdocs";
}

absl::StatusOr<DeployPlan> PlanAdopt(const Root& site, const Classifier& classifier,
                                     const AdoptRequest& request) {
  const DirectoryTree whole(site.env(), request.app_source);
  // The app that is the site holds the site's journal by now: not the app's.
  const TreeWithout without_journal(whole, ".persist");
  // The app served from a web root of its own is that web root's files as
  // its public/.
  const bool separate = !request.web_root_dir.empty();
  const DirectoryTree web_root(site.env(), separate ? request.web_root_source : "");
  const GraftedTree served(whole, "public", web_root);
  const SourceTree& app = separate ? static_cast<const SourceTree&>(served)
                          : request.app_dir.empty()
                              ? static_cast<const SourceTree&>(without_journal)
                              : whole;
  absl::Status status = CheckApp(site, app, request);
  if (!status.ok()) return status;
  status = CheckNotASiteYet(site);
  if (!status.ok()) return status;

  DeployPlan result;
  result.source = request.app_source;
  result.first = true;
  std::optional<SeparateWebRoot> laid;
  if (separate) {
    absl::StatusOr<SeparateWebRoot> checked =
        CheckSeparateWebRoot(site, whole, classifier, request, &result);
    if (!checked.ok()) return checked.status();
    laid = *std::move(checked);
  }

  absl::StatusOr<std::string> id = ChooseReleaseId(site, request.release_id);
  if (!id.ok()) return id.status();
  result.release_id = *id;
  const std::string release = JoinPath("releases", result.release_id);
  absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(app);
  if (!rows.ok()) return rows.status();
  std::vector<Classification> persistent = PersistentRoots(*rows, classifier);
  // Files the vendor never shipped, kept as data: classified again with
  // them as custom paths, and the profile written to say so.
  std::optional<Classifier> keeping;
  std::string profile;
  if (request.vendor != nullptr) {
    absl::StatusOr<std::vector<std::string>> unknown =
        CompareInstall(app, request, persistent, &result);
    if (!unknown.ok()) return unknown.status();
    if (request.unknown == AdoptRequest::kShared && !unknown->empty()) {
      absl::StatusOr<Classifier> kept = KeepingUnknown(*unknown, request, &profile);
      if (!kept.ok()) return kept.status();
      keeping = *std::move(kept);
      rows = keeping->ClassifyTree(app);
      if (!rows.ok()) return rows.status();
      persistent = PersistentRoots(*rows, *keeping);
    }
  }
  const Classifier& used = keeping.has_value() ? *keeping : classifier;
  result.classification = *rows;
  status = CheckOneFilesystem(site, app, request, persistent, &result);
  if (!status.ok()) return status;

  PlanBuilder builder(site);
  for (const char* dir : {"releases", "shared"}) {
    status = builder.EnsureDir(dir);
    if (!status.ok()) return status;
  }
  status =
      PlanRenames(builder, app, request, release, laid.has_value() ? &*laid : nullptr, &result);
  if (!status.ok()) return status;
  // What the app holds in its persistent paths is the site's data: all of
  // it moves into shared/, as a first deploy keeps a release's demo content.
  SharedLinkOptions links;
  links.source = &app;
  links.app_dir = release;
  links.shared_dir = "shared";
  links.first = true;
  status = PlanSharedLinks(builder, used, *rows, links);
  if (!status.ok()) return status;
  if (!profile.empty()) {
    Op* write = builder.plan().add_op();
    write->mutable_write()->set_path(kProfilePath);
    write->mutable_write()->set_content(profile);
    result.notes.push_back(absl::StrCat(kProfilePath,
                                        " is written: it names the paths kept as data, for "
                                        "every later deploy"));
  }
  // No copy hashed the release on its way in: its manifest is read from it
  // as it stands, its persistent paths links by now (the site's data is
  // not hashed), for verify, diff and the next deploy's dedupe.
  Op record;
  record.mutable_record()->set_release(release);
  *builder.plan().add_op() = record;
  status = AddHelperScripts(builder);
  if (!status.ok()) return status;
  absl::StatusOr<std::vector<AccessProblem>> problems = FindAccessProblems(site, builder.plan());
  if (!problems.ok()) return problems.status();
  if (!problems->empty()) {
    return AccessRefusal(site, *problems, absl::StrCat("persist adopt ", request.app_source));
  }

  result.plan = builder.plan();
  result.outcomes = builder.outcomes();
  result.notes.insert(result.notes.begin(),
                      absl::StrCat("adopting ", request.app_source, " as release ",
                                   result.release_id, ": renamed into place, nothing copied"));
  result.notes.insert(result.notes.end(), builder.notes().begin(), builder.notes().end());
  return result;
}

}  // namespace persist
