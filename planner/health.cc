// Copyright persist authors.

#include "planner/health.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/trash.h"
#include "planner/deploy_planner.h"

namespace persist {

absl::StatusOr<Health> CheckSiteHealth(const Root& site, const Classifier& classifier) {
  Health health;
  auto problem = [&](std::string path, std::string what, std::string fix) {
    health.problems.push_back(Problem{std::move(path), std::move(what), std::move(fix)});
  };

  // An emptier that failed left why; the trash keeps what it could not remove.
  absl::StatusOr<std::string> trash_failure = LastTrashFailure(site);
  if (!trash_failure.ok()) return trash_failure.status();
  if (!trash_failure->empty()) {
    problem(kTrashDir, absl::StrCat("could not be emptied (", *trash_failure, ")"),
            "persist empty-trash (it says what stops it; it succeeds once that is fixed)");
  }

  // current -> releases/<id>, a directory.
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(site);
  if (!releases.ok()) return releases.status();
  const std::string newest = releases->empty() ? "" : releases->back();
  absl::StatusOr<PathState> current = site.Observe("current", false);
  if (!current.ok()) return current.status();
  std::string live;
  if (current->type() != SYMLINK) {
    problem("current",
            current->type() == ABSENT ? "is missing: no release is live"
                                      : absl::StrCat("is a ", FileTypeName(current->type()), ", not a symlink"),
            newest.empty() ? "persist deploy SRC" : "persist switch " + newest);
  } else {
    const std::string resolved = ResolveLexically("current", current->link_target());
    absl::StatusOr<PathState> target = resolved.empty() ? absl::StatusOr<PathState>(PathState())
                                                        : site.Observe(resolved, false);
    if (!target.ok()) return target.status();
    if (SplitParent(resolved).first != "releases" || target->type() != DIRECTORY) {
      problem("current", absl::StrCat("points at ", PrintablePath(current->link_target()),
                                      ", which is not a release directory under releases/"),
              newest.empty() ? "persist deploy SRC" : "persist switch " + newest);
    } else {
      live = SplitParent(resolved).second;
      health.ok.push_back("current -> releases/" + live);
    }
  }

  // Every persistent path kept in shared/ is linked from the live release.
  absl::StatusOr<PathState> shared = site.Observe("shared", false);
  if (!shared.ok()) return shared.status();
  if (shared->type() != DIRECTORY) {
    problem("shared", "is missing", "persist deploy SRC (a first deploy creates it)");
  } else if (!live.empty()) {
    absl::StatusOr<std::vector<Classification>> kept = classifier.ClassifyTree(site, "shared");
    if (!kept.ok()) return kept.status();
    std::vector<std::string> roots;
    for (const Classification& row : *kept) {
      if (!row.persistent()) continue;
      if (std::any_of(roots.begin(), roots.end(), [&](const std::string& r) { return IsWithin(row.path, r); })) {
        continue;
      }
      roots.push_back(row.path);
    }
    int linked = 0;
    for (const std::string& path : roots) {
      const std::string link = JoinPath(JoinPath("releases", live), path);
      const std::string want = JoinPath("shared", path);
      absl::StatusOr<PathState> state = site.Observe(link, false);
      if (!state.ok()) return state.status();
      const std::string fix = absl::StrCat("ln -sfn ", RelativeTarget(link, want), " ", link,
                                           " (or deploy again)");
      if (state->type() != SYMLINK) {
        problem(link, state->type() == ABSENT
                          ? absl::StrCat("is missing, so the app cannot reach ", want)
                          : absl::StrCat("is a ", FileTypeName(state->type()), ", not a link to ", want,
                                         ": data written there is lost on the next deploy"),
                fix);
      } else if (ResolveLexically(link, state->link_target()) != want) {
        problem(link, absl::StrCat("points at ", PrintablePath(state->link_target()), ", not at ", want),
                fix);
      } else {
        ++linked;
      }
    }
    health.ok.push_back(absl::StrCat(linked, " persistent path", linked == 1 ? "" : "s",
                                     " of the live release linked into shared/"));
  }

  // public_html, where there is one, serves current/public.
  // (Checked before what lives in shared/, which may not exist yet.)
  absl::StatusOr<PathState> public_html = site.Observe("public_html", false);
  if (!public_html.ok()) return public_html.status();
  if (public_html->type() == SYMLINK) {
    if (ResolveLexically("public_html", public_html->link_target()) != "current/public") {
      problem("public_html", absl::StrCat("points at ", PrintablePath(public_html->link_target()),
                                          ", not at current/public"),
              "ln -sfn current/public public_html");
    } else {
      health.ok.push_back("public_html -> current/public");
    }
  } else if (public_html->type() != ABSENT) {
    problem("public_html", "is a real directory: it serves files no release manages",
            "persist deploy SRC (it turns public_html into a link, keeping its content)");
  }

  if (shared->type() != DIRECTORY) return health;  // already reported

  // .env: present, private.
  absl::StatusOr<PathState> env = site.Observe("shared/.env", false);
  if (!env.ok()) return env.status();
  if (env->type() != REGULAR) {
    problem("shared/.env", "is missing", "cp .env.example shared/.env, then set APP_KEY and the database");
  } else if (env->mode() & 0007) {
    problem("shared/.env", absl::StrFormat("is readable by every user (mode %04o)", env->mode()),
            "chmod o-rwx shared/.env");
  } else {
    health.ok.push_back("shared/.env is private");
  }

  // Laravel writes to storage/ and bootstrap/cache/.
  for (const char* dir : {"shared/storage", "shared/bootstrap/cache"}) {
    absl::StatusOr<PathState> state = site.Observe(dir, false);
    if (!state.ok()) return state.status();
    if (state->type() != DIRECTORY) {
      problem(dir, "is missing", absl::StrCat("mkdir -p ", dir));
    } else if ((state->mode() & 0200) == 0) {
      problem(dir, absl::StrFormat("is not writable (mode %04o)", state->mode()), absl::StrCat("chmod u+w ", dir));
    } else {
      health.ok.push_back(absl::StrCat(dir, " is writable"));
    }
  }
  return health;
}

}  // namespace persist
