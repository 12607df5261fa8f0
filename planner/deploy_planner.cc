// Copyright persist authors.

#include "planner/deploy_planner.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fsops/errno_status.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {
namespace {

absl::Status Refuse(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

Op MkdirOf(const std::string& path) {
  Op op;
  op.mutable_mkdir()->set_path(path);
  return op;
}

Op SymlinkOf(const std::string& target, const std::string& path) {
  Op op;
  op.mutable_symlink()->set_target(target);
  op.mutable_symlink()->set_path(path);
  return op;
}

Op MoveOf(const std::string& from, const std::string& to) {
  Op op;
  op.mutable_move()->set_from(from);
  op.mutable_move()->set_to(to);
  return op;
}

Op CopyOf(const std::string& from, const std::string& to) {
  Op op;
  op.mutable_copy()->set_from(from);
  op.mutable_copy()->set_to(to);
  return op;
}

Op RemoveOf(const std::string& path) {
  Op op;
  op.mutable_remove()->set_path(path);
  return op;
}

// The state of `rel` inside SRC (an absolute directory), symlinks unfollowed.
absl::StatusOr<PathState> ObserveSource(Env* env, const std::string& source, const std::string& rel) {
  const std::string path = rel.empty() ? source : source + "/" + rel;
  return ObservePath(env, AT_FDCWD, path, path, false);
}

struct TreeSize {
  int files = 0;
  uint64_t bytes = 0;
};

absl::Status MeasureTree(Env* env, const std::string& path, TreeSize* size) {
  absl::StatusOr<PathState> state = ObservePath(env, AT_FDCWD, path, path, false);
  if (!state.ok()) return state.status();
  if (state->type() != DIRECTORY) {
    ++size->files;
    size->bytes += state->size();
    return absl::OkStatus();
  }
  absl::StatusOr<int> fd = env->OpenAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, path);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), path);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    absl::Status status = MeasureTree(env, path + "/" + name, size);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// For --merge-new: copy ops for every entry of SRC/rel that shared/rel lacks.
absl::Status PlanMergeNew(const Root& site, const std::string& source, const std::string& rel,
                          const std::string& release_dir, Plan* plan, int* added) {
  Env* env = site.env();
  const std::string src = source + "/" + rel;
  absl::StatusOr<int> fd = env->OpenAt(AT_FDCWD, src, O_RDONLY | O_DIRECTORY, 0, src);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, src);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), src);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  for (const std::string& name : *names) {
    const std::string child = JoinPath(rel, name);
    absl::StatusOr<PathState> in_shared = site.Observe(JoinPath("shared", child), false);
    if (!in_shared.ok()) return in_shared.status();
    absl::StatusOr<PathState> in_source = ObserveSource(env, source, child);
    if (!in_source.ok()) return in_source.status();
    if (in_shared->type() == ABSENT) {
      *plan->add_op() = CopyOf(JoinPath(release_dir, child), JoinPath("shared", child));
      ++*added;
    } else if (in_shared->type() == DIRECTORY && in_source->type() == DIRECTORY) {
      absl::Status status = PlanMergeNew(site, source, child, release_dir, plan, added);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

// The persistent paths to link: the top-most persistent candidates of the
// release, and the exact persistent rules (which may be absent from it).
std::vector<Classification> PersistentRoots(const std::vector<Classification>& rows,
                                            const Classifier& classifier) {
  std::vector<Classification> wanted;
  for (const Classification& row : rows) {
    if (row.persistent()) wanted.push_back(row);
  }
  for (const Rule& rule : classifier.ExactPersistentRules()) {
    bool listed = std::any_of(wanted.begin(), wanted.end(),
                              [&](const Classification& c) { return c.path == rule.pattern; });
    if (!listed) {
      Classification absent = classifier.Classify(rule.pattern, rule.dir_only);
      absent.is_dir = rule.dir_only;
      if (absent.persistent()) wanted.push_back(absent);
    }
  }
  std::sort(wanted.begin(), wanted.end(),
            [](const Classification& a, const Classification& b) { return a.path < b.path; });
  std::vector<Classification> roots;
  for (const Classification& row : wanted) {
    bool nested = std::any_of(roots.begin(), roots.end(),
                              [&](const Classification& r) { return IsWithin(row.path, r.path); });
    if (!nested) roots.push_back(row);
  }
  return roots;
}

}  // namespace

absl::StatusOr<DeployRequest::Mode> ParseDeployMode(const std::string& text) {
  if (text == "auto") return DeployRequest::kAuto;
  if (text == "first" || text == "true") return DeployRequest::kFirst;
  if (text == "subsequent" || text == "false") return DeployRequest::kSubsequent;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown deploy mode \"", text, "\"; give auto, first or subsequent (or the blueprint's "
      "true for first, false for subsequent)"));
}

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

