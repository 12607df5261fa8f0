// Copyright persist authors.

#include "planner/web_root.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/error_kind.h"
#include "base/error_path.h"
#include "fsops/describe_op.h"
#include "fsops/path.h"
#include "planner/deploy_planner.h"
#include "planner/profile.h"
#include "planner/shared_links.h"

namespace persist {
namespace {

// Where a stub replacing a symlinked public_html is built, to be swapped in
// by one exchange.
constexpr char kStubBeside[] = ".public_html.persist-stub";

// Files the web server or PHP reads from the served directory itself, where
// a link may not be followed: always copies.
bool IsServerConfig(const std::string& name) { return name == ".htaccess" || name == ".user.ini"; }

// What one entry of public_html must be.
struct Wanted {
  FileType type = ABSENT;
  std::string link_target;  // a SYMLINK's
  std::string content;      // a generated REGULAR file's
  std::string copy_from;    // a copy's source, relative to the site
};

// `target`, a link's target at `release_dir`/public/`name`, as a link at
// public_html/`name` must say it to lead to the same place: through current
// when it leads into the release, to shared/ (or wherever) directly
// otherwise; an absolute target is kept.
std::string RebasedTarget(const std::string& release_dir, const std::string& name,
                          const std::string& target) {
  if (!target.empty() && target[0] == '/') return target;
  const std::string resolved =
      ResolveLexically(JoinPath(JoinPath(release_dir, "public"), name), target);
  if (resolved.empty()) return target;  // climbs out: kept, verify names it
  std::string in_site = resolved;
  if (IsWithin(resolved, release_dir)) {
    in_site = resolved == release_dir
                  ? "current"
                  : JoinPath("current", resolved.substr(release_dir.size() + 1));
  }
  return RelativeTarget(JoinPath(kWebRoot, name), in_site);
}

Wanted WantedFor(const StubChange& change, const PublicEntry& entry) {
  Wanted wanted;
  if (entry.name == "index.php") {
    wanted.type = REGULAR;
    wanted.content = StubIndexPhp();
  } else if (entry.type == SYMLINK && change.copy_assets) {
    wanted.type = SYMLINK;
    wanted.link_target = RebasedTarget(change.release_dir, entry.name, entry.link_target);
  } else if (IsServerConfig(entry.name) || (change.copy_assets && entry.type != SYMLINK)) {
    wanted.type = entry.type;
    wanted.copy_from = JoinPath(JoinPath(change.release_dir, "public"), entry.name);
  } else {
    wanted.type = SYMLINK;
    wanted.link_target = JoinPath("../current/public", entry.name);
  }
  return wanted;
}

// Whether `have`, found at public_html/`name`, is already `wanted`. A copy
// is remade whenever the release changes; on the same release, one with
// the source's type (and a file with its size and mtime) is taken as made.
absl::StatusOr<bool> AlreadyThere(const Root& site, const StubChange& change, const Wanted& wanted,
                                  const std::string& path, const PathState& have) {
  if (have.type() != wanted.type) return false;
  if (wanted.type == SYMLINK) return have.link_target() == wanted.link_target;
  if (!wanted.content.empty()) {
    if (have.size() != wanted.content.size()) return false;
    absl::StatusOr<std::string> content = site.ReadFile(path, wanted.content.size());
    if (!content.ok()) return false;  // remade, which stashes what is there
    return *content == wanted.content;
  }
  if (change.release_dir != change.replaced_dir) return false;
  if (have.type() != REGULAR) return true;
  absl::StatusOr<PathState> source = site.Observe(wanted.copy_from, false);
  if (!source.ok()) return source.status();
  return source->size() == have.size() && source->mtime_ns() == have.mtime_ns() &&
         source->mode() == have.mode();
}

// Adds the ops that make `dir` (public_html, or the stub built beside it:
// `existing` says whether it exists yet) hold what `change` wants, and
// expects each entry in public_html, where `dir` ends.
absl::Status PlanEntries(const Root& site, const StubChange& change, const std::string& dir,
                         bool existing, Plan* plan, Outcomes* outcomes,
                         std::vector<std::string>* notes) {
  auto expect = [&](const std::string& name, FileType type, const std::string& target = "") {
    outcomes->Expect(JoinPath(kWebRoot, name), type, target);
  };
  // What the release being replaced shipped, and links made through
  // current, were the stub's own; the rest is the operator's.
  absl::StatusOr<std::vector<PublicEntry>> replaced =
      change.replaced_dir.empty() || !existing ? std::vector<PublicEntry>()
                                               : PublicEntriesOnDisk(site, change.replaced_dir);
  if (!replaced.ok()) return replaced.status();
  std::set<std::string> replaced_names;
  for (const PublicEntry& entry : *replaced) replaced_names.insert(entry.name);
  auto stubs_own = [&](const std::string& name, const PathState& have) {
    return replaced_names.count(name) > 0 ||
           (have.type() == SYMLINK && absl::StartsWith(have.link_target(), "../current/"));
  };
  std::vector<std::string> displaced;

  std::set<std::string> wanted_names;
  for (const PublicEntry& entry : change.entries) {
    wanted_names.insert(entry.name);
    const Wanted wanted = WantedFor(change, entry);
    const std::string path = JoinPath(dir, entry.name);
    if (existing) {
      absl::StatusOr<PathState> have = site.Observe(path, false);
      if (!have.ok()) return have.status();
      absl::StatusOr<bool> done = AlreadyThere(site, change, wanted, path, *have);
      if (!done.ok()) return done.status();
      if (*done) continue;
      if (have->type() != ABSENT && !stubs_own(entry.name, *have)) displaced.push_back(entry.name);
    }
    if (wanted.type == SYMLINK) {
      *plan->add_op() = SymlinkOf(wanted.link_target, path);
      expect(entry.name, SYMLINK, wanted.link_target);
    } else if (!wanted.copy_from.empty()) {
      *plan->add_op() = CopyOf(wanted.copy_from, path);
      expect(entry.name, wanted.type);
    } else {
      Op write;
      write.mutable_write()->set_path(path);
      write.mutable_write()->set_content(wanted.content);
      write.mutable_write()->set_mode(0644);
      *plan->add_op() = write;
      expect(entry.name, REGULAR);
    }
  }
  if (!existing) return absl::OkStatus();

  if (!displaced.empty()) {
    notes->push_back(absl::StrCat(
        absl::StrJoin(displaced, ", ",
                      [](std::string* out, const std::string& name) {
                        absl::StrAppend(out, kWebRoot, "/", name);
                      }),
        " did not come from a release: the release's own takes the name, and what was there "
        "waits in this run's stash (persist undo puts it back; it is moved to "
        ".persist/rescued/ when the run leaves the undo window, never deleted)"));
  }

  // The stub's own entries that the new release lacks go (to the stash).
  absl::StatusOr<std::vector<std::string>> names = site.List(dir);
  if (!names.ok()) return names.status();
  std::vector<std::string> kept;
  for (const std::string& name : *names) {
    if (wanted_names.count(name) > 0) continue;
    const std::string path = JoinPath(dir, name);
    absl::StatusOr<PathState> have = site.Observe(path, false);
    if (!have.ok()) return have.status();
    if (stubs_own(name, *have)) {
      *plan->add_op() = RemoveOf(path);
      expect(name, ABSENT);
    } else {
      kept.push_back(name);
    }
  }
  if (!kept.empty()) {
    notes->push_back(absl::StrCat(
        kWebRoot, "/ holds ", absl::StrJoin(kept, ", "),
        ", which no release ships: left in place as the operator's (remove what is not)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WebRootMode> WebRootModeOf(const Profile& profile) {
  WebRootMode mode;
  if (profile.web_root() == "stub") {
    mode.stub = true;
  } else if (!profile.web_root().empty() && profile.web_root() != "link") {
    return absl::InvalidArgumentError(absl::StrCat(
        kProfilePath, ": web_root \"", profile.web_root(),
        "\" is not a web root mode; write web_root: \"link\" (public_html a symlink to "
        "current/public) or web_root: \"stub\" (a real public_html forwarding to it)"));
  }
  if (profile.copy_assets() && !mode.stub) {
    return absl::InvalidArgumentError(
        absl::StrCat(kProfilePath,
                     ": copy_assets needs web_root: \"stub\" (a symlinked public_html has "
                     "nothing to copy into); set both, or remove copy_assets"));
  }
  mode.copy_assets = profile.copy_assets();
  return mode;
}

absl::StatusOr<std::vector<PublicEntry>> PublicEntriesOnDisk(const Root& site,
                                                             const std::string& release_dir) {
  const std::string public_dir = JoinPath(release_dir, "public");
  absl::StatusOr<std::vector<std::string>> names = site.List(public_dir);
  if (!names.ok()) return names.status();
  std::vector<PublicEntry> entries;
  for (const std::string& name : *names) {
    absl::StatusOr<PathState> state = site.Observe(JoinPath(public_dir, name), false);
    if (!state.ok()) return state.status();
    entries.push_back(PublicEntry{name, state->type(), state->link_target()});
  }
  return entries;
}

absl::StatusOr<std::vector<PublicEntry>> PublicEntriesPlanned(const SourceTree& tree,
                                                              const std::string& release_dir,
                                                              const Plan& plan) {
  std::map<std::string, std::string> linked;  // name -> target
  const std::string public_dir = JoinPath(release_dir, "public");
  for (const Op& op : plan.op()) {
    if (!op.has_symlink()) continue;
    const auto [parent, name] = SplitParent(op.symlink().path());
    if (parent == public_dir) linked[name] = op.symlink().target();
  }
  absl::StatusOr<PathState> top = tree.Observe("public", false);
  if (!top.ok()) return top.status();
  if (top->type() != DIRECTORY) return std::vector<PublicEntry>();
  absl::StatusOr<std::vector<std::string>> names = tree.List("public");
  if (!names.ok()) return names.status();
  std::set<std::string> all(names->begin(), names->end());
  for (const auto& [name, target] : linked) all.insert(name);
  std::vector<PublicEntry> entries;
  for (const std::string& name : all) {
    auto link = linked.find(name);
    if (link != linked.end()) {
      entries.push_back(PublicEntry{name, SYMLINK, link->second});
      continue;
    }
    absl::StatusOr<PathState> state = tree.Observe(JoinPath("public", name), false);
    if (!state.ok()) return state.status();
    entries.push_back(PublicEntry{name, state->type(), state->link_target()});
  }
  return entries;
}

std::string StubIndexPhp() {
  // current is read on every request rather than required through: PHP's
  // realpath cache (120 s by default) and OPcache key on the path as
  // written, and would go on answering with the release of before a switch
  // where the operator cannot reload PHP, as on the hosts this is for. A
  // path naming the release itself is new to both caches after a switch.
  return "<?php\n"
         "// Made by persist (web_root: \"stub\"): this directory is the web root, and the\n"
         "// live release's public/index.php answers every request. persist puts this\n"
         "// file back as it is at every switch: change the release's public/index.php.\n"
         "// current is read on every request, so that no cache of PHP's (realpath,\n"
         "// OPcache) keeps serving the release of before a switch.\n"
         "$release = readlink(__DIR__ . '/../current');\n"
         "if ($release === false) {\n"
         "    http_response_code(503);\n"
         "    exit(\"No release is live: current is missing.\\n\");\n"
         "}\n"
         "require ($release[0] === '/' ? $release : __DIR__ . '/../' . $release) . "
         "'/public/index.php';\n";
}

absl::Status PlanStubWebRoot(const Root& site, const StubChange& change, Plan* plan,
                             Outcomes* outcomes, std::vector<std::string>* notes) {
  absl::StatusOr<PathState> web_root = site.Observe(kWebRoot, false);
  if (!web_root.ok()) return web_root.status();
  switch (web_root->type()) {
    case DIRECTORY:
      return PlanEntries(site, change, kWebRoot, /*existing=*/true, plan, outcomes, notes);
    case ABSENT: {
      *plan->add_op() = MkdirOf(kWebRoot);
      outcomes->Expect(kWebRoot, DIRECTORY);
      return PlanEntries(site, change, kWebRoot, /*existing=*/false, plan, outcomes, notes);
    }
    case SYMLINK: {
      absl::StatusOr<PathState> beside = site.Observe(kStubBeside, false);
      if (!beside.ok()) return beside.status();
      if (beside->type() != ABSENT) {
        return WithPath(
            UsageError(absl::StrCat(kStubBeside,
                                    " is in the way of the public_html stub persist builds "
                                    "beside public_html; move it away, then run again")),
            kStubBeside);
      }
      *plan->add_op() = MkdirOf(kStubBeside);
      absl::Status entries =
          PlanEntries(site, change, kStubBeside, /*existing=*/false, plan, outcomes, notes);
      if (!entries.ok()) return entries;
      // One rename serves the stub where the link was; the link then goes
      // to the stash.
      Op swap;
      swap.mutable_exchange()->set_a(kStubBeside);
      swap.mutable_exchange()->set_b(kWebRoot);
      *plan->add_op() = swap;
      *plan->add_op() = RemoveOf(kStubBeside);
      outcomes->Expect(kWebRoot, DIRECTORY);
      outcomes->Expect(kStubBeside, ABSENT);
      notes->push_back(
          absl::StrCat(kWebRoot,
                       " was a symlink: it is now a real directory forwarding to current/public "
                       "(web_root: \"stub\"); the link waits in this run's stash"));
      return absl::OkStatus();
    }
    default:
      return WithPath(UsageError(absl::StrCat(
                          kWebRoot, " is a ", FileTypeName(web_root->type()),
                          ", not a directory: a stub web root (web_root: \"stub\") cannot be made "
                          "there; move it away, then run again")),
                      kWebRoot);
  }
}

}  // namespace persist
