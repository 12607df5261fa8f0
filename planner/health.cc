// Copyright persist authors.

#include "planner/health.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/trash.h"
#include "fsops/user_name.h"
#include "planner/deploy_planner.h"
#include "planner/shared_links.h"
#include "planner/web_root.h"

namespace persist {
namespace {

// Whether `user` may do `bits` (4 read, 2 write, 1 enter/execute) to an
// object owned by uid:gid with `mode`, by the classic owner/group/other rule.
bool Allows(const WebUser& user, const struct stat& st, int bits) {
  if (user.uid == 0) return true;
  int granted;
  if (st.st_uid == user.uid) {
    granted = (st.st_mode >> 6) & 7;
  } else if (std::find(user.gids.begin(), user.gids.end(), st.st_gid) != user.gids.end()) {
    granted = (st.st_mode >> 3) & 7;
  } else {
    granted = st.st_mode & 7;
  }
  return (granted & bits) == bits;
}

// The mode that lets `user` do `bits` to what `st` describes, by the bits of
// the class the user falls in (owner, group); nullopt when only the bits of
// every other user would (never given: that would open it to all).
std::optional<uint32_t> ModeAllowing(const WebUser& user, const struct stat& st, int bits) {
  const uint32_t mode = st.st_mode & 07777;
  if (st.st_uid == user.uid) return mode | (bits << 6);
  if (std::find(user.gids.begin(), user.gids.end(), st.st_gid) != user.gids.end()) {
    return mode | (bits << 3);
  }
  if (bits == (4 | 1)) return mode | 05;  // read and enter: what a web root needs anyway
  return std::nullopt;
}

Op ChmodOf(const std::string& path, uint32_t mode) {
  Op op;
  op.mutable_chmod()->set_path(path);
  op.mutable_chmod()->set_mode(mode);
  return op;
}

// The object `path` (relative to the site) names, every symlink on the way
// followed as the kernel would, within the site: its path with no symlink
// in it, or "" when a link leaves the site, dangles, or more than `hops`
// links are followed.
std::string Resolved(const Root& site, const std::string& path, int* hops) {
  std::string at;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    const std::string next = JoinPath(at, std::string(part));
    absl::StatusOr<PathState> state = site.Observe(next, false);
    if (!state.ok() || state->type() == ABSENT) return "";
    if (state->type() != SYMLINK) {
      at = next;
      continue;
    }
    if (--*hops < 0) return "";
    const std::string target = ResolveLexically(next, state->link_target());
    if (target.empty()) return "";
    at = Resolved(site, target, hops);
    if (at.empty()) return "";
  }
  return at;
}

// Where the symlink `link` finally leads within the site (what stat, not
// lstat, of it finds); "" when it leaves the site, dangles or goes on
// through more than a few links.
std::string FinalTarget(const Root& site, const std::string& link) {
  int hops = 8;
  return Resolved(site, link, &hops);
}

// Every symlink beneath `dir`, in name order, not descending into them.
absl::Status LinksBeneath(const Root& site, const std::string& dir,
                          std::vector<std::string>* links) {
  absl::StatusOr<Fd> fd = site.OpenDir(dir);
  if (!fd.ok()) return StatusErrno(fd.status()) == ENOENT ? absl::OkStatus() : fd.status();
  absl::StatusOr<std::vector<DirEntry>> entries = site.env()->ReadDir(fd->get(), dir);
  if (!entries.ok()) return entries.status();
  std::sort(entries->begin(), entries->end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  for (const DirEntry& entry : *entries) {
    const std::string path = JoinPath(dir, entry.name);
    if (entry.type == DT_LNK) {
      links->push_back(path);
    } else if (entry.type == DT_DIR) {
      absl::Status status = LinksBeneath(site, path, links);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

// Each link of the live release into shared/ whose target is gone: the app
// finds none of its data there. Made again empty where the profile says the
// path is a directory (the link's path classified persistent only as one);
// .env, storage/ and bootstrap/cache/ have checks of their own below.
absl::Status CheckLinksIntoMissingData(
    const Root& site, const Classifier& classifier, const std::string& release,
    const std::vector<std::string>& links,
    const std::function<void(std::string, std::string, std::string, std::vector<Op>)>& problem) {
  for (const std::string& link : links) {
    absl::StatusOr<PathState> state = site.Observe(link, false);
    if (!state.ok()) return state.status();
    const std::string target = ResolveLexically(link, state->link_target());
    if (target.empty() || !IsWithin(target, "shared") || target == "shared/.env" ||
        IsWithin(target, "shared/storage") || IsWithin(target, "shared/bootstrap/cache")) {
      continue;
    }
    absl::StatusOr<PathState> there = site.Observe(target, false);
    if (!there.ok()) return there.status();
    if (there->type() != ABSENT) continue;
    const std::string in_release = link.substr(release.size() + 1);
    const bool directory = classifier.Classify(in_release, true).persistent() &&
                           !classifier.Classify(in_release, false).persistent();
    std::vector<Op> make;
    if (directory) {
      // The directories down to it that are gone too, outermost first.
      std::vector<std::string> missing;
      for (std::string dir = target; dir != "shared"; dir = SplitParent(dir).first) {
        absl::StatusOr<PathState> at = site.Observe(dir, false);
        if (!at.ok()) return at.status();
        if (at->type() != ABSENT) break;
        missing.insert(missing.begin(), dir);
      }
      for (const std::string& dir : missing) make.push_back(MkdirOf(dir));
    }
    problem(
        target,
        absl::StrCat(
            "is missing, and the live release's ", link,
            " leads to it: the app finds none of that data",
            directory ? " (repair makes it again, empty, or copies it back from the newest stash "
                        "of a run that set it aside)"
                      : ""),
        absl::StrCat(directory ? absl::StrCat("mkdir -p ", target, ", then r") : "R",
                     "estore what it held from a backup (persist restore FILE) or from "
                     ".persist/rescued/"),
        make);
  }
  return absl::OkStatus();
}

// Apache's SymLinksIfOwnerMatch (and nginx's disable_symlinks if_not_owner,
// cPanel's SymlinkProtect) serve through a link only when the link and what
// it leads to have one owner: each link a request follows (public_html,
// current, and those of `release_links` within the release's public/) that
// does not is a problem. Made again by persist, a link takes the owner of the directory
// it is in when root runs persist, else the running user's: the repair is
// offered where that is the target's owner.
absl::Status CheckLinkOwners(
    const Root& site, const std::string& release, const std::vector<std::string>& release_links,
    const std::function<void(std::string, std::string, std::string, std::vector<Op>)>& problem,
    std::vector<std::string>* ok) {
  std::vector<std::string> links = {"public_html", "current"};
  // A stub web root's own links (web_root.h) are followed by every request
  // for an asset.
  absl::StatusOr<PathState> web_root = site.Observe(kWebRoot, false);
  if (!web_root.ok()) return web_root.status();
  if (web_root->type() == DIRECTORY) {
    absl::Status stub_links = LinksBeneath(site, kWebRoot, &links);
    if (!stub_links.ok()) return stub_links;
  }
  const std::string served = JoinPath(release, "public");
  for (const std::string& link : release_links) {
    if (IsWithin(link, served)) links.push_back(link);
  }
  int checked = 0;
  for (const std::string& link : links) {
    absl::StatusOr<PathState> state = site.Observe(link, false);
    if (!state.ok()) return state.status();
    if (state->type() != SYMLINK) continue;
    const std::string target = FinalTarget(site, link);
    if (target.empty()) continue;  // named by the checks above
    absl::StatusOr<struct stat> link_st = site.Lstat(link);
    if (!link_st.ok()) return link_st.status();
    absl::StatusOr<struct stat> target_st = site.Lstat(target);
    if (!target_st.ok()) return target_st.status();
    ++checked;
    if (link_st->st_uid == target_st->st_uid) continue;
    absl::StatusOr<struct stat> parent_st = site.Lstat(SplitParent(link).first);
    if (!parent_st.ok()) return parent_st.status();
    const uid_t relinked_owner = geteuid() == 0 ? parent_st->st_uid : geteuid();
    std::vector<Op> repair;
    if (relinked_owner == target_st->st_uid)
      repair.push_back(SymlinkOf(state->link_target(), link));
    problem(link,
            absl::StrCat("is a link owned by ", DescribeUser(link_st->st_uid), " to ", target,
                         ", owned by ", DescribeUser(target_st->st_uid),
                         ": Apache's SymLinksIfOwnerMatch and nginx's disable_symlinks "
                         "if_not_owner refuse to serve through it (403)"),
            absl::StrCat("chown -h ", UserName(target_st->st_uid), " ", link), repair);
  }
  ok->push_back(absl::StrCat(checked, " link(s) a request follows owned as what they lead to"));
  return absl::OkStatus();
}

// A stub web root (web_root.h) forwards to the live release `release_dir`:
// what the switch to it would change, were it made now, is what is wrong,
// and those ops are its repair.
absl::Status CheckStubWebRoot(
    const Root& site, const std::string& release_dir, const WebRootMode& mode,
    const std::function<void(std::string, std::string, std::string, std::vector<Op>)>& problem,
    std::vector<std::string>* ok) {
  StubChange change;
  change.release_dir = release_dir;
  absl::StatusOr<std::vector<PublicEntry>> entries = PublicEntriesOnDisk(site, release_dir);
  if (!entries.ok()) return entries.status();
  change.entries = *std::move(entries);
  change.replaced_dir = release_dir;
  change.copy_assets = mode.copy_assets;
  Plan plan;
  Outcomes outcomes;
  std::vector<std::string> notes;
  absl::Status planned = PlanStubWebRoot(site, change, &plan, &outcomes, &notes);
  if (!planned.ok()) {
    problem(kWebRoot, std::string(planned.message()),
            "move it away, then persist repair makes the stub web_root: \"stub\" asks for", {});
    return absl::OkStatus();
  }
  if (plan.op_size() == 0) {
    ok->push_back(absl::StrCat(kWebRoot, "/ forwards to current/public (web_root: stub",
                               mode.copy_assets ? ", assets copied" : "", ")"));
    return absl::OkStatus();
  }
  std::vector<std::string> changed;
  for (const Op& op : plan.op()) {
    const std::string& path = op.has_symlink()  ? op.symlink().path()
                              : op.has_copy()   ? op.copy().to()
                              : op.has_write()  ? op.write().path()
                              : op.has_remove() ? op.remove().path()
                                                : op.mkdir().path();
    if (IsWithin(path, kWebRoot) && path != kWebRoot) changed.push_back(SplitParent(path).second);
  }
  std::vector<Op> repair(plan.op().begin(), plan.op().end());
  problem(kWebRoot,
          changed.empty()
              ? std::string("is not the stub directory web_root: \"stub\" asks for")
              : absl::StrCat("does not forward to ", release_dir,
                             " as web_root: \"stub\" asks: ", absl::StrJoin(changed, ", "),
                             changed.size() == 1 ? " is" : " are", " missing or out of date"),
          absl::StrCat("make each again as a switch would: a link to ../current/public/NAME, or a "
                       "copy of ",
                       release_dir,
                       "/public/NAME with copy_assets; index.php as "
                       "`persist guide shared-hosting` shows"),
          repair);
  return absl::OkStatus();
}

bool IsPhpCode(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string ext = absl::AsciiStrToLower(name.substr(dot + 1));
  for (const char* php : {"php", "phtml", "phar", "php3", "php4", "php5", "php7", "php8", "phps", "pht"}) {
    if (ext == php) return true;
  }
  return false;
}

// One directory of shared/ seen by the walk: its path and stat.
using DirVisitor = std::function<void(const std::string& path, const struct stat& st)>;
using FileVisitor = std::function<void(const std::string& path)>;

// Walks the directory `rel` of the site (not following symlinks), calling
// `on_dir` for it and every directory beneath, `on_file` for every other
// entry. A directory it cannot open is reported to on_dir and not entered.
absl::Status Walk(const Root& site, int dir_fd, const std::string& name, const std::string& rel,
                  const DirVisitor& on_dir, const FileVisitor& on_file) {
  Env* env = site.env();
  struct stat st;
  absl::Status status = env->StatAt(dir_fd, name, &st, rel);
  if (!status.ok()) return status;
  if (!S_ISDIR(st.st_mode)) {
    on_file(rel);
    return absl::OkStatus();
  }
  on_dir(rel, st);
  absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY, 0, rel);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, rel);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), rel);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  for (const std::string& child : *names) {
    status = Walk(site, dir.get(), child, JoinPath(rel, child), on_dir, on_file);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Health> CheckSiteHealth(const Root& site, const Classifier& classifier,
                                       const WebUser& web_user, const WebRootMode& web_root) {
  Health health;
  auto problem = [&](std::string path, std::string what, std::string fix,
                     std::vector<Op> repair = {}) {
    health.problems.push_back(
        Problem{std::move(path), std::move(what), std::move(fix), std::move(repair)});
  };

  // An emptier that failed left why; the trash keeps what it could not remove.
  absl::StatusOr<std::string> trash_failure = LastTrashFailure(site);
  if (!trash_failure.ok()) return trash_failure.status();
  if (!trash_failure->empty()) {
    problem(kTrashDir, absl::StrCat("could not be emptied (", *trash_failure, ")"),
            "persist empty-trash (it says what stops it; it succeeds once that is fixed)");
  }

  // Data persist kept rather than deleted waits for the operator.
  absl::StatusOr<std::vector<std::string>> rescued = site.List(".persist/rescued");
  if (!rescued.ok()) return rescued.status();
  for (const std::string& name : *rescued) {
    health.notes.push_back(absl::StrCat(
        ".persist/rescued/", name,
        "/ holds data persist kept rather than delete (what a run "
        "displaced, or found in its way): look through it, put back what belongs to the site, "
        "then remove it"));
  }

  // current -> releases/<id>, a directory.
  absl::StatusOr<std::vector<std::string>> releases = ListReleases(site);
  if (!releases.ok()) return releases.status();
  const std::string newest = releases->empty() ? "" : releases->back();
  absl::StatusOr<PathState> current = site.Observe("current", false);
  if (!current.ok()) return current.status();
  std::string live;
  // current made (again) a link to the newest release: only where it is no
  // file or directory, which would hold something else than a link.
  std::vector<Op> relink_current;
  if (!newest.empty()) relink_current.push_back(SymlinkOf(JoinPath("releases", newest), "current"));
  if (current->type() != SYMLINK) {
    problem("current",
            current->type() == ABSENT
                ? "is missing: no release is live"
                : absl::StrCat("is a ", FileTypeName(current->type()), ", not a symlink"),
            newest.empty() ? "persist deploy SRC" : "persist switch " + newest,
            current->type() == ABSENT ? relink_current : std::vector<Op>());
    // What follows is checked in the release the fix makes live.
    if (current->type() == ABSENT) live = newest;
  } else {
    const std::string resolved = ResolveLexically("current", current->link_target());
    absl::StatusOr<PathState> target = resolved.empty() ? absl::StatusOr<PathState>(PathState())
                                                        : site.Observe(resolved, false);
    if (!target.ok()) return target.status();
    if (SplitParent(resolved).first != "releases" || target->type() != DIRECTORY) {
      problem("current",
              absl::StrCat("points at ", PrintablePath(current->link_target()),
                           ", which is not a release directory under releases/"),
              newest.empty() ? "persist deploy SRC" : "persist switch " + newest, relink_current);
      live = newest;
    } else {
      live = SplitParent(resolved).second;
      health.ok.push_back("current -> releases/" + live);
    }
  }

  // The live release's links, walked once for the checks of shared data
  // and of link owners below.
  const std::string release = live.empty() ? "" : JoinPath("releases", live);
  std::vector<std::string> release_links;
  if (!live.empty()) {
    absl::Status walked = LinksBeneath(site, release, &release_links);
    if (!walked.ok()) return walked;
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
      const std::vector<Op> relink = {SymlinkOf(RelativeTarget(link, want), link)};
      if (state->type() != SYMLINK) {
        if (state->type() == ABSENT) {
          problem(link, absl::StrCat("is missing, so the app cannot reach ", want), fix, relink);
        } else {
          problem(link,
                  absl::StrCat("is a ", FileTypeName(state->type()), ", not a link to ", want,
                               ": data written there is lost on the next deploy"),
                  absl::StrCat("move what it holds into ", want, ", then ", fix));
        }
      } else if (ResolveLexically(link, state->link_target()) != want) {
        problem(link,
                absl::StrCat("points at ", PrintablePath(state->link_target()), ", not at ", want),
                fix, relink);
      } else {
        ++linked;
      }
    }
    health.ok.push_back(absl::StrCat(linked, " persistent path", linked == 1 ? "" : "s",
                                     " of the live release linked into shared/"));
    absl::Status dangling =
        CheckLinksIntoMissingData(site, classifier, release, release_links, problem);
    if (!dangling.ok()) return dangling;
  }

  if (!live.empty()) {
    absl::Status owners = CheckLinkOwners(site, release, release_links, problem, &health.ok);
    if (!owners.ok()) return owners;
  }

  // public_html, where there is one, serves current/public.
  // (Checked before what lives in shared/, which may not exist yet.)
  absl::StatusOr<PathState> public_html = site.Observe("public_html", false);
  if (!public_html.ok()) return public_html.status();
  if (web_root.stub) {
    if (!live.empty()) {
      absl::Status stub =
          CheckStubWebRoot(site, JoinPath("releases", live), web_root, problem, &health.ok);
      if (!stub.ok()) return stub;
    }
  } else if (public_html->type() == SYMLINK) {
    if (ResolveLexically("public_html", public_html->link_target()) != "current/public") {
      problem("public_html",
              absl::StrCat("points at ", PrintablePath(public_html->link_target()),
                           ", not at current/public"),
              "ln -sfn current/public public_html", {SymlinkOf("current/public", "public_html")});
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
            "chmod o-rwx shared/.env", {ChmodOf("shared/.env", env->mode() & ~0007u)});
  } else {
    health.ok.push_back("shared/.env is private");
  }

  // Laravel writes to storage/ and bootstrap/cache/.
  for (const char* dir : {"shared/storage", "shared/bootstrap/cache"}) {
    absl::StatusOr<PathState> state = site.Observe(dir, false);
    if (!state.ok()) return state.status();
    if (state->type() == ABSENT && !SplitParent(dir).first.empty()) {
      std::vector<Op> make;
      const std::string parent = SplitParent(dir).first;
      if (parent != "shared") {
        absl::StatusOr<PathState> above = site.Observe(parent, false);
        if (!above.ok()) return above.status();
        if (above->type() == ABSENT) make.push_back(MkdirOf(parent));
      }
      make.push_back(MkdirOf(dir));
      problem(dir, "is missing", absl::StrCat("mkdir -p ", dir), make);
    } else if (state->type() != DIRECTORY) {
      problem(dir, "is missing", absl::StrCat("mkdir -p ", dir));
    } else if ((state->mode() & 0200) == 0) {
      problem(dir, absl::StrFormat("is not writable (mode %04o)", state->mode()),
              absl::StrCat("chmod u+w ", dir), {ChmodOf(dir, state->mode() | 0200)});
    } else {
      health.ok.push_back(absl::StrCat(dir, " is writable"));
    }
  }

  // Laravel compiles views, caches and writes logs into storage/: a
  // storage/ without those directories serves errors.
  absl::StatusOr<PathState> artisan =
      live.empty() ? absl::StatusOr<PathState>(PathState())
                   : site.Observe(JoinPath(JoinPath("releases", live), "artisan"), false);
  if (!artisan.ok()) return artisan.status();
  absl::StatusOr<PathState> storage = site.Observe("shared/storage", false);
  if (!storage.ok()) return storage.status();
  if (artisan->type() == REGULAR && storage->type() == DIRECTORY) {
    std::vector<std::string> missing;
    std::vector<Op> make;
    // Views only: older Laravels do not make the directory they compile
    // views into, where cache, sessions and logs are made on first use or
    // depend on the drivers configured.
    for (const char* dir : {"framework", "framework/views"}) {
      const std::string path = JoinPath("shared/storage", dir);
      absl::StatusOr<PathState> state = site.Observe(path, false);
      if (!state.ok()) return state.status();
      if (state->type() == ABSENT) make.push_back(MkdirOf(path));
      if (state->type() != DIRECTORY && std::string(dir) == "framework/views") {
        missing.push_back(path);
      }
    }
    // A file in the way is for the operator to look at.
    if (make.empty() || make.back().mkdir().path() != "shared/storage/framework/views")
      make.clear();
    if (missing.empty()) {
      health.ok.push_back("shared/storage holds Laravel's framework/views/");
    } else {
      problem("shared/storage",
              absl::StrCat("lacks ", absl::StrJoin(missing, ", "),
                           ": Laravel cannot write its compiled views"),
              absl::StrCat("mkdir -p ", absl::StrJoin(missing, " "), " (as the web server's user)"),
              make);
    }
  }

  // What the web server's user can reach, and code planted among uploads.
  absl::StatusOr<Fd> root_dir = site.OpenDir("");
  if (!root_dir.ok()) return root_dir.status();
  int unreadable = 0, unwritable = 0, planted = 0;
  auto on_dir = [&](const std::string& path, const struct stat& st) {
    const bool writes = IsWithin(path, "shared/storage") || IsWithin(path, "shared/bootstrap/cache");
    // The bits the web server's user lacks, where a chmod can give them
    // without opening the directory to every user for writing.
    auto repair = [&](int bits) {
      std::optional<uint32_t> mode = ModeAllowing(web_user, st, bits);
      return mode.has_value() ? std::vector<Op>{ChmodOf(path, *mode)} : std::vector<Op>();
    };
    if (!Allows(web_user, st, 4 | 1)) {
      if (++unreadable <= 5) {
        problem(path,
                absl::StrFormat("cannot be read by the web server's user %s (mode %04o)",
                                web_user.name, st.st_mode & 07777),
                absl::StrCat("chown ", web_user.name, " ", path, ", or chmod a+rx ", path),
                repair(4 | 1));
      }
    } else if (writes && !Allows(web_user, st, 2 | 1)) {
      if (++unwritable <= 5) {
        problem(path,
                absl::StrFormat("cannot be written by the web server's user %s (mode %04o), "
                                "where Laravel writes",
                                web_user.name, st.st_mode & 07777),
                absl::StrCat("chown -R ", web_user.name, " ", path, ", or chmod u+w ", path),
                repair(2 | 1));
      }
    }
  };
  auto on_file = [&](const std::string& path) {
    if (!IsPhpCode(SplitParent(path).second)) return;
    bool in_upload = false;
    for (std::string p = SplitParent(path.substr(strlen("shared/"))).first; !p.empty();
         p = SplitParent(p).first) {
      const Classification dir = classifier.Classify(p, true);
      if (dir.cls == PathClass::kUser || dir.cls == PathClass::kRuntime) in_upload = true;
    }
    if (!in_upload) return;
    if (++planted <= 20) {
      problem(path, "is PHP code in a folder of uploads or generated files, where no code belongs "
                    "(the usual shape of a planted web shell)",
              absl::StrCat("inspect it; if nobody put it there on purpose, move it out of the site "
                           "and look for how it got in"));
    }
  };
  absl::Status walked = Walk(site, root_dir->get(), "shared", "shared", on_dir, on_file);
  if (!walked.ok()) return walked;
  if (unreadable > 5 || unwritable > 5 || planted > 20) {
    problem("shared", absl::StrCat(unreadable, " unreadable and ", unwritable, " unwritable directories, ",
                                   planted, " PHP files in upload folders in all (the first are above)"),
            "fix those above, then run persist verify again");
  }
  if (unreadable == 0 && unwritable == 0) {
    health.ok.push_back(absl::StrCat("the web server's user ", web_user.name,
                                     " can read shared/ and write storage/ and bootstrap/cache/"));
  }
  if (planted == 0) health.ok.push_back("no PHP code in the upload and generated-file folders");
  return health;
}

}  // namespace persist
