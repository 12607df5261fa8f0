// Copyright persist authors.

#include "planner/shared_links.h"

#include <errno.h>
#include <fcntl.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/tree.h"
#include "planner/deploy_planner.h"
#include "planner/profile.h"

namespace persist {

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

namespace {

// What a merge of the app's copy of a persistent directory into shared/
// planned: entries added to shared/, and files both hold (the same content,
// or not).
struct MergeCount {
  int added = 0;
  int same = 0;
  int differing = 0;
};

// Plans, for every entry of SRC/rel that shared/rel lacks, an op that puts
// the app's copy there: a move (`move`: the app's copy is being replaced by
// a link anyway, so nothing is copied twice) or a copy (--merge-new, which
// leaves the release's tree as shipped). Directories both hold are merged
// entry by entry; nothing in shared/ is ever overwritten.
absl::Status PlanMerge(const Root& site, const SharedLinkOptions& options, const std::string& rel,
                       bool move, Plan* plan, Outcomes* outcomes, MergeCount* count) {
  const SourceTree& source = *options.source;
  absl::StatusOr<std::vector<std::string>> names = source.List(rel);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    const std::string child = JoinPath(rel, name);
    const std::string in_app = JoinPath(options.app_dir, child);
    const std::string in_shared = JoinPath(options.shared_dir, child);
    absl::StatusOr<PathState> kept = site.Observe(in_shared, false);
    if (!kept.ok()) return kept.status();
    absl::StatusOr<PathState> shipped = source.Observe(child, false);
    if (!shipped.ok()) return shipped.status();
    if (kept->type() == ABSENT) {
      *plan->add_op() = move ? MoveOf(in_app, in_shared) : CopyOf(in_app, in_shared);
      outcomes->Expect(in_shared, shipped->type(), shipped->link_target());
      ++count->added;
    } else if (kept->type() == DIRECTORY && shipped->type() == DIRECTORY) {
      absl::Status status = PlanMerge(site, options, child, move, plan, outcomes, count);
      if (!status.ok()) return status;
    } else if (kept->type() == DIRECTORY || shipped->type() == DIRECTORY) {
      ++count->differing;
    } else {
      absl::StatusOr<PathState> kept_digest = site.Observe(in_shared, true);
      if (!kept_digest.ok()) return kept_digest.status();
      absl::StatusOr<PathState> shipped_digest = source.Observe(child, true);
      if (!shipped_digest.ok()) return shipped_digest.status();
      const bool same = kept_digest->type() == shipped_digest->type() &&
                        kept_digest->digest() == shipped_digest->digest() &&
                        kept_digest->link_target() == shipped_digest->link_target();
      ++(same ? count->same : count->differing);
    }
  }
  return absl::OkStatus();
}

// The persistent paths to link: the top-most persistent candidates of the
// release, and the exact persistent rules (which may be absent from it).
}  // namespace

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


