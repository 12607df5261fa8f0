// Copyright persist authors.

#include "workflows/purge_guard.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/stash_layout.h"
#include "fsops/tree.h"
#include "planner/audit.h"
#include "spdlog/spdlog.h"

namespace persist {
namespace {

// The path a run's op brought into being with data of the run's own: an
// import's, an unpack's or a copy's destination, or a new directory, where
// nothing was.
// Empty for any other op (a move only relocates what was there).
std::string CreatedBy(const OpRecord& record) {
  const Op& op = record.op();
  std::string path;
  int index = 0;
  if (!StagedRelease(op).empty()) {
    path = StagedRelease(op);
  } else if (op.has_copy()) {
    path = op.copy().to();
    index = 1;
  } else if (op.has_mkdir()) {
    path = op.mkdir().path();
  }
  if (path.empty() || record.before_size() <= index || record.before(index).type() != ABSENT) {
    return "";
  }
  return path;
}

// The path whose former object an op's "old" stash slot holds.
std::string DisplacedPath(const Op& op) {
  const std::vector<std::string> paths = OpPaths(op);
  return paths.empty() ? "" : paths.back();
}

// Whether `stashed` (an op's "old" slot, present) may go with the stash:
// see purge_guard.h for the rules.
absl::StatusOr<bool> MayPurge(Site& site, const std::vector<std::string>& created,
                              const OpRecord& record, const std::string& stashed,
                              const PathState& state) {
  if (state.type() == SYMLINK) return true;
  const std::string displaced = DisplacedPath(record.op());
  for (const std::string& made : created) {
    if (IsWithin(displaced, made)) return true;
  }
  if (record.op().has_write() && state.type() == REGULAR) {
    absl::StatusOr<std::string> old = site.root().ReadFile(stashed, 64 << 20);
    if (old.ok() && absl::StartsWith(record.op().write().content(), *old)) return true;
  }
  std::string leaf;
  absl::StatusOr<Fd> parent = site.root().OpenParent(stashed, &leaf);
  if (!parent.ok()) return parent.status();
  return HoldsOnlyDirectories(site.env(), Entry{parent->get(), leaf, stashed});
}

// Moves `stashed` to .persist/rescued/<run>/<displaced> and records it.
absl::Status RescueStashed(Site& site, Run& run, const std::string& stashed,
                           const std::string& displaced, const std::string& why) {
  std::string leaf;
  absl::StatusOr<Fd> parent = site.root().OpenParent(stashed, &leaf);
  if (!parent.ok()) return parent.status();
  absl::StatusOr<std::string> placed =
      Rescue(site.root(), run.id(), Entry{parent->get(), leaf, stashed}, displaced);
  if (!placed.ok()) return placed.status();
  run.add_rescued(*placed);
  spdlog::warn("run {} leaves the undo window: {} ({}) is kept in {}", run.id(), displaced, why,
               *placed);
  return absl::OkStatus();
}

// A pruned release, as it waits in the stash at `stashed`: its drift goes
// to .persist/rescued/<release>/; with no manifest to tell drift from what
// was deployed, or adopted from an install in place, all of it goes to
// .persist/rescued/<run>/releases/<id>.
absl::Status RescuePrunedRelease(Site& site, Run& run, const std::string& removed,
                                 const std::string& stashed, Store::Batch* forget) {
  const std::string id = SplitParent(removed).second;
  absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest = site.store().ReadManifest(removed);
  if (absl::IsNotFound(manifest.status())) {
    return RescueStashed(site, run, stashed, removed,
                         "a pruned release with no manifest to tell what was written into it");
  }
  if (!manifest.ok()) return manifest.status();
  // An adopted release is the app as it was installed in place: what it
  // holds was on the site before persist, customisations included, and no
  // vendor's package has it all. The whole of it is kept.
  absl::StatusOr<Run> made_by = site.store().GetRun((*manifest)->reader().run_id());
  if (made_by.ok() && made_by->kind() == "adopt") {
    forget->deleted_manifests.push_back(removed);
    return RescueStashed(site, run, stashed, removed,
                         "the release adopted from the install in place, whole");
  }
  absl::StatusOr<ReleaseCheck> check =
      CheckRelease(site.root(), stashed, (*manifest)->reader(), /*quick=*/true);
  if (!check.ok()) return check.status();
  for (const Problem& drift : check->drifted) {
    const std::string rel = drift.path.substr(stashed.size() + 1);
    std::string leaf;
    absl::StatusOr<Fd> dir = site.root().OpenParent(drift.path, &leaf);
    if (!dir.ok()) return dir.status();
    // .persist/rescued/<release>/<rel>: where a release's drift has always gone.
    absl::StatusOr<std::string> placed =
        Rescue(site.root(), id, Entry{dir->get(), leaf, drift.path}, rel);
    if (!placed.ok()) return placed.status();
    run.add_rescued(*placed);
    spdlog::warn("release {} leaves the undo window: {} was written into it after its deploy; "
                 "kept in {}",
                 id, rel, *placed);
  }
  forget->deleted_manifests.push_back(removed);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> DriftOf(Site& site, const std::string& release_path) {
  std::vector<std::string> drifted;
  absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest =
      site.store().ReadManifest(release_path);
  if (absl::IsNotFound(manifest.status())) return drifted;
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<ReleaseCheck> check =
      CheckRelease(site.root(), release_path, (*manifest)->reader(), /*quick=*/true);
  if (!check.ok()) return check.status();
  for (const Problem& p : check->drifted) drifted.push_back(p.path);
  return drifted;
}

absl::Status RescueBeforePurge(Site& site, Run& run) {
  absl::StatusOr<std::vector<OpRecord>> ops = site.store().GetOps(run.id());
  if (!ops.ok()) return ops.status();
  Store::Batch forget;
  std::vector<std::string> created;
  for (const OpRecord& record : *ops) {
    std::string stashed = StashSlot(run.id(), record.index(), kOldSlot);
    // What the op displaced on another filesystem waits there, behind a
    // pointer (ops.h StashesElsewhere): it cannot be renamed into
    // .persist/rescued/, so unless it may go, the whole stash is kept.
    absl::StatusOr<std::string> elsewhere = site.root().ReadFile(
        StashSlot(run.id(), record.index(), ElsewherePointerName(kOldSlot)), 4096);
    const bool on_other_filesystem = elsewhere.ok();
    if (on_other_filesystem) {
      absl::Status valid = ValidateRelativePath(*elsewhere);
      if (!valid.ok()) return valid;
      stashed = JoinPath(*elsewhere, kOldSlot);
    }
    absl::StatusOr<PathState> state = site.root().Observe(stashed, false);
    if (!state.ok()) return state.status();
    if (state->type() != ABSENT) {
      const Op& op = record.op();
      if (op.has_remove() && SplitParent(op.remove().path()).first == "releases" &&
          state->type() == DIRECTORY) {
        absl::Status status = RescuePrunedRelease(site, run, op.remove().path(), stashed, &forget);
        if (!status.ok()) return status;
      } else {
        absl::StatusOr<bool> may_purge = MayPurge(site, created, record, stashed, *state);
        if (!may_purge.ok()) return may_purge.status();
        if (!*may_purge && on_other_filesystem) {
          return absl::FailedPreconditionError(absl::StrCat(
              DisplacedPath(op), " (set aside by ", DescribeOp(op), ") waits in ", stashed,
              " on another filesystem than .persist/rescued/; move it where it belongs, or into "
              ".persist/rescued/, by hand, and the stash goes with the next run"));
        }
        if (!*may_purge) {
          absl::Status status =
              RescueStashed(site, run, stashed, DisplacedPath(op),
                            absl::StrCat("set aside by ", DescribeOp(op)));
          if (!status.ok()) return status;
        }
      }
    }
    const std::string made = CreatedBy(record);
    if (!made.empty()) created.push_back(made);
  }
  if (forget.deleted_manifests.empty()) return absl::OkStatus();
  return site.store().Write(forget);
}

}  // namespace persist
