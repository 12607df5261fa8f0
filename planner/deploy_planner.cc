// Copyright persist authors.

#include "planner/deploy_planner.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

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
#include "planner/delivery.h"
#include "planner/shared_links.h"

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
  absl::StatusOr<std::vector<std::string>> names = site.List("releases");
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

absl::StatusOr<Classifier> SiteClassifier(const Root& site, const std::string& path) {
  absl::StatusOr<Profile> profile = LoadSiteProfile(site, path);
  if (!profile.ok()) return profile.status();
  absl::StatusOr<std::vector<Rule>> rules = RulesOf(*profile);
  if (!rules.ok()) return rules.status();
  return Classifier(*std::move(rules));
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

std::string HelperScript(const std::string& command) {
  const bool verify = command == "verify";
  return absl::StrCat(
      "#!/bin/sh\n# ", verify ? "Health check" : "Emergency recovery", " of this site: persist ",
      verify ? "verify" : "recover, persist repair, then persist verify,",
      " on the site this file's directory belongs to.\n",
      "# persist is looked for on PATH, in ~/bin, /usr/local/bin and /usr/bin, then where it\n"
      "# last changed this site (.persist/persist-binary).\n",
      "site=$(cd \"$(dirname \"$0\")/..\" && pwd) || exit 2\n", "persist=$(command -v persist)\n",
      "for candidate in \"$HOME/bin/persist\" /usr/local/bin/persist /usr/bin/persist \\\n",
      "    \"$(cat \"$site/.persist/persist-binary\" 2>/dev/null)\"; do\n",
      "  [ -z \"$persist\" ] && [ -x \"$candidate\" ] && persist=$candidate\n", "done\n",
      "if [ -z \"$persist\" ]; then\n",
      "  echo \"$0: persist is not on PATH, in ~/bin, /usr/local/bin or /usr/bin, nor where "
      "it\"\\\n",
      "    \" last ran on $site: install it, or put it on PATH\" >&2\n", "  exit 2\n", "fi\n",
      verify ? "exec \"$persist\" verify --root \"$site\" \"$@\"\n"
             : "\"$persist\" recover --root \"$site\" \"$@\" || exit\n"
               "# An interrupted run is undone; what persist can fix, repair fixes (one run,\n"
               "# undoable); whatever else is wrong, verify names (exit 1).\n"
               "\"$persist\" repair --root \"$site\" \"$@\"\n"
               "exec \"$persist\" verify --root \"$site\"\n");
}

namespace {

absl::StatusOr<DeployPlan> PlanApp(const Root& site, const Classifier& classifier,
                                   const DeployRequest& request, const Delivery& delivery);

}  // namespace

absl::StatusOr<std::string> ChooseReleaseId(const Root& site, const std::string& requested) {
  if (requested.empty()) return NewReleaseId(site);
  absl::Status valid = ValidateId(requested, "release id");
  if (!valid.ok()) return Refuse(absl::StrCat(valid.message(), "; give another --id"));
  const std::string path = JoinPath("releases", requested);
  absl::StatusOr<PathState> taken = site.Observe(path, false);
  if (!taken.ok()) return taken.status();
  if (taken->type() != ABSENT) {
    return WithPath(
        Refuse(absl::StrCat(path, " exists already; choose another --id or leave it out")), path);
  }
  return requested;
}

absl::Status AddHelperScripts(PlanBuilder& builder) {
  for (const auto& [name, command] :
       {std::pair<std::string, std::string>{"health-check.sh", "verify"},
        std::pair<std::string, std::string>{"emergency-recovery.sh", "recover"}}) {
    const std::string path = JoinPath("shared", name);
    absl::StatusOr<PathState> state = builder.site().Observe(path, false);
    if (!state.ok()) return state.status();
    if (state->type() != ABSENT) continue;
    Op write;
    write.mutable_write()->set_path(path);
    write.mutable_write()->set_mode(0755);
    write.mutable_write()->set_content(HelperScript(command));
    *builder.plan().add_op() = write;
  }
  return absl::OkStatus();
}

absl::StatusOr<DeployPlan> PlanDeploy(const Root& site, const Classifier& classifier,
                                      const DeployRequest& request) {
  absl::StatusOr<Delivery> delivery = OpenDelivery(site, request);
  if (!delivery.ok()) return delivery.status();
  absl::StatusOr<DeployPlan> planned = PlanApp(site, classifier, request, *delivery);
  if (planned.ok()) {
    planned->notes.insert(planned->notes.begin(), delivery->notes.begin(), delivery->notes.end());
  }
  return planned;
}

namespace {

// The plan for the app `delivery` holds, which OpenDelivery has checked.
absl::StatusOr<DeployPlan> PlanApp(const Root& site, const Classifier& classifier,
                                   const DeployRequest& request, const Delivery& delivery) {
  DeployPlan result;
  result.source = delivery.name;

  absl::StatusOr<std::string> id = ChooseReleaseId(site, request.release_id);
  if (!id.ok()) return id.status();
  result.release_id = *id;
  const std::string release = JoinPath("releases", result.release_id);
  result.first = request.mode == DeployRequest::kFirst ||
                 (request.mode == DeployRequest::kAuto && !request.has_deployed_before);

  PlanBuilder builder(site);
  Plan& plan = builder.plan();
  for (const char* dir : {"releases", "shared"}) {
    absl::Status status = builder.EnsureDir(dir);
    if (!status.ok()) return status;
  }
  Op stage = delivery.stage;
  if (stage.has_unpack()) {
    stage.mutable_unpack()->set_to(release);
  } else if (stage.has_update()) {
    stage.mutable_update()->set_to(release);
  } else {
    stage.mutable_import()->set_to(release);
  }
  if (stage.has_import() && request.dedupe != DEDUPE_OFF) {
    // Unchanged files are taken from the live release, the one most like
    // the new one.
    absl::StatusOr<std::string> live = CurrentRelease(site);
    if (!live.ok()) return live.status();
    if (!live->empty()) {
      stage.mutable_import()->set_dedupe_from(JoinPath("releases", *live));
      stage.mutable_import()->set_dedupe(request.dedupe);
    }
  }
  *plan.add_op() = stage;
  builder.AssumeDir(release);
  builder.outcomes().Expect(release, DIRECTORY);

  // Classify the release as shipped (the copy or unpack makes it so), then
  // seed or stash and link every persistent path.
  absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(*delivery.tree);
  if (!rows.ok()) return rows.status();
  result.classification = *rows;
  SharedLinkOptions links;
  links.source = delivery.tree.get();
  links.app_dir = release;
  links.shared_dir = "shared";
  links.first = result.first;
  links.carries_links = stage.has_update();
  links.merge_new = request.merge_new;
  absl::Status linked = PlanSharedLinks(builder, classifier, *rows, links);
  if (!linked.ok()) return linked;

  absl::Status scripts = AddHelperScripts(builder);
  if (!scripts.ok()) return scripts;

  if (request.switch_current) {
    result.switch_index = plan.op_size();
    *plan.add_op() = SymlinkOf(release, "current");
    builder.outcomes().Expect("current", SYMLINK, release);
    absl::StatusOr<PathState> public_html = site.Observe("public_html", false);
    if (!public_html.ok()) return public_html.status();
    if (request.web_root.stub) {
      absl::StatusOr<std::vector<PublicEntry>> entries =
          PublicEntriesPlanned(*delivery.tree, release, plan);
      if (!entries.ok()) return entries.status();
      absl::StatusOr<std::string> replaced = CurrentRelease(site);
      if (!replaced.ok()) return replaced.status();
      StubChange change;
      change.release_dir = release;
      change.entries = *std::move(entries);
      change.replaced_dir = replaced->empty() ? "" : JoinPath("releases", *replaced);
      change.copy_assets = request.web_root.copy_assets;
      absl::Status stub = PlanStubWebRoot(site, change, &plan, &builder.outcomes(), &result.notes);
      if (!stub.ok()) return stub;
    } else if (public_html->type() == DIRECTORY) {
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
