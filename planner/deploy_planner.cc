// Copyright persist authors.

#include "planner/deploy_planner.h"
#include "planner/shared_links.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <ctype.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/time_id.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "planner/app_finder.h"
#include "planner/special_files.h"

namespace persist {

std::string RelativeTarget(const std::string& link, const std::string& target) {
  std::vector<std::string> from = absl::StrSplit(SplitParent(link).first, '/', absl::SkipEmpty());
  std::vector<std::string> to = absl::StrSplit(target, '/', absl::SkipEmpty());
  size_t common = 0;
  while (common < from.size() && common + 1 < to.size() && from[common] == to[common]) ++common;
  std::string out;
  for (size_t i = common; i < from.size(); ++i) out += "../";
  for (size_t i = common; i < to.size(); ++i) out += (i == common ? "" : "/") + to[i];
  return out;
}

bool ReleaseIdLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (isdigit(static_cast<unsigned char>(a[i])) && isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i_end = i, j_end = j;
      while (i_end < a.size() && isdigit(static_cast<unsigned char>(a[i_end]))) ++i_end;
      while (j_end < b.size() && isdigit(static_cast<unsigned char>(b[j_end]))) ++j_end;
      // Compare the numbers by value: strip leading zeros, then by length.
      size_t i_nz = i, j_nz = j;
      while (i_nz + 1 < i_end && a[i_nz] == '0') ++i_nz;
      while (j_nz + 1 < j_end && b[j_nz] == '0') ++j_nz;
      if (i_end - i_nz != j_end - j_nz) return i_end - i_nz < j_end - j_nz;
      int cmp = a.compare(i_nz, i_end - i_nz, b, j_nz, j_end - j_nz);
      if (cmp != 0) return cmp < 0;
      i = i_end;
      j = j_end;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

absl::StatusOr<std::vector<std::string>> ListReleases(const Root& site,
                                                      const DeployTimes& deployed_at,
                                                      std::vector<std::string>* skipped) {
  absl::StatusOr<Fd> dir = site.OpenDir("releases");
  if (!dir.ok()) {
    if (StatusErrno(dir.status()) == ENOENT) return std::vector<std::string>();
    return dir.status();
  }
  absl::StatusOr<std::vector<std::string>> names = site.env()->ListDir(dir->get(), "releases");
  if (!names.ok()) return names.status();
  std::vector<std::string> releases;
  for (const std::string& name : *names) {
    if (name.empty() || name[0] == '.') continue;  // staging names of runs
    if (!ValidateId(name, "release id").ok()) {
      if (skipped != nullptr) skipped->push_back(name);
      continue;
    }
    releases.push_back(name);
  }
  auto when = [&deployed_at](const std::string& id) -> int64_t {
    auto it = deployed_at.find(id);
    return it == deployed_at.end() ? INT64_MIN : it->second;
  };
  std::sort(releases.begin(), releases.end(), [&](const std::string& a, const std::string& b) {
    const int64_t at = when(a), bt = when(b);
    if (at != bt) return at < bt;
    return ReleaseIdLess(a, b);
  });
  if (skipped != nullptr) std::sort(skipped->begin(), skipped->end());
  return releases;
}

absl::StatusOr<Profile> LoadSiteProfile(const Root& site, const std::string& path) {
  absl::StatusOr<std::string> text = site.ReadFile(path, 1 << 20);
  if (!text.ok()) {
    if (StatusErrno(text.status()) == ENOENT) return Profile();
    return text.status();
  }
  return ParseProfile(*text, path);
}

absl::StatusOr<std::string> CurrentRelease(const Root& site) {
  absl::StatusOr<PathState> current = site.Observe("current", false);
  if (!current.ok()) return current.status();
  if (current->type() != SYMLINK) return std::string();
  const std::string& target = current->link_target();
  if (!absl::StartsWith(target, "releases/")) return std::string();
  return target.substr(strlen("releases/"));
}

absl::StatusOr<std::string> NewReleaseId(const Root& site) {
  return NewTimeId(absl::Now(), [&](const std::string& id) -> absl::StatusOr<bool> {
    absl::StatusOr<PathState> state = site.Observe(JoinPath("releases", id), false);
    if (!state.ok()) return state.status();
    return state->type() != ABSENT;
  });
}

namespace {

using Identity = std::pair<uint64_t, uint64_t>;  // device, inode

// The directory open at `dir` and every directory above it, as they really
// are: climbed through "..", so no spelling of a path, and no symlink on the
// way to it, hides where it lies.
absl::StatusOr<std::vector<Identity>> AncestorsOf(Env* env, Fd dir, const std::string& path) {
  std::vector<Identity> out;
  for (std::string shown = path;; shown += "/..") {
    struct stat st;
    absl::Status status = env->StatAt(dir.get(), "", &st, shown);
    if (!status.ok()) return status;
    const Identity here{st.st_dev, st.st_ino};
    if (!out.empty() && out.back() == here) return out;  // "/": its ".." is itself
    out.push_back(here);
    absl::StatusOr<int> parent = env->OpenAt(dir.get(), "..", O_RDONLY | O_DIRECTORY, 0, shown + "/..");
    if (!parent.ok()) return parent.status();
    dir = Fd(env, *parent, shown + "/..");
  }
}

// AncestorsOf `source`, opened the way the import will open it (symlinks in
// its path followed).
absl::StatusOr<std::vector<Identity>> RealAncestors(Env* env, const std::string& source) {
  absl::StatusOr<int> fd = env->OpenAt(AT_FDCWD, source, O_RDONLY | O_DIRECTORY, 0, source);
  if (!fd.ok()) return fd.status();
  return AncestorsOf(env, Fd(env, *fd, source), source);
}

// The refusal of a delivery in which FindApp found no app: empty, or
// holding none of kAppMarkers at any depth it searches; naming --force.
absl::Status RefuseNonApp(Env* env, const std::string& source) {
  absl::StatusOr<int> fd = env->OpenAt(AT_FDCWD, source, O_RDONLY | O_DIRECTORY, 0, source);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, source);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), source);
  if (!names.ok()) return names.status();
  if (names->empty()) {
    return WithPath(
        Refuse(absl::StrCat(source, " is empty: deployed, it would replace the live release with "
                                    "nothing; give the directory holding the release (or add "
                                    "--force to deploy an empty release)")),
        source);
  }
  return WithPath(
      Refuse(absl::StrCat(source, " holds none of artisan, composer.json and public/index.php, so "
                                  "it is not the directory of a PHP/Laravel app, nor does a directory "
                                  "below it hold one; give the app's directory, or add --force to "
                                  "deploy it as it is")),
      source);
}

}  // namespace

