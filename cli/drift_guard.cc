// Copyright persist authors.

#include "cli/drift_guard.h"

#include <stdio.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "planner/audit.h"
#include "spdlog/spdlog.h"

namespace persist {

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

absl::Status RescueDriftBeforePurge(Site& site, const Run& run) {
  absl::StatusOr<std::vector<OpRecord>> ops = site.store().GetOps(run.id());
  if (!ops.ok()) return ops.status();
  Env* env = site.env();
  Store::Batch forget;
  for (const OpRecord& record : *ops) {
    if (!record.op().has_remove()) continue;
    const std::string& removed = record.op().remove().path();
    auto [parent, id] = SplitParent(removed);
    if (parent != "releases") continue;
    // The pruned release, as it waits in the stash.
    const std::string stashed = JoinPath(StashDir(run.id(), record.index()), "old");
    absl::StatusOr<PathState> there = site.root().Observe(stashed, false);
    if (!there.ok()) return there.status();
    if (there->type() != DIRECTORY) continue;
    absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest =
        site.store().ReadManifest(removed);
    if (absl::IsNotFound(manifest.status())) continue;
    if (!manifest.ok()) return manifest.status();
    absl::StatusOr<ReleaseCheck> check =
        CheckRelease(site.root(), stashed, (*manifest)->reader(), /*quick=*/true);
    if (!check.ok()) return check.status();
    const std::string rescue_root = JoinPath(".persist/rescued", id);
    for (const Problem& drift : check->drifted) {
      const std::string rel = drift.path.substr(stashed.size() + 1);
      const std::string target = JoinPath(rescue_root, rel);
      absl::Status status = site.root().MakeDirs(SplitParent(target).first, 0700);
      if (!status.ok()) return status;
      std::string from_leaf, to_leaf;
      absl::StatusOr<Fd> from_dir = site.root().OpenParent(drift.path, &from_leaf);
      if (!from_dir.ok()) return from_dir.status();
      absl::StatusOr<Fd> to_dir = site.root().OpenParent(target, &to_leaf);
      if (!to_dir.ok()) return to_dir.status();
      status = env->RenameAt(from_dir->get(), from_leaf, to_dir->get(), to_leaf, RENAME_NOREPLACE,
                             drift.path, target);
      if (!status.ok()) return status;
      status = env->Fsync(to_dir->get(), SplitParent(target).first);
      if (!status.ok()) return status;
      spdlog::warn("release {} leaves the undo window: {} was written into it after its deploy; "
                   "kept in {}",
                   id, rel, target);
    }
    forget.deleted_manifests.push_back(removed);
  }
  if (forget.deleted_manifests.empty()) return absl::OkStatus();
  return site.store().Write(forget);
}

}  // namespace persist
