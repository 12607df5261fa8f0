// Copyright persist authors.

#include "workflows/link.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/real_path.h"
#include "fsops/root.h"
#include "planner/classifier.h"
#include "planner/deploy_planner.h"
#include "workflows/site_session.h"

namespace persist {
namespace {

// The path of `path` below `root`, both absolute.
std::string Below(const std::string& root, const std::string& path) {
  return root == "/" ? path.substr(1) : path.substr(std::min(path.size(), root.size() + 1));
}

// The directories of the request, absolute, and the site holding both: the
// deepest directory above both.
absl::StatusOr<LinkResult> Locate(const LinkOptions& options) {
  LinkResult where;
  absl::StatusOr<std::string> app = AbsoluteExisting(options.app_dir, "the app directory",
                                                     "give the directory of the app");
  if (!app.ok()) return app.status();
  absl::StatusOr<std::string> shared = RealPathMaybeMissing(options.shared_dir);
  if (!shared.ok()) {
    return WithErrorKind(Annotate(shared.status(), absl::StrCat("cannot link to ", options.shared_dir,
                                                                " (give a directory that exists, or "
                                                                "one whose parent does)")),
                         ErrorKind::kUsage);
  }
  std::string root = *app;
  while (!IsWithin(*shared, root)) root = SplitParent(root).first.empty() ? "/" : SplitParent(root).first;
  if (root == "/" || root == *app || root == *shared) {
    return UsageError(absl::StrCat(
        "cannot link ", *app, " to ", *shared,
        ": they must be two separate directories under one site directory (such as "
        "/home/user/site/app and /home/user/site/shared), which holds persist's journal"));
  }
  where.app = *app;
  where.shared = *shared;
  where.site_dir = root;
  return where;
}

absl::StatusOr<LinkPlan> PlanOn(const Root& tree, const LinkRequest& request) {
  absl::StatusOr<Classifier> classifier =
      SiteClassifier(tree, JoinPath(request.shared_dir, ".persistence-config"));
  if (!classifier.ok()) return WithErrorKind(classifier.status(), ErrorKind::kUsage);
  absl::StatusOr<LinkPlan> planned = PlanLink(tree, *classifier, request);
  if (!planned.ok()) return WithErrorKind(planned.status(), ErrorKind::kUsage);
  return planned;
}

absl::StatusOr<LinkResult> Verify(LinkResult result, const LinkRequest& request) {
  absl::StatusOr<std::unique_ptr<Root>> tree = Root::Open(Env::Default(), result.site_dir);
  if (!tree.ok()) return tree.status();
  absl::StatusOr<LinkPlan> planned = PlanOn(**tree, request);
  if (!planned.ok()) return planned.status();
  result.problems = planned->problems;
  return result;
}

}  // namespace

absl::StatusOr<LinkResult> Link(const LinkOptions& options) {
  absl::StatusOr<LinkResult> result = Locate(options);
  if (!result.ok()) return result.status();
  LinkRequest request;
  request.app_dir = Below(result->site_dir, result->app);
  request.shared_dir = Below(result->site_dir, result->shared);
  request.app_source = result->app;
  request.mode = options.mode;
  request.local = options.local;
  if (request.mode == LinkRequest::kVerify) return Verify(*std::move(result), request);

  const SiteRequest site{result->site_dir, "link", options.allow_root};
  // A directory holding both with no .persist/ yet: the link is planned on
  // its tree, read only, before .persist/ is created, so that a refused link
  // leaves nothing behind. The plan is made again under the lock.
  absl::StatusOr<std::unique_ptr<Root>> new_site = SiteSession::TreeOfNewSite(site);
  if (!new_site.ok()) return new_site.status();
  if (*new_site != nullptr) {
    absl::StatusOr<LinkPlan> trial = PlanOn(**new_site, request);
    if (!trial.ok()) return trial.status();
  }
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(site);
  if (!session.ok()) return session.status();
  absl::StatusOr<LinkPlan> planned = PlanOn((*session)->root(), request);
  if (!planned.ok()) return planned.status();
  result->notes = planned->notes;
  if (planned->plan.op_size() == 0) return result;
  RunOptions run_options;
  run_options.kind = "link";
  // The history goes into the link's shared directory; a local link (a
  // developer's machine) keeps none.
  const std::string what =
      request.local ? "" : absl::StrCat("link ", request.app_dir, " (", planned->first ? "first" : "subsequent", ")");
  absl::StatusOr<Run> run = (*session)->Execute(planned->plan, run_options, what, request.shared_dir);
  if (!run.ok()) return run.status();
  result->run = *std::move(run);
  return result;
}

}  // namespace persist