std::string HelperScript(const std::string& command) {
  const bool verify = command == "verify";
  return absl::StrCat(
      "#!/bin/sh\n# ", verify ? "Health check" : "Emergency recovery",
      " of this site: persist ", verify ? "verify" : "recover, then persist verify,",
      " on the site this file's directory belongs to.\n",
      "# persist is looked for on PATH, in ~/bin, /usr/local/bin and /usr/bin, then where it\n"
      "# last changed this site (.persist/persist-binary).\n",
      "site=$(cd \"$(dirname \"$0\")/..\" && pwd) || exit 2\n",
      "persist=$(command -v persist)\n",
      "for candidate in \"$HOME/bin/persist\" /usr/local/bin/persist /usr/bin/persist \\\n",
      "    \"$(cat \"$site/.persist/persist-binary\" 2>/dev/null)\"; do\n",
      "  [ -z \"$persist\" ] && [ -x \"$candidate\" ] && persist=$candidate\n",
      "done\n",
      "if [ -z \"$persist\" ]; then\n",
      "  echo \"$0: persist is not on PATH, in ~/bin, /usr/local/bin or /usr/bin, nor where it\"\\\n",
      "    \" last ran on $site: install it, or put it on PATH\" >&2\n",
      "  exit 2\n",
      "fi\n",
      verify ? "exec \"$persist\" verify --root \"$site\" \"$@\"\n"
             : "\"$persist\" recover --root \"$site\" \"$@\" || exit\n"
               "# An interrupted run is undone; whatever else is wrong, verify names (exit 1).\n"
               "exec \"$persist\" verify --root \"$site\"\n");
}

namespace {

// The app in the delivery at request->source (app_finder.h): where it is
// a directory below, request->source becomes that directory and `note` says
// which and why. A delivery without an app gets RefuseNonApp's refusal; one
// with several, or an app_dir that holds none, a refusal naming them.
absl::Status LocateApp(Env* env, DeployRequest* request, std::string* note) {
  absl::StatusOr<AppLocation> app = FindApp(env, request->source, request->app_dir);
  if (absl::IsNotFound(app.status())) return RefuseNonApp(env, request->source);
  if (!app.ok()) {
    return WithPath(Refuse(absl::StrCat(app.status().message(),
                                        "; name the app's directory with --app-dir PATH")),
                    StatusPath(app.status()));
  }
  if (app->dir.empty()) return absl::OkStatus();
  *note = absl::StrCat("deploying ", PrintablePath(app->dir), " of ", request->source, ": ", app->why);
  request->source = JoinPath(request->source, app->dir);
  return absl::OkStatus();
}

absl::StatusOr<DeployPlan> PlanApp(const Root& site, const Classifier& classifier,
                                   const DeployRequest& request);

}  // namespace

