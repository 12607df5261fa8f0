// Copyright persist authors.

#include "journal/transaction.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fsops/errno_status.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/stash_layout.h"
#include "fsops/trash.h"
#include "base/error_kind.h"
#include "base/next_step.h"
#include "base/time_id.h"
#include "journal/manifest_stream.h"
#include "journal/op_context.h"
#include "journal/recovery.h"
#include "journal/run_info.h"
#include "journal/state_predictor.h"
#include "spdlog/spdlog.h"

namespace persist {
namespace {

// The directory each new path of `op` goes into must exist when it runs.
absl::Status CheckParentsExist(const Op& op, const StatePredictor& predictor) {
  std::vector<std::string> paths = OpPaths(op);
  if (op.has_copy() || op.has_move() || op.has_exchange()) paths.erase(paths.begin());
  for (const std::string& path : paths) {
    const std::string parent = SplitParent(path).first;
    if (parent.empty()) continue;
    absl::StatusOr<PathState> state = predictor.Predict(parent);
    if (!state.ok()) return state.status();
    if (state->type() != DIRECTORY) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot ", DescribeOp(op), ": its directory ", PrintablePath(parent),
          state->type() == ABSENT ? " does not exist" : " is not a directory",
          " when the op runs; add a mkdir op before it"));
    }
  }
  return absl::OkStatus();
}

// Predicts and checks every op's pre-states; nothing is touched. Fills
// `outcomes` with the state each op must leave at each of its paths (type
// unspecified where that cannot be predicted).
absl::StatusOr<std::vector<OpRecord>> PlanIntents(const Site& site, const Plan& plan,
                                                  std::vector<std::vector<PathState>>* outcomes) {
  StatePredictor predictor(&site.root());
  std::vector<OpRecord> records;
  records.reserve(plan.op_size());
  for (int i = 0; i < plan.op_size(); ++i) {
    const Op& op = plan.op(i);
    OpRecord record;
    record.set_index(i);
    *record.mutable_op() = op;
    record.set_status(OP_INTENDED);
    std::vector<PathState> before;
    for (const std::string& path : OpPaths(op)) {
      absl::StatusOr<PathState> state = predictor.Predict(path);
      if (!state.ok()) return WithErrorKind(Annotate(state.status(), DescribeOp(op)), ErrorKind::kUsage);
      before.push_back(*state);
      *record.add_before() = *state;
    }
    absl::Status feasible = CheckFeasible(op, before);
    if (feasible.ok()) feasible = CheckParentsExist(op, predictor);
    if (!feasible.ok()) {
      return WithErrorKind(Annotate(feasible, absl::StrCat("op ", i + 1)), ErrorKind::kUsage);
    }
    absl::Status applied = predictor.Apply(op);
    if (!applied.ok()) return applied;
    std::vector<PathState>& outcome = outcomes->emplace_back();
    for (const std::string& path : OpPaths(op)) {
      absl::StatusOr<PathState> after = predictor.Predict(path);
      outcome.push_back(after.ok() ? *after : PathState());
    }
    records.push_back(std::move(record));
  }
  return records;
}

// An op's rename moves whatever is at a name when it runs. Had another
// process swapped a path between the op's check and its rename (a directory
// for a symlink, say), the op would have carried the swapped object into
// place: each path must hold, right after the op, the type (and a link, the
// target) the plan leaves there.
absl::Status CheckOutcome(const OpRecord& record, const std::vector<PathState>& outcome) {
  const std::vector<std::string> paths = OpPaths(record.op());
  for (size_t i = 0; i < paths.size() && i < outcome.size(); ++i) {
    const PathState& want = outcome[i];
    const PathState& got = record.after(static_cast<int>(i));
    if (want.type() == FILE_TYPE_UNSPECIFIED) continue;
    const bool same = got.type() == want.type() &&
                      (want.type() != SYMLINK || got.link_target() == want.link_target());
    if (same) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        PrintablePath(paths[i]), " is a ", FileTypeName(got.type()),
        got.type() == SYMLINK ? " to " + PrintablePath(got.link_target()) : "",
        " after the op, where the plan leaves a ", FileTypeName(want.type()),
        ": another process changed the site or the upload while the run applied it; find what "
        "else writes there"));
  }
  return absl::OkStatus();
}

absl::Status ObserveAfter(const Site& site, OpRecord* record) {
  record->clear_after();
  for (const std::string& path : OpPaths(record->op())) {
    absl::StatusOr<PathState> state = site.root().Observe(path, true);
    if (!state.ok()) return state.status();
    *record->add_after() = *state;
  }
  return absl::OkStatus();
}

