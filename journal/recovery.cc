// Copyright persist authors.

#include "journal/recovery.h"

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/stash_layout.h"
#include "fsops/tree.h"
#include "base/error_kind.h"
#include "base/next_step.h"
#include "journal/op_context.h"
#include "journal/run_info.h"
#include "spdlog/spdlog.h"

namespace persist {
namespace {

// Removes the run's stash directory if undo left it empty, as it should.
void TidyStash(Site& site, const std::string& run_id) {
  absl::Status elsewhere = TidyStashesElsewhere(site.root(), run_id, /*purge=*/false);
  if (!elsewhere.ok()) {
    spdlog::warn("could not tidy the stash of run {} on another filesystem: {}", run_id,
                 std::string(elsewhere.message()));
  }
  absl::StatusOr<Fd> stash = site.root().OpenDir(kStashRoot);
  if (!stash.ok()) return;
  bool empty = false;
  const std::string run_stash = RunStashDir(run_id);
  absl::Status status =
      RemoveEmptyDirs(site.env(), Entry{stash->get(), run_id, run_stash}, &empty);
  if (!status.ok()) {
    spdlog::warn("could not tidy {}: {}", run_stash, std::string(status.message()));
  } else if (!empty) {
    spdlog::warn("the stash of run {} is not empty after its undo; it is kept in {}", run_id,
                 run_stash);
  }
}

}  // namespace

absl::Status ReverseRun(Site& site, Run& run, const std::string& reason, RunState final_state) {
  Store& store = site.store();
  // A run that failed for want of space leaves the disk full: the reserve's
  // blocks make room for the undo's own writes.
  absl::Status released = site.ReleaseReserve();
  if (!released.ok()) {
    spdlog::warn("could not release .persist/reserve: {}", std::string(released.message()));
  }
  if (run.state() != RUN_UNDOING) {
    run.set_state(RUN_UNDOING);
    run.set_undo_reason(reason);
    run.set_undo_start_ns(NowNs());
    absl::Status status = store.PutRun(run);
    if (!status.ok()) return status;
  }
  absl::StatusOr<std::vector<OpRecord>> ops = store.GetOps(run.id());
  if (!ops.ok()) return ops.status();
  // Ops that never began (no start mark, see fsops/ops.h) have nothing to
  // reverse, and nothing undo does makes their mark: they are journaled
  // undone with the next write instead of one commit each, which a run
  // stopped early in a long plan would otherwise pay for every op after it.
  std::vector<OpRecord> never_began;
  for (auto it = ops->rbegin(); it != ops->rend(); ++it) {
    OpRecord& record = *it;
    if (record.status() == OP_UNDONE) continue;
    absl::StatusOr<PathState> mark =
        site.root().Observe(StashDir(run.id(), record.index()), false);
    if (!mark.ok()) return mark.status();
    if (mark->type() == ABSENT) {
      record.set_status(OP_UNDONE);
      never_began.push_back(record);
      continue;
    }
    OpContext ctx = ContextForRecord(site, &record);
    std::vector<std::string> rescued;
    absl::Status status = UndoOp(record.op(), ctx, &rescued);
    if (!status.ok()) {
      return Annotate(status, absl::StrCat("undo of op ", record.index() + 1, " (",
                                           DescribeOp(record.op()), ") of run ", run.id()));
    }
    for (const std::string& path : rescued) {
      spdlog::warn("kept {} (found where run {} had to restore; not created by it)",
                   PrintablePath(path), run.id());
      run.add_rescued(path);
    }
    record.set_status(OP_UNDONE);
    Store::Batch batch;
    batch.ops = std::move(never_began);
    never_began.clear();
    batch.ops.push_back(record);
    batch.runs.push_back(run);
    status = store.Write(batch);
    if (!status.ok()) return status;
  }
  TidyStash(site, run.id());
  run.set_state(final_state);
  run.set_undo_end_ns(NowNs());
  if (run.end_ns() == 0) run.set_end_ns(run.undo_end_ns());
  Store::Batch done;
  done.runs.push_back(run);
  done.ops = std::move(never_began);
  // The manifests of the releases this run staged go with them.
  for (const OpRecord& record : *ops) {
    const std::string release = ManifestedRelease(record.op());
    if (release.empty()) continue;
    absl::StatusOr<std::unique_ptr<Store::ManifestView>> manifest = store.ReadManifest(release);
    if (manifest.ok() && (*manifest)->reader().run_id() == run.id()) {
      done.deleted_manifests.push_back((*manifest)->reader().release_path());
    }
  }
  return store.Write(done);
}

absl::StatusOr<std::optional<Run>> Recover(Site& site) {
  absl::StatusOr<std::optional<Run>> interrupted = site.FindInterrupted();
  if (!interrupted.ok() || !interrupted->has_value()) return interrupted;
  Run run = **interrupted;
  const bool was_applying = run.state() == RUN_APPLYING;
  // An interrupted undo finishes as the undo it was; an interrupted run is
  // undone by recovery.
  absl::Status status = ReverseRun(site, run, was_applying ? "recover" : run.undo_reason(),
                                   run.undo_reason().rfind("failed", 0) == 0 ? RUN_FAILED : RUN_UNDONE);
  if (!status.ok()) {
    return WithNextStep(
        Annotate(status, absl::StrCat("recovery of run ", run.id(), " stopped; fix the cause")),
        NextStep::kRecoverAgain, site.root().dir());
  }
  return std::optional<Run>(run);
}

absl::StatusOr<Run> RunToUndo(const Site& site, const std::string& run_id) {
  absl::StatusOr<std::optional<Run>> interrupted = site.FindInterrupted();
  if (!interrupted.ok()) return interrupted.status();
  if (interrupted->has_value()) return site.NeedsRecovery(**interrupted);
  absl::StatusOr<std::vector<Run>> runs = site.store().ListRuns();
  if (!runs.ok()) return runs.status();
  const Run* latest = nullptr;
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    if (it->state() == RUN_COMMITTED) {
      latest = &*it;
      break;
    }
  }
  if (latest == nullptr) {
    return WithErrorKind(WithNextStep(absl::FailedPreconditionError(
                                          "there is no completed run left to undo"),
                                      NextStep::kListRuns, site.root().dir()),
                         ErrorKind::kUsage);
  }
  const Run& last = runs->back();
  if (run_id.empty() && last.state() == RUN_FAILED) {
    return WithErrorKind(
        WithNextStep(absl::FailedPreconditionError(absl::StrCat(
                         "the latest run, ", last.id(), " (", last.kind(),
                         last.release().empty() ? "" : " of release " + last.release(),
                         "), failed and was undone already; an undo now would undo the run "
                         "before it, ",
                         latest->id(), " (", latest->kind(),
                         latest->release().empty() ? "" : " of release " + latest->release(), ")")),
                     NextStep::kNameTheRun, site.root().dir(), latest->id()),
        ErrorKind::kUsage);
  }
  if (!run_id.empty() && run_id != latest->id()) {
    absl::StatusOr<Run> named = site.store().GetRun(run_id);
    if (!named.ok()) return WithErrorKind(named.status(), ErrorKind::kUsage);
    return WithErrorKind(
        absl::FailedPreconditionError(absl::StrCat(
            "run ", run_id, " is ", named->state() == RUN_COMMITTED ? "not the latest" : "not undoable",
            " (", RunState_Name(named->state()), "); runs are undone newest first: undo ",
            latest->id(), " first")),
        ErrorKind::kUsage);
  }
  if (latest->stash_purged()) {
    return WithErrorKind(
        absl::FailedPreconditionError(absl::StrCat(
            "run ", latest->id(), " has left the undo window (its stash was purged) and cannot be "
            "undone; roll back with a new run instead")),
        ErrorKind::kUsage);
  }
  return *latest;
}

absl::StatusOr<Run> UndoLatest(Site& site, const std::string& run_id) {
  absl::StatusOr<Run> latest = RunToUndo(site, run_id);
  if (!latest.ok()) return latest.status();
  Run run = *latest;
  absl::Status status = ReverseRun(site, run, "undo", RUN_UNDONE);
  if (!status.ok()) {
    return WithNextStep(
        Annotate(status, absl::StrCat("undo of run ", run.id(), " stopped; fix the cause")),
        NextStep::kRecoverAgain, site.root().dir());
  }
  return run;
}

}  // namespace persist