absl::StatusOr<DeployPlan> PlanDeploy(const Root& site, const Classifier& classifier,
                                      const DeployRequest& request) {
  Env* env = site.env();
  DeployPlan result;
  // SRC: an existing directory; not the site, nor a directory holding it
  // (the copy would copy into itself until the disk is full), nor inside
  // the site's own trees. Compared by device and inode.
  absl::StatusOr<PathState> src = ObserveSource(env, request.source, "");
  if (!src.ok() || src->type() == ABSENT) {
    return WithPath(Refuse(absl::StrCat("the release to deploy, ", request.source,
                                        ", does not exist; give the directory holding the new "
                                        "release")),
                    request.source);
  }
  if (src->type() != DIRECTORY) {
    return WithPath(Refuse(absl::StrCat(request.source, " is not a directory; unpack the release "
                                                        "first and give its directory")),
                    request.source);
  }
  absl::StatusOr<std::vector<Identity>> ancestors = RealAncestors(env, request.source);
  if (!ancestors.ok()) return ancestors.status();
  absl::StatusOr<int> root_fd = env->OpenAt(site.fd(), ".", O_RDONLY | O_DIRECTORY, 0, site.dir());
  if (!root_fd.ok()) return root_fd.status();
  absl::StatusOr<std::vector<Identity>> site_ancestors =
      AncestorsOf(env, Fd(env, *root_fd, site.dir()), site.dir());
  if (!site_ancestors.ok()) return site_ancestors.status();
  const auto at = std::find(site_ancestors->begin(), site_ancestors->end(), ancestors->front());
  if (at != site_ancestors->end()) {
    return WithPath(
        Refuse(absl::StrCat(
            request.source, at == site_ancestors->begin() ? " is the site " : " holds the site ",
            site.dir(), ": a deploy would copy the site into its own releases/ until the disk is "
            "full; upload the release to a directory outside the site (e.g. ~/uploads/) and "
            "deploy it from there")),
        request.source);
  }
  // public_html too, while it is a directory: the deploy moves it away.
  for (const char* own : {"releases", "shared", ".persist", "current", "public_html"}) {
    absl::StatusOr<PathState> inside = site.Observe(own, false);
    if (!inside.ok() || inside->type() != DIRECTORY) continue;
    const Identity dir{inside->dev(), inside->inode()};
    if (std::find(ancestors->begin(), ancestors->end(), dir) != ancestors->end()) {
      return WithPath(Refuse(absl::StrCat(request.source, " lies inside the site's ", own,
                                          "/; upload the release somewhere else (e.g. ~/uploads/) "
                                          "and deploy it from there")),
                      request.source);
    }
  }

  DeployRequest app = request;
  std::string app_note;
  if (!request.force || !request.app_dir.empty()) {
    absl::Status located = LocateApp(env, &app, &app_note);
    if (!located.ok()) return located;
  }
  absl::StatusOr<DeployPlan> planned = PlanApp(site, classifier, app);
  if (planned.ok() && !app_note.empty()) planned->notes.insert(planned->notes.begin(), app_note);
  return planned;
}