namespace {

// Whether the app's copy of a persistent path that shared/ holds too is
// merged into shared/ (what shared/ lacks moves in), rather than kept out
// of it: where both are directories and the app's copy is content to keep.
// That is demo content on a first deploy (into a shared/ the operator made
// ahead), possibly live data in place (persist link), and anything while
// shared/'s copy holds no data yet (nothing but empty directories).
absl::StatusOr<bool> MergesIntoShared(const Root& site, const SharedLinkOptions& options,
                                      const std::string& in_shared, const PathState& kept,
                                      const PathState& shipped) {
  if (kept.type() != DIRECTORY || shipped.type() != DIRECTORY) return false;
  if (options.first || options.in_place) return true;
  std::string leaf;
  absl::StatusOr<Fd> parent = site.OpenParent(in_shared, &leaf);
  if (!parent.ok()) return parent.status();
  return HoldsOnlyDirectories(site.env(), Entry{parent->get(), leaf, in_shared});
}

// Moves into shared/ every entry of the app's copy of `rel` that shared/
// lacks, and says what stays behind in the stash.
absl::Status PlanMergeIntoShared(PlanBuilder& builder, const SharedLinkOptions& options,
                                 const std::string& rel) {
  MergeCount merged;
  absl::Status status = PlanMerge(builder.site(), options, rel, /*move=*/true, &builder.plan(),
                                  &builder.outcomes(), &merged);
  if (!status.ok()) return status;
  const std::string in_app = JoinPath(options.app_dir, rel);
  const std::string in_shared = JoinPath(options.shared_dir, rel);
  if (merged.added > 0) {
    builder.notes().push_back(absl::StrCat(merged.added, " entr", merged.added == 1 ? "y" : "ies",
                                           " of ", in_app, " moved into ", in_shared,
                                           ", which lacked ", merged.added == 1 ? "it" : "them"));
  }
  if (merged.differing > 0) {
    builder.notes().push_back(absl::StrCat(
        merged.differing, " entr", merged.differing == 1 ? "y" : "ies", " of ", in_app,
        " differ from what ", in_shared, " holds under the same name; ", in_shared,
        "'s are kept, ", options.in_place ? "the app's" : "the release's",
        " wait in this run's stash and are moved to .persist/rescued/ when the run leaves the "
        "undo window: compare them"));
  }
  return absl::OkStatus();
}

// Keeps shared/'s copy of `rel` as it is (user data is never overwritten);
// with --merge-new, first copies in what it lacks.
absl::Status PlanKeepShared(PlanBuilder& builder, const SharedLinkOptions& options,
                            const std::string& rel) {
  absl::StatusOr<SourceTree::Size> size = options.source->Measure(rel);
  if (!size.ok()) return size.status();
  absl::StatusOr<PathState> shipped = options.source->Observe(rel, false);
  if (!shipped.ok()) return shipped.status();
  if (options.merge_new && shipped->type() == DIRECTORY) {
    MergeCount merged;
    absl::Status status = PlanMerge(builder.site(), options, rel, /*move=*/false, &builder.plan(),
                                    &builder.outcomes(), &merged);
    if (!status.ok()) return status;
    builder.notes().push_back(absl::StrCat("--merge-new: ", merged.added, " new entr",
                                           merged.added == 1 ? "y" : "ies", " of ", rel,
                                           " added to shared/"));
  }
  builder.notes().push_back(absl::StrCat(
      "the release ships ", rel, " (", size->files, " file", size->files == 1 ? "" : "s", ", ",
      size->bytes, " bytes); ", JoinPath(options.shared_dir, rel), " is kept as it is",
      options.merge_new ? "" : " (--merge-new adds files it lacks)"));
  return absl::OkStatus();
}

}  // namespace

absl::Status PlanBuilder::EnsureDir(const std::string& path) {
  std::vector<std::string> chain;
  for (std::string p = path; !p.empty(); p = SplitParent(p).first) chain.insert(chain.begin(), p);
  for (const std::string& p : chain) {
    if (made_.count(p)) continue;
    absl::StatusOr<PathState> state = site_.Observe(p, false);
    if (!state.ok()) return state.status();
    if (state->type() == ABSENT) {
      *plan_.add_op() = MkdirOf(p);
    } else if (state->type() != DIRECTORY) {
      return Refuse(absl::StrCat(PrintablePath(p), " in the site is a ", FileTypeName(state->type()),
                                 " where persist needs a directory; move it away and run again"));
    }
    made_.insert(p);
  }
  return absl::OkStatus();
}