absl::StatusOr<std::vector<std::string>> ListReleases(const Root& site) {
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
    releases.push_back(name);
  }
  std::sort(releases.begin(), releases.end());
  return releases;
}

absl::StatusOr<Profile> LoadSiteProfile(const Root& site) {
  absl::StatusOr<std::string> text = site.ReadFile(kProfilePath, 1 << 20);
  if (!text.ok()) {
    if (StatusErrno(text.status()) == ENOENT) return Profile();
    return text.status();
  }
  return ParseProfile(*text, kProfilePath);
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
  const std::string base = absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone());
  for (int n = 1;; ++n) {
    std::string id = n == 1 ? base : absl::StrCat(base, "-", n);
    absl::StatusOr<PathState> state = site.Observe(JoinPath("releases", id), false);
    if (!state.ok()) return state.status();
    if (state->type() == ABSENT) return id;
  }
}

absl::StatusOr<DeployPlan> PlanDeploy(const Root& site, const Classifier& classifier,
                                      const DeployRequest& request) {
  Env* env = site.env();
  DeployPlan result;
  // SRC: an existing directory, not inside the site's own trees.
  absl::StatusOr<PathState> src = ObserveSource(env, request.source, "");
  if (!src.ok() || src->type() == ABSENT) {
    return Refuse(absl::StrCat("the release to deploy, ", request.source,
                               ", does not exist; give the directory holding the new release"));
  }
  if (src->type() != DIRECTORY) {
    return Refuse(absl::StrCat(request.source, " is not a directory; unpack the release first and "
                                               "give its directory"));
  }
  for (const char* own : {"releases", "shared", ".persist", "current"}) {
    absl::StatusOr<PathState> inside = site.Observe(own, false);
    if (!inside.ok() || inside->type() != DIRECTORY) continue;
    // Compare identities, not strings: SRC may be reached through any path.
    for (std::string probe = request.source; probe.size() > 1;
         probe = SplitParent(probe).first.empty() ? "/" : SplitParent(probe).first) {
      absl::StatusOr<PathState> here = ObservePath(env, AT_FDCWD, probe, probe, false);
      if (here.ok() && here->inode() == inside->inode() && here->dev() == inside->dev()) {
        return Refuse(absl::StrCat(request.source, " lies inside the site's ", own,
                                   "/; upload the release somewhere else (e.g. ~/uploads/) and "
                                   "deploy it from there"));
      }
    }
  }

  result.release_id = request.release_id;
  if (result.release_id.empty()) {
    absl::StatusOr<std::string> id = NewReleaseId(site);
    if (!id.ok()) return id.status();
    result.release_id = *id;
  } else {
    absl::Status valid = ValidateRelativePath(result.release_id);
    if (!valid.ok() || result.release_id.find('/') != std::string::npos || result.release_id[0] == '.') {
      return Refuse(absl::StrCat("release id \"", PrintablePath(result.release_id),
                                 "\" must be one plain name, such as 20261128T101500Z"));
    }
    absl::StatusOr<PathState> taken = site.Observe(JoinPath("releases", result.release_id), false);
    if (!taken.ok()) return taken.status();
    if (taken->type() != ABSENT) {
      return Refuse(absl::StrCat("releases/", result.release_id,
                                 " exists already; choose another --id or leave it out"));
    }
  }
  const std::string release = JoinPath("releases", result.release_id);
  result.first = request.mode == DeployRequest::kFirst ||
                 (request.mode == DeployRequest::kAuto && !request.has_deployed_before);

  Plan& plan = result.plan;
  std::set<std::string> made;  // directories this plan creates
  auto ensure_dir = [&](const std::string& path) -> absl::Status {
    std::vector<std::string> chain;
    for (std::string p = path; !p.empty(); p = SplitParent(p).first) chain.insert(chain.begin(), p);
    for (const std::string& p : chain) {
      if (made.count(p)) continue;
      absl::StatusOr<PathState> state = site.Observe(p, false);
      if (!state.ok()) return state.status();
      if (state->type() == ABSENT) {
        *plan.add_op() = MkdirOf(p);
      } else if (state->type() != DIRECTORY) {
        return Refuse(absl::StrCat(PrintablePath(p), " in the site is a ", FileTypeName(state->type()),
                                   " where persist needs a directory; move it away and deploy again"));
      }
      made.insert(p);
    }
    return absl::OkStatus();
  };
  for (const char* dir : {"releases", "shared"}) {
    absl::Status status = ensure_dir(dir);
    if (!status.ok()) return status;
  }
  Op import;
  import.mutable_import()->set_from(request.source);
  import.mutable_import()->set_to(release);
  *plan.add_op() = import;

  // Classify the release as shipped (SRC: the copy is identical).
  absl::StatusOr<std::unique_ptr<Root>> src_root = Root::Open(env, request.source);
  if (!src_root.ok()) return src_root.status();
  absl::StatusOr<std::vector<Classification>> rows = classifier.ClassifyTree(**src_root, "");
  if (!rows.ok()) return rows.status();
  result.classification = *rows;

  for (const Classification& row : PersistentRoots(*rows, classifier)) {
    const std::string in_release = JoinPath(release, row.path);
    const std::string in_shared = JoinPath("shared", row.path);
    absl::StatusOr<PathState> shipped = ObserveSource(env, request.source, row.path);
    if (!shipped.ok()) return shipped.status();
    absl::StatusOr<PathState> kept = site.Observe(in_shared, false);
    if (!kept.ok()) return kept.status();
    if (shipped->type() == SYMLINK) {
      return Refuse(absl::StrCat(
          row.path, " in the release is a symlink (-> ", PrintablePath(shipped->link_target()),
          "), where persist expects ", row.is_dir ? "a directory" : "a file",
          " to keep in shared/; persist never follows it: replace it with the real ",
          row.is_dir ? "directory" : "file", " in ", request.source));
    }
    if (shipped->type() == OTHER || kept->type() == OTHER || kept->type() == SYMLINK) {
      return Refuse(absl::StrCat(kept->type() == SYMLINK ? in_shared : row.path,
                                 " is a symlink, fifo, socket or device; persist keeps only files "
                                 "and directories in shared/: replace it and deploy again"));
    }
    if (shipped->type() != ABSENT && kept->type() != ABSENT && shipped->type() != kept->type()) {
      return Refuse(absl::StrCat(in_shared, " is a ", FileTypeName(kept->type()), " but the release ships ",
                                 row.path, " as a ", FileTypeName(shipped->type()),
                                 "; make them agree (or set the path in ", kProfilePath,
                                 ") and deploy again"));
    }
    const bool is_env = row.path == ".env";
    bool will_exist = kept->type() != ABSENT;
    if (kept->type() == ABSENT && shipped->type() != ABSENT) {
      // Seed shared/ with what the release ships: demo content, whole.
      absl::Status status = ensure_dir(SplitParent(in_shared).first);
      if (!status.ok()) return status;
      *plan.add_op() = MoveOf(in_release, in_shared);
      if (is_env && (shipped->mode() & 0007) != 0) {
        Op chmod;
        chmod.mutable_chmod()->set_path(in_shared);
        chmod.mutable_chmod()->set_mode(shipped->mode() & 0770);
        *plan.add_op() = chmod;
        result.notes.push_back(".env was world-readable in the release; shared/.env is not");
      }
      if (!result.first) result.notes.push_back(absl::StrCat("new persistent path ", row.path, " seeded from the release"));
      will_exist = true;
    } else if (kept->type() != ABSENT && shipped->type() != ABSENT) {
      // Never overwrite user data: the release's copy goes to the stash.
      TreeSize size;
      absl::Status status = MeasureTree(env, request.source + "/" + row.path, &size);
      if (!status.ok()) return status;
      if (request.merge_new && shipped->type() == DIRECTORY) {
        int added = 0;
        status = PlanMergeNew(site, request.source, row.path, release, &plan, &added);
        if (!status.ok()) return status;
        result.notes.push_back(absl::StrCat("--merge-new: ", added, " new entr",
                                            added == 1 ? "y" : "ies", " of ", row.path, " added to shared/"));
      }
      result.notes.push_back(absl::StrCat("the release ships ", row.path, " (", size.files, " file",
                                          size.files == 1 ? "" : "s", ", ", size.bytes, " bytes); ",
                                          in_shared, " is kept as it is",
                                          request.merge_new ? "" : " (--merge-new adds files it lacks)"));
      *plan.add_op() = RemoveOf(in_release);
    } else if (is_env && kept->type() == ABSENT) {
      absl::StatusOr<PathState> example = ObserveSource(env, request.source, ".env.example");
      if (!example.ok()) return example.status();
      if (example->type() == REGULAR) {
        absl::Status status = ensure_dir("shared");
        if (!status.ok()) return status;
        *plan.add_op() = CopyOf(JoinPath(release, ".env.example"), in_shared);
        Op chmod;
        chmod.mutable_chmod()->set_path(in_shared);
        chmod.mutable_chmod()->set_mode(0600);
        *plan.add_op() = chmod;
        result.notes.push_back("warning: shared/.env was seeded from .env.example: set APP_KEY "
                               "(php artisan key:generate) and the database settings in it");
        will_exist = true;
      } else {
        result.notes.push_back("warning: neither the release nor shared/ has a .env, and there is no "
                               ".env.example to seed one: create shared/.env");
      }
    }
    if (!will_exist) continue;
    absl::StatusOr<PathState> parent_in_source =
        ObserveSource(env, request.source, SplitParent(row.path).first);
    if (!parent_in_source.ok()) return parent_in_source.status();
    if (parent_in_source->type() != DIRECTORY) {
      absl::Status status = ensure_dir(SplitParent(in_release).first);
      if (!status.ok()) return status;
    }
    *plan.add_op() = SymlinkOf(RelativeTarget(in_release, in_shared), in_release);
  }

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
    write.mutable_write()->set_content(absl::StrCat(
        "#!/bin/sh\n# ", command == "verify" ? "Health check" : "Emergency recovery",
        " of this site: persist ", command, " on the site this file's directory belongs to.\n",
        "persist=$(command -v persist || echo '", request.persist_binary, "')\n",
        "cd \"$(dirname \"$0\")/..\" && exec \"$persist\" ", command, " --root . \"$@\"\n"));
    *plan.add_op() = write;
  }

  if (request.switch_current) {
    result.switch_index = plan.op_size();
    *plan.add_op() = SymlinkOf(release, "current");
    absl::StatusOr<PathState> public_html = site.Observe("public_html", false);
    if (!public_html.ok()) return public_html.status();
    if (public_html->type() == DIRECTORY) {
      *plan.add_op() = RemoveOf("public_html");
      *plan.add_op() = SymlinkOf("current/public", "public_html");
      result.notes.push_back("public_html was a directory: it now points at current/public; its old "
                             "content is in this run's stash and comes back with persist undo");
    }
  }

  // Prune: keep the newest `keep` releases, counting the new one; never the
  // live release.
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(site);
  if (!releases.ok()) return releases.status();
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

  // History: the human-readable export of the journal.
  absl::StatusOr<PathState> history = site.Observe("shared/.deployment-history", false);
  if (!history.ok()) return history.status();
  std::string content;
  if (history->type() == REGULAR) {
    absl::StatusOr<std::string> read = site.ReadFile("shared/.deployment-history", 64 << 20);
    if (!read.ok()) return read.status();
    content = *read;
  }
  if (!request.history_line.empty()) {
    Op write;
    write.mutable_write()->set_path("shared/.deployment-history");
    write.mutable_write()->set_content(content + request.history_line + "\n");
    *plan.add_op() = write;
  }
  return result;
}

}  // namespace persist