absl::Status ObserveBefore(const Site& site, OpRecord* record) {
  record->clear_before();
  for (const std::string& path : OpPaths(record->op())) {
    absl::StatusOr<PathState> state = site.root().Observe(path, true);
    if (!state.ok()) return state.status();
    *record->add_before() = *state;
  }
  std::vector<PathState> before(record->before().begin(), record->before().end());
  return CheckFeasible(record->op(), before);
}

// Purges the stash of committed runs beyond the undo window. Only through
// the site's purge guard: without one, every stash is kept, since what a
// stash holds may be data the site had before the run.
void PurgeOldStashes(Site& site, int undo_window) {
  if (!site.purge_guard()) {
    spdlog::debug("no purge guard: the stashes of runs beyond the undo window are kept");
    return;
  }
  absl::StatusOr<std::vector<Run>> runs = site.store().ListRuns();
  if (!runs.ok()) return;
  int kept = 0;
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    if (it->state() != RUN_COMMITTED || it->stash_purged()) continue;
    if (++kept <= undo_window) continue;
    absl::Status status = site.purge_guard()(site, *it);
    if (!status.ok()) {
      spdlog::warn("the stash of run {} is kept: {}", it->id(), std::string(status.message()));
      continue;
    }
    // What the run stashed on another filesystem (shared/ on a mount of its
    // own) goes first, while the pointers to it are still there.
    status = TidyStashesElsewhere(site.root(), it->id(), /*purge=*/true);
    if (!status.ok()) {
      spdlog::warn("could not purge the stash of run {} on another filesystem: {}", it->id(),
                   std::string(status.message()));
      continue;
    }
    absl::StatusOr<Fd> stash = site.root().OpenDir(kStashRoot);
    if (!stash.ok()) return;
    // Into the trash in one rename, durably, before the run is marked
    // purged: the files go after the command, not one unlink at a time
    // inside the deploy. A stash already gone (set aside by a purge that
    // was killed before it could mark the run) is simply marked now.
    status = SetAside(site.root(), Entry{stash->get(), it->id(), RunStashDir(it->id())},
                      it->id() + ".stash").status();
    if (!status.ok()) {
      spdlog::warn("could not purge the stash of run {}: {}", it->id(), std::string(status.message()));
      continue;
    }
    it->set_stash_purged(true);
    if (!site.store().PutRun(*it).ok()) return;
  }
}

// Reports a copy's running totals at most once a second.
std::function<void(uint64_t, uint64_t)> CopyProgress(int step, int steps) {
  auto last = std::make_shared<absl::Time>(absl::Now());
  return [last, step, steps](uint64_t files, uint64_t bytes) {
    const absl::Time now = absl::Now();
    if (now - *last < absl::Seconds(1)) return;
    *last = now;
    spdlog::info("[{}/{}] copied {} files, {:.1f} MB", step, steps, files, bytes / 1048576.0);
  };
}

// Gives the pages of freed heap back to the system. A plan's view of a
// large archive, and an unpack's own, free tens of megabytes in small
// pieces that malloc keeps resident; LMDB then takes a release's manifest
// record (13 MB for 100,000 files) in fresh pages of its own. Handing the
// freed pages back first keeps the two from adding up in the run's peak.
void ReturnFreedHeap() { malloc_trim(0); }

}  // namespace

absl::StatusOr<std::string> NewRunId(const Site& site) {
  return NewTimeId(absl::Now(), [&](const std::string& id) -> absl::StatusOr<bool> {
    absl::StatusOr<Run> existing = site.store().GetRun(id);
    if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
    if (existing.ok()) return true;
    for (const std::string& left_by_run : {RunStashDir(id), JoinPath(".persist/rescued", id)}) {
      absl::StatusOr<PathState> left = site.root().Observe(left_by_run, false);
      if (!left.ok()) return left.status();
      if (left->type() != ABSENT) return true;
    }
    return false;
  });
}

