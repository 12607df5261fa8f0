// Copyright persist authors.

#include "workflows/custom.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/error_kind.h"
#include "fsops/env.h"
#include "fsops/path.h"
#include "fsops/source_tree.h"
#include "planner/classifier.h"
#include "planner/deploy_planner.h"
#include "planner/shared_links.h"
#include "workflows/site_session.h"

namespace persist {
namespace {

// The ops that append `pattern` to the profile, so that the operator's
// comments and layout stay.
absl::Status PlanProfileEntry(const Root& root, const std::string& pattern, Plan* plan) {
  absl::StatusOr<std::string> text = root.ReadFile(kProfilePath, 1 << 20);
  if (!text.ok() && !absl::IsNotFound(text.status())) return text.status();
  std::string content = text.ok() ? *text : kProfileHeading;
  if (!content.empty() && content.back() != '\n') content += "\n";
  absl::StrAppend(&content, ProfileLine("custom", pattern));
  PlanBuilder builder(root);
  absl::Status status = builder.EnsureDir("shared");
  if (!status.ok()) return WithErrorKind(status, ErrorKind::kUsage);
  *plan = builder.plan();
  Op* write = plan->add_op();
  write->mutable_write()->set_path(kProfilePath);
  write->mutable_write()->set_content(content);
  return absl::OkStatus();
}

// The ops that move the live release's custom paths into shared/ and link them.
absl::Status PlanLiveRelease(SiteSession& session, const std::string& live,
                             const Classifier& classifier, Plan* plan,
                             std::vector<std::string>* notes) {
  const std::string release = JoinPath("releases", live);
  const std::string source = absl::StrCat(session.dir(), "/", release);
  absl::StatusOr<std::unique_ptr<Root>> release_root = Root::Open(Env::Default(), source);
  if (!release_root.ok()) return release_root.status();
  absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(**release_root, "");
  if (!rows.ok()) return rows.status();
  PlanBuilder builder(session.root());
  SharedLinkOptions options;
  const DirectoryTree release_tree(Env::Default(), source);
  options.source = &release_tree;
  options.app_dir = release;
  options.shared_dir = "shared";
  options.in_place = true;
  options.app_holds_live_data = true;
  options.only = PathClass::kCustom;
  absl::Status status = PlanSharedLinks(builder, classifier, *rows, options);
  if (!status.ok()) return WithErrorKind(status, ErrorKind::kUsage);
  for (const Op& op : builder.plan().op()) *plan->add_op() = op;
  notes->insert(notes->end(), builder.notes().begin(), builder.notes().end());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CustomResult> AddCustom(const CustomOptions& options) {
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  Root& root = (*session)->root();
  absl::StatusOr<Profile> profile = LoadSiteProfile(root);
  if (!profile.ok()) return WithErrorKind(profile.status(), ErrorKind::kUsage);
  const bool known = std::find(profile->custom().begin(), profile->custom().end(), options.pattern) !=
                     profile->custom().end();
  Profile updated = *profile;
  if (!known) updated.add_custom(options.pattern);
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(updated);
  if (!rules.ok()) return WithErrorKind(rules.status(), ErrorKind::kUsage);

  CustomResult result;
  Plan plan;
  absl::Status status = absl::OkStatus();
  if (known) {
    result.notes.push_back(absl::StrCat(options.pattern, " is in the profile already"));
  } else {
    status = PlanProfileEntry(root, options.pattern, &plan);
  }
  absl::StatusOr<std::string> live = CurrentRelease(root);
  if (!live.ok()) return live.status();
  result.live_release = *live;
  if (status.ok() && !live->empty()) {
    status = PlanLiveRelease(**session, *live, Classifier(*rules), &plan, &result.notes);
  }
  if (!status.ok()) return status;
  if (plan.op_size() == 0) return result;
  RunOptions run_options;
  run_options.kind = "custom";
  run_options.release = *live;
  absl::StatusOr<Run> run =
      (*session)->Execute(plan, run_options, absl::StrCat("custom add ", options.pattern));
  if (!run.ok()) return run.status();
  result.run = *std::move(run);
  return result;
}

}  // namespace persist
