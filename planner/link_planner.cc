// Copyright persist authors.

#include "planner/link_planner.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "planner/shared_links.h"

namespace persist {

absl::StatusOr<LinkPlan> PlanLink(const Root& site, const Classifier& classifier,
                                  const LinkRequest& request) {
  Env* env = site.env();
  LinkPlan result;
  absl::StatusOr<PathState> app = site.Observe(request.app_dir, false);
  if (!app.ok()) return app.status();
  if (app->type() != DIRECTORY) {
    return Refuse(absl::StrCat("the app directory ", request.app_source,
                               " does not exist or is not a directory; give the app's directory"));
  }
  absl::StatusOr<std::unique_ptr<Root>> app_root = Root::Open(env, request.app_source);
  if (!app_root.ok()) return app_root.status();
  absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(**app_root, "");
  if (!rows.ok()) return rows.status();
  std::vector<Classification> roots = PersistentRoots(*rows, classifier);

  if (request.mode == LinkRequest::kVerify) {
    for (const Classification& row : roots) {
      const std::string in_app = JoinPath(request.app_dir, row.path);
      const std::string in_shared = JoinPath(request.shared_dir, row.path);
      absl::StatusOr<PathState> state = site.Observe(in_app, false);
      if (!state.ok()) return state.status();
      if (request.local) {
        if (state->type() == ABSENT && row.is_dir) {
          result.problems.push_back(Problem{in_app, "is missing",
                                            "persist link APP_DIR SHARED_DIR auto local"});
        }
      } else if (state->type() != SYMLINK ||
                 ResolveLexically(in_app, state->link_target()) != in_shared) {
        absl::StatusOr<PathState> kept = site.Observe(in_shared, false);
        if (!kept.ok()) return kept.status();
        if (state->type() == ABSENT && kept->type() == ABSENT) continue;  // in neither: nothing to keep
        result.problems.push_back(Problem{
            in_app, absl::StrCat("is not linked to ", in_shared),
            "persist link APP_DIR SHARED_DIR auto server"});
      }
    }
    return result;
  }

  PlanBuilder builder(site);
  if (request.local) {
    // A working copy: no links, just the directories the app expects.
    for (const Classification& row : roots) {
      if (!row.is_dir) continue;
      const std::string in_app = JoinPath(request.app_dir, row.path);
      absl::StatusOr<PathState> state = site.Observe(in_app, false);
      if (!state.ok()) return state.status();
      if (state->type() == ABSENT) {
        absl::Status made = builder.EnsureDir(in_app);
        if (!made.ok()) return made;
        result.notes.push_back(absl::StrCat("created ", row.path, "/ (", PathClassName(row.cls), ")"));
      } else {
        result.notes.push_back(absl::StrCat(row.path, "/ is there (", PathClassName(row.cls), ")"));
      }
    }
    result.plan = builder.plan();
    return result;
  }

  // An app linked into another shared directory already: say so, rather
  // than blame the first of its links for being a symlink.
  for (const Classification& row : roots) {
    if (request.mode == LinkRequest::kCustom && row.cls != PathClass::kCustom) continue;
    const std::string in_app = JoinPath(request.app_dir, row.path);
    absl::StatusOr<PathState> state = site.Observe(in_app, false);
    if (!state.ok()) return state.status();
    if (state->type() != SYMLINK) continue;
    const std::string leads_to = ResolveLexically(in_app, state->link_target());
    const std::string in_shared = JoinPath(request.shared_dir, row.path);
    const std::string tail = "/" + row.path;
    if (leads_to == in_shared || !absl::EndsWith(leads_to, tail)) continue;
    const std::string other = leads_to.substr(0, leads_to.size() - tail.size());
    if (IsWithin(other, request.app_dir)) continue;
    std::string root_dir = request.app_source;
    if (absl::EndsWith(root_dir, "/" + request.app_dir)) {
      root_dir.resize(root_dir.size() - request.app_dir.size() - 1);
    }
    const std::string other_dir = JoinPath(root_dir.empty() ? "/" : root_dir, other);
    return WithPath(Refuse(absl::StrCat(
        PrintablePath(in_app), " is linked to ", PrintablePath(leads_to), ", not to ",
        PrintablePath(in_shared), ": ", PrintablePath(request.app_source),
        " is linked to another shared directory, ", PrintablePath(other_dir),
        "; give that one as SHARED_DIR (persist link ", PrintablePath(request.app_source), " ",
        PrintablePath(other_dir), "), or undo that link first (persist undo --root ",
        PrintablePath(root_dir), ")")), JoinPath(root_dir, in_app));
  }

  absl::StatusOr<PathState> shared = site.Observe(request.shared_dir, false);
  if (!shared.ok()) return shared.status();
  bool shared_empty = shared->type() == ABSENT;
  if (shared->type() == DIRECTORY) {
    absl::StatusOr<Fd> dir = site.OpenDir(request.shared_dir);
    if (!dir.ok()) return dir.status();
    absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir->get(), request.shared_dir);
    if (!names.ok()) return names.status();
    shared_empty = names->empty();
  }
  result.first = request.mode == LinkRequest::kFirst ||
                 (request.mode != LinkRequest::kSubsequent && shared_empty);
  absl::Status status = builder.EnsureDir(request.shared_dir);
  if (!status.ok()) return status;
  SharedLinkOptions options;
  const DirectoryTree app_tree(env, request.app_source);
  options.source = &app_tree;
  options.app_dir = request.app_dir;
  options.shared_dir = request.shared_dir;
  options.first = result.first;
  options.in_place = true;
  if (request.mode == LinkRequest::kCustom) options.only = PathClass::kCustom;
  status = PlanSharedLinks(builder, classifier, *rows, options);
  if (!status.ok()) return status;
  result.plan = builder.plan();
  result.notes = builder.notes();
  return result;
}

}  // namespace persist