absl::StatusOr<Run> ExecutePlan(Site& site, const Plan& plan, const RunOptions& options) {
  for (int i = 0; i < plan.op_size(); ++i) {
    absl::Status valid = ValidateOp(plan.op(i));
    if (!valid.ok()) return WithErrorKind(Annotate(valid, absl::StrCat("op ", i + 1)), ErrorKind::kUsage);
  }
  absl::StatusOr<std::optional<Run>> interrupted = site.FindInterrupted();
  if (!interrupted.ok()) return interrupted.status();
  if (interrupted->has_value()) return site.NeedsRecovery(**interrupted);

  std::vector<std::vector<PathState>> outcomes;
  absl::StatusOr<std::vector<OpRecord>> records = PlanIntents(site, plan, &outcomes);
  if (!records.ok()) return records.status();
  ReturnFreedHeap();

  Store& store = site.store();
  absl::StatusOr<std::string> id = NewRunId(site);
  if (!id.ok()) return id.status();
  Run run;
  run.set_id(*id);
  run.set_kind(options.kind);
  run.set_release(options.release);
  run.set_fleet_run(options.fleet_run);
  run.set_state(RUN_APPLYING);
  run.set_start_ns(NowNs());
  run.set_user(UserName());
  run.set_host(HostName());
  run.set_pid(getpid());
  run.set_op_count(plan.op_size());
  for (OpRecord& record : *records) record.set_run_id(run.id());

  Store::Batch intents;
  intents.runs.push_back(run);
  if (options.group_intents) intents.ops = *records;
  absl::Status status = store.Write(intents);
  if (!status.ok()) {
    return Annotate(status, "could not record the run's intent; nothing was changed");
  }

  std::vector<EncodedManifest> manifests;
  // A tree copy of a large release takes a while: on a terminal, say how far.
  const bool show_progress = isatty(STDERR_FILENO) && spdlog::should_log(spdlog::level::info);
  for (OpRecord& record : *records) {
    const Op& op = record.op();
    if (options.before_op) {
      status = options.before_op(record.index(), &run);
      if (!status.ok()) break;
    }
    spdlog::info("[{}/{}] {}", record.index() + 1, plan.op_size(), DescribeOp(op));
    if (options.group_intents) {
      OpContext check = ContextForRecord(site, &record);
      status = CheckPreconditions(op, check);
    } else {
      status = ObserveBefore(site, &record);
      if (status.ok()) status = store.PutOp(record);
    }
    ManifestWriter manifest;
    if (status.ok()) {
      OpContext ctx = ContextForRecord(site, &record);
      if (options.record_manifests && !ManifestedRelease(op).empty()) ctx.manifest = &manifest;
      // The release an import or an update dedupes against, by its manifest.
      std::unique_ptr<Store::ManifestView> previous;
      if (!DedupeSource(op).empty()) {
        absl::StatusOr<std::unique_ptr<Store::ManifestView>> view =
            store.ReadManifest(DedupeSource(op));
        if (view.ok()) {
          previous = *std::move(view);
          ctx.previous_manifest = &previous->reader();
        }
      }
      ctx.copy_stats = options.copy_stats;
      if (show_progress) ctx.progress = CopyProgress(record.index() + 1, plan.op_size());
      status = ApplyOp(op, ctx);
      if (previous != nullptr && !previous->reader().status().ok()) {
        // Files past the damage were compared byte for byte instead.
        spdlog::warn("{}", std::string(previous->reader().status().message()));
      }
    }
    if (status.ok() && options.record_manifests && !ManifestedRelease(op).empty()) {
      manifests.push_back(manifest.Finish(ManifestedRelease(op), run.id()));
    }
    if (status.ok()) status = ObserveAfter(site, &record);
    if (status.ok()) status = CheckOutcome(record, outcomes[record.index()]);
    if (status.ok()) {
      record.set_status(OP_APPLIED);
      continue;
    }
    status = Annotate(status, absl::StrCat("op ", record.index() + 1, " (", DescribeOp(op), ")"));
    break;
  }
  if (status.ok() && options.before_op) status = options.before_op(plan.op_size(), &run);
  if (status.ok()) {
    run.set_state(RUN_COMMITTED);
    run.set_exit_code(0);
    run.set_end_ns(NowNs());
    Store::Batch done;
    done.runs.push_back(run);
    done.ops = *records;
    done.manifests = std::move(manifests);
    if (!done.manifests.empty()) ReturnFreedHeap();
    status = store.Write(done);
  }
  if (status.ok()) {
    PurgeOldStashes(site, options.undo_window);
    return run;
  }

  // An error (not a crash): undo the run before returning.
  status = NameFilesystemCause(site.root(), status);
  run.set_error(std::string(status.message()));
  run.set_exit_code(1);
  absl::Status undone = ReverseRun(site, run, absl::StrCat("failed: ", status.message()), RUN_FAILED);
  if (!undone.ok()) {
    return WithErrorKind(
        WithNextStep(absl::Status(status.code(), absl::StrCat("run ", run.id(), " failed: ",
                                                              status.message(), "; undoing it failed too: ",
                                                              undone.message(), "; fix the cause")),
                     NextStep::kRecoverAgain, site.root().dir()),
        ErrorKind::kFailed);
  }
  return WithErrorKind(
      absl::Status(status.code(),
                   absl::StrCat("run ", run.id(), " failed and was undone, the site is as it was: ",
                                status.message(), "; fix the cause and run again")),
      ErrorKind::kFailed);
}

}  // namespace persist
