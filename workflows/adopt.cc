// Copyright persist authors.

#include "workflows/adopt.h"

#include <fcntl.h>

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "planner/adopt_planner.h"
#include "planner/classifier.h"
#include "planner/delivery.h"
#include "workflows/deploy_flow.h"
#include "workflows/site_session.h"

namespace persist {
namespace {

// The app's directory, absolute. Given as a symlink, it is refused: the
// adoption would move what it leads to and leave the link dangling.
absl::StatusOr<std::string> AppDirectory(const std::string& given) {
  absl::StatusOr<PathState> state = ObservePath(Env::Default(), AT_FDCWD, given, given, false);
  if (state.ok() && state->type() == SYMLINK) {
    return UsageError(
        absl::StrCat("the app directory ", given, " is a symlink; give the directory it leads to"));
  }
  return AbsoluteExisting(given, "the app directory", "give the directory the app is installed in");
}

// What the web server serves of the app.
struct WebRoot {
  enum Kind {
    kAppItself,  // the app's directory (shared hosting's public_html)
    kAppPublic,  // its public/ (a VPS)
    kBeside,     // a directory of its own holding the app's public files
  } kind;
  std::string dir;  // kBeside: absolute
};

// From --web-root, or else the app directory's name.
absl::StatusOr<WebRoot> FindWebRoot(const std::string& app, const std::string& web_root) {
  if (web_root.empty()) {
    return WebRoot{LooksLikeWebRoot(app) ? WebRoot::kAppItself : WebRoot::kAppPublic, ""};
  }
  absl::StatusOr<std::string> served =
      AbsoluteExisting(web_root, "the web root", "give the directory the web server serves");
  if (!served.ok()) return served.status();
  if (*served == app) return WebRoot{WebRoot::kAppItself, ""};
  if (*served == JoinPath(app, "public")) return WebRoot{WebRoot::kAppPublic, ""};
  if (IsWithin(*served, app) || IsWithin(app, *served)) {
    return UsageError(absl::StrCat("the web root ", web_root, " lies in the app's directory ", app,
                                   " or holds it, and is neither the app's directory nor its "
                                   "public/; give the directory the web server serves"));
  }
  return WebRoot{WebRoot::kBeside, *served};
}

// The deepest directory that holds both `a` and `b` (absolute).
std::string CommonParent(const std::string& a, const std::string& b) {
  std::string dir = SplitParent(a).first;
  while (!IsWithin(b, dir)) dir = SplitParent(dir).first;
  return dir.empty() ? "/" : dir;
}

// `path` relative to `dir`, which holds it ("" for `dir` itself).
std::string Below(const std::string& path, const std::string& dir) {
  if (path == dir) return "";
  return path.substr(dir.size() + (dir == "/" ? 0 : 1));
}

absl::StatusOr<DeployPlan> PlanOn(const Root& root, AdoptRequest request,
                                  const std::string& vendor) {
  absl::StatusOr<Classifier> classifier = SiteClassifier(root);
  if (!classifier.ok()) return WithErrorKind(classifier.status(), ErrorKind::kUsage);
  // The vendor's release is found and read as a deploy would find it.
  std::optional<Delivery> shipped;
  if (!vendor.empty()) {
    DeployRequest opened;
    opened.source = vendor;
    absl::StatusOr<Delivery> delivery = OpenDelivery(root, opened);
    if (!delivery.ok()) {
      return WithErrorKind(
          Annotate(delivery.status(), absl::StrCat("the vendor's release ", vendor)),
          ErrorKind::kUsage);
    }
    shipped = *std::move(delivery);
    request.vendor = shipped->tree.get();
  }
  absl::StatusOr<DeployPlan> planned = PlanAdopt(root, *classifier, request);
  if (!planned.ok()) return WithErrorKind(planned.status(), ErrorKind::kUsage);
  return planned;
}

}  // namespace

absl::StatusOr<DeployResult> Adopt(const AdoptOptions& options) {
  absl::StatusOr<std::string> app = AppDirectory(options.app_dir);
  if (!app.ok()) return app.status();
  absl::StatusOr<WebRoot> web_root = FindWebRoot(*app, options.web_root);
  if (!web_root.ok()) return web_root.status();
  SiteRequest site = options.site;
  if (site.root_dir.empty()) {
    switch (web_root->kind) {
      case WebRoot::kAppItself:
        site.root_dir = SplitParent(*app).first;
        break;
      case WebRoot::kAppPublic:
        site.root_dir = *app;
        break;
      case WebRoot::kBeside:
        site.root_dir = CommonParent(*app, web_root->dir);
        break;
    }
  }
  absl::StatusOr<std::string> site_dir =
      AbsoluteExisting(site.root_dir, "the site", "give an existing directory with --root");
  if (!site_dir.ok()) return site_dir.status();
  if (!IsWithin(*app, *site_dir)) {
    return UsageError(absl::StrCat("the app directory ", *app, " is not inside the site ",
                                   *site_dir, "; give --root the app's directory or one above it"));
  }
  AdoptRequest request;
  if (web_root->kind == WebRoot::kBeside) {
    if (!IsWithin(web_root->dir, *site_dir) || *app == *site_dir) {
      return UsageError(absl::StrCat("the web root ", web_root->dir, " is not inside the site ",
                                     *site_dir, " beside the app ", *app,
                                     "; give --root a directory that holds both"));
    }
    request.web_root_dir = Below(web_root->dir, *site_dir);
    request.web_root_source = web_root->dir;
  }
  request.app_dir = Below(*app, *site_dir);
  request.app_source = *app;
  request.release_id = options.release_id;
  request.app_is_web_root = web_root->kind == WebRoot::kAppItself && !request.app_dir.empty();
  request.force = options.force;
  request.unknown = options.unknown;
  std::string vendor;
  if (!options.vendor.empty()) {
    absl::StatusOr<std::string> found =
        AbsoluteExisting(options.vendor, "the vendor's release",
                         "give the vendor's zip, tarball or directory of the installed version");
    if (!found.ok()) return found.status();
    vendor = *found;
  }

  DeployResult result;
  // Planned on the tree read only first, so that a refusal or a dry run
  // leaves no .persist/ behind; then again under the lock.
  absl::StatusOr<std::unique_ptr<Root>> new_site = SiteSession::TreeOfNewSite(site);
  if (!new_site.ok()) return new_site.status();
  if (*new_site != nullptr) {
    absl::StatusOr<DeployPlan> trial = PlanOn(**new_site, request, vendor);
    if (!trial.ok()) return trial.status();
    if (options.dry_run) {
      result.planned = *std::move(trial);
      return result;
    }
  }
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(site);
  if (!session.ok()) return session.status();
  absl::StatusOr<DeployPlan> planned = PlanOn((*session)->root(), request, vendor);
  if (!planned.ok()) return planned.status();
  result.planned = *std::move(planned);
  if (options.dry_run) return result;
  RunOptions run_options = DeployRunOptions((*session)->site(), result.planned);
  run_options.kind = "adopt";
  absl::StatusOr<Run> run =
      (*session)->Execute(result.planned.plan, run_options,
                          absl::StrCat("adopt ", *app, " as release ", result.planned.release_id));
  if (!run.ok()) return run.status();
  result.run = *std::move(run);
  return result;
}

}  // namespace persist