namespace {

// The plan for the app at request.source, which PlanDeploy has checked.
absl::StatusOr<DeployPlan> PlanApp(const Root& site, const Classifier& classifier,
                                   const DeployRequest& request) {
  Env* env = site.env();
  DeployPlan result;
  result.source = request.source;
  // A fifo, socket or device in the release would stop its copy halfway:
  // refuse it whole now, naming every one, before anything is touched.
  absl::Status plain = RefuseSpecialFiles(env, request.source);
  if (!plain.ok()) return plain;

  result.release_id = request.release_id;
  if (result.release_id.empty()) {
    absl::StatusOr<std::string> id = NewReleaseId(site);
    if (!id.ok()) return id.status();
    result.release_id = *id;
  } else {
    absl::Status valid = ValidateId(result.release_id, "release id");
    if (!valid.ok()) return Refuse(absl::StrCat(valid.message(), "; give another --id"));
    absl::StatusOr<PathState> taken = site.Observe(JoinPath("releases", result.release_id), false);
    if (!taken.ok()) return taken.status();
    if (taken->type() != ABSENT) {
      const std::string taken_path = JoinPath("releases", result.release_id);
      return WithPath(Refuse(absl::StrCat(taken_path,
                                          " exists already; choose another --id or leave it out")),
                      taken_path);
    }
  }
  const std::string release = JoinPath("releases", result.release_id);
  result.first = request.mode == DeployRequest::kFirst ||
                 (request.mode == DeployRequest::kAuto && !request.has_deployed_before);

  PlanBuilder builder(site);
  Plan& plan = builder.plan();
  for (const char* dir : {"releases", "shared"}) {
    absl::Status status = builder.EnsureDir(dir);
    if (!status.ok()) return status;
  }
  Op import;
  import.mutable_import()->set_from(request.source);
  import.mutable_import()->set_to(release);
  if (request.dedupe != DEDUPE_OFF) {
    // Unchanged files are taken from the live release, the one most like
    // the new one.
    absl::StatusOr<std::string> live = CurrentRelease(site);
    if (!live.ok()) return live.status();
    if (!live->empty()) {
      import.mutable_import()->set_dedupe_from(JoinPath("releases", *live));
      import.mutable_import()->set_dedupe(request.dedupe);
    }
  }
  *plan.add_op() = import;
  builder.AssumeDir(release);
  builder.outcomes().Expect(release, DIRECTORY);

  // Classify the release as shipped (SRC: the copy is identical), then seed
  // or stash and link every persistent path.
  absl::StatusOr<std::unique_ptr<Root>> src_root = Root::Open(env, request.source);
  if (!src_root.ok()) return src_root.status();
  absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(**src_root, "");
  if (!rows.ok()) return rows.status();
  result.classification = *rows;
  SharedLinkOptions links;
  links.source = request.source;
  links.app_dir = release;
  links.shared_dir = "shared";
  links.first = result.first;
  links.merge_new = request.merge_new;
  absl::Status linked = PlanSharedLinks(builder, classifier, *rows, links);
  if (!linked.ok()) return linked;

  // The blueprint's maintenance scripts, as wrappers of persist.
  for (const auto& [name, command] :
       {std::pair<std::string, std::string>{"health-check.sh", "verify"},
        std::pair<std::string, std::string>{"emergency-recovery.sh", "recover"}}) {
    const std::string path = JoinPath("shared", name);
    absl::StatusOr<PathState> state = site.Observe(path, false);
    if (!state.ok()) return state.status();
    if (state->type() != ABSENT) continue;
    Op write;
    write.mutable_write()->set_path(path);
    write.mutable_write()->set_mode(0755);
    write.mutable_write()->set_content(HelperScript(command));
    *plan.add_op() = write;
  }

  if (request.switch_current) {
    result.switch_index = plan.op_size();
    *plan.add_op() = SymlinkOf(release, "current");
    builder.outcomes().Expect("current", SYMLINK, release);
    absl::StatusOr<PathState> public_html = site.Observe("public_html", false);
    if (!public_html.ok()) return public_html.status();
    if (public_html->type() == DIRECTORY) {
      *plan.add_op() = RemoveOf("public_html");
      *plan.add_op() = SymlinkOf("current/public", "public_html");
      builder.outcomes().Expect("public_html", SYMLINK, "current/public");
      result.notes.push_back("public_html was a directory: it now points at current/public; its old "
                             "content waits in this run's stash (persist undo puts it back) and is "
                             "moved to .persist/rescued/RUN/public_html/ when the run leaves the "
                             "undo window, never deleted");
    }
  }

  // Prune: keep the newest `keep` releases, counting the new one; never the
  // live release.
  std::vector<std::string> not_ids;
  absl::StatusOr<std::vector<std::string>> releases =
      ListReleases(site, request.deployed_at, &not_ids);
  if (!releases.ok()) return releases.status();
  for (const std::string& name : not_ids) {
    result.notes.push_back(absl::StrCat(
        "releases/", PrintablePath(name), " is not a release persist can name (a release id is ",
        "letters, digits, '.', '_' and '-'): it is neither counted nor pruned; rename or move it"));
  }
  absl::StatusOr<std::string> live = CurrentRelease(site);
  if (!live.ok()) return live.status();
  const int keep = std::max(1, request.keep);
  const int excess = static_cast<int>(releases->size()) + 1 - keep;
  for (int i = 0; i < excess && i < static_cast<int>(releases->size()); ++i) {
    const std::string& old = (*releases)[i];
    if (old == *live && !request.switch_current) continue;
    *plan.add_op() = RemoveOf(JoinPath("releases", old));
    result.notes.push_back(absl::StrCat("release ", old, " pruned (kept in the stash while this run "
                                        "can be undone)"));
  }

  result.plan = builder.plan();
  result.outcomes = builder.outcomes();
  result.notes.insert(result.notes.begin(), builder.notes().begin(), builder.notes().end());
  return result;
}

}  // namespace

}  // namespace persist