absl::Status PlanSharedLinks(PlanBuilder& builder, const Classifier& classifier,
                             const std::vector<Classification>& rows,
                             const SharedLinkOptions& options) {
  const Root& site = builder.site();
  const SourceTree& source = *options.source;
  std::set<std::string> exact_dirs;
  for (const Rule& rule : classifier.ExactPersistentRules()) {
    if (rule.dir_only) exact_dirs.insert(rule.pattern);
  }
  for (const Classification& row : PersistentRoots(rows, classifier)) {
    if (options.only.has_value() && row.cls != *options.only) continue;
    const std::string in_release = JoinPath(options.app_dir, row.path);
    const std::string in_shared = JoinPath(options.shared_dir, row.path);
    absl::StatusOr<PathState> shipped = source.Observe(row.path, false);
    if (!shipped.ok()) return shipped.status();
    absl::StatusOr<PathState> kept = site.Observe(in_shared, false);
    if (!kept.ok()) return kept.status();
    if ((options.in_place || options.carries_links) && shipped->type() == SYMLINK &&
        ResolveLexically(in_release, shipped->link_target()) == in_shared) {
      if (options.in_place) {
        builder.notes().push_back(absl::StrCat(row.path, " is already linked to ", in_shared));
      }
      continue;
    }
    if (shipped->type() == SYMLINK) {
      return Refuse(absl::StrCat(
          row.path, " in the release is a symlink (-> ", PrintablePath(shipped->link_target()),
          "), where persist expects ", row.is_dir ? "a directory" : "a file",
          " to keep in shared/; persist never follows it: replace it with the real ",
          row.is_dir ? "directory" : "file", " in ", source.Name("")));
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
      absl::Status status = builder.EnsureDir(SplitParent(in_shared).first);
      if (!status.ok()) return status;
      *builder.plan().add_op() = MoveOf(in_release, in_shared);
      builder.outcomes().Expect(in_shared, shipped->type());
      if (is_env && (shipped->mode() & 0007) != 0) {
        Op chmod;
        chmod.mutable_chmod()->set_path(in_shared);
        chmod.mutable_chmod()->set_mode(shipped->mode() & 0770);
        *builder.plan().add_op() = chmod;
        builder.notes().push_back(".env was world-readable in the release; shared/.env is not");
      }
      if (!options.first) builder.notes().push_back(absl::StrCat("new persistent path ", row.path, " seeded from the release"));
      will_exist = true;
    } else if (kept->type() != ABSENT && shipped->type() != ABSENT && options.app_holds_live_data) {
      return Refuse(absl::StrCat(
          "both ", in_release, " and ", in_shared, " hold data; persist will not hide either: "
          "merge them by hand into ", in_shared, ", remove ", in_release, ", and run again"));
    } else if (kept->type() != ABSENT && shipped->type() != ABSENT) {
      absl::StatusOr<bool> merge = MergesIntoShared(site, options, in_shared, *kept, *shipped);
      if (!merge.ok()) return merge.status();
      absl::Status status = *merge ? PlanMergeIntoShared(builder, options, row.path)
                                   : PlanKeepShared(builder, options, row.path);
      if (!status.ok()) return status;
      *builder.plan().add_op() = RemoveOf(in_release);
    } else if (is_env && kept->type() == ABSENT) {
      absl::StatusOr<PathState> example = source.Observe(".env.example", false);
      if (!example.ok()) return example.status();
      if (example->type() == REGULAR) {
        absl::Status status = builder.EnsureDir(options.shared_dir);
        if (!status.ok()) return status;
        *builder.plan().add_op() = CopyOf(JoinPath(options.app_dir, ".env.example"), in_shared);
        builder.outcomes().Expect(in_shared, REGULAR);
        Op chmod;
        chmod.mutable_chmod()->set_path(in_shared);
        chmod.mutable_chmod()->set_mode(0600);
        *builder.plan().add_op() = chmod;
        builder.notes().push_back("warning: shared/.env was seeded from .env.example: set APP_KEY "
                               "(php artisan key:generate) and the database settings in it");
        will_exist = true;
      } else {
        builder.notes().push_back("warning: neither the release nor shared/ has a .env, and there is no "
                               ".env.example to seed one: create shared/.env");
      }
    }
    if (!will_exist && exact_dirs.count(row.path) > 0 && kept->type() == ABSENT &&
        shipped->type() == ABSENT) {
      // A directory the profile names that the release does not ship (Laravel
      // ships no public/uploads/; the app makes it at run time): made in
      // shared/ and linked now, so that what the app writes there is shared
      // data from the start, not left behind in this release. Only where
      // the release has the directory it would go in.
      absl::StatusOr<PathState> parent = source.Observe(SplitParent(row.path).first, false);
      if (!parent.ok()) return parent.status();
      if (parent->type() == DIRECTORY) {
        absl::Status status = builder.EnsureDir(in_shared);
        if (!status.ok()) return status;
        builder.outcomes().Expect(in_shared, DIRECTORY);
        builder.notes().push_back(absl::StrCat(in_shared, "/ was made (empty) and linked: the ",
                                               options.in_place ? "app" : "release", " does not ship ",
                                               row.path, "/"));
        will_exist = true;
      }
    }
    if (!will_exist) continue;
    absl::StatusOr<PathState> parent_in_source = source.Observe(SplitParent(row.path).first, false);
    if (!parent_in_source.ok()) return parent_in_source.status();
    if (parent_in_source->type() != DIRECTORY) {
      absl::Status status = builder.EnsureDir(SplitParent(in_release).first);
      if (!status.ok()) return status;
    }
    *builder.plan().add_op() = SymlinkOf(RelativeTarget(in_release, in_shared), in_release);
    builder.outcomes().Expect(in_release, SYMLINK, RelativeTarget(in_release, in_shared));
  }

  return absl::OkStatus();
}

}  // namespace persist
