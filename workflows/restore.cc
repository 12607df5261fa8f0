// Copyright persist authors.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/error_kind.h"
#include "fsops/archive.h"
#include "fsops/copy_tree.h"
#include "fsops/env.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/ops.h"
#include "fsops/path.h"
#include "fsops/real_path.h"
#include "fsops/root.h"
#include "fsops/stash_layout.h"
#include "fsops/tree.h"
#include "fsops/tree_diff.h"
#include "journal/site.h"
#include "journal/transaction.h"
#include "spdlog/spdlog.h"
#include "workflows/backup.h"
#include "workflows/shared_dir.h"
#include "workflows/site_session.h"

namespace persist {
namespace {

// A fresh directory for one restore's extraction, outside the site; removed
// with everything in it when the restore ends.
class ScratchDir {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Make(Env* env, const std::string& site_dir) {
    const std::string tmp = TemporaryDirectory();
    const absl::StatusOr<std::string> base = RealPath(tmp);
    if (!base.ok()) {
      return UsageError(absl::StrCat("TMPDIR ", PrintablePath(tmp),
                                     " cannot be used to extract the archive (it does not "
                                     "resolve); set TMPDIR to a directory with room for the "
                                     "archive"));
    }
    const absl::StatusOr<std::string> site = RealPath(site_dir);
    if (site.ok() && (*base == *site || absl::StartsWith(*base, *site + "/"))) {
      return UsageError(absl::StrCat("TMPDIR ", *base, " is inside the site ", *site,
                                     "; the archive is extracted outside it: set TMPDIR "
                                     "elsewhere"));
    }
    absl::StatusOr<int> fd = env->OpenRoot(*base);
    if (!fd.ok()) return Annotate(fd.status(), "set TMPDIR to a directory persist can write to");
    Fd parent(env, *fd, *base);
    for (int attempt = 0;; ++attempt) {
      const std::string name = absl::StrCat("persist-restore-", getpid(), "-",
                                            absl::ToUnixNanos(absl::Now()) % 1000000000);
      const std::string path = JoinPath(*base, name);
      absl::Status made = env->MkdirAt(parent.get(), name, 0700, path);
      if (made.ok()) {
        return std::unique_ptr<ScratchDir>(new ScratchDir(env, std::move(parent), name, path));
      }
      if (StatusErrno(made) != EEXIST || attempt > 100) {
        return Annotate(made, "set TMPDIR to a directory persist can write to");
      }
    }
  }

  ~ScratchDir() {
    absl::Status status = Remove();
    if (!status.ok()) spdlog::warn("{}; remove {} by hand", std::string(status.message()), path_);
  }

  const std::string& path() const { return path_; }
  // The extraction's directory fd, opened on demand.
  absl::StatusOr<int> Open() {
    if (!dir_.valid()) {
      absl::StatusOr<int> fd = env_->OpenAt(parent_.get(), name_, O_RDONLY | O_DIRECTORY, 0, path_);
      if (!fd.ok()) return fd.status();
      dir_ = Fd(env_, *fd, path_);
    }
    return dir_.get();
  }

  absl::Status Remove() {
    if (removed_) return absl::OkStatus();
    dir_.Reset();
    removed_ = true;
    return RemoveTree(env_, Entry{parent_.get(), name_, path_});
  }

 private:
  ScratchDir(Env* env, Fd parent, std::string name, std::string path)
      : env_(env), parent_(std::move(parent)), name_(std::move(name)), path_(std::move(path)) {}

  Env* env_;
  Fd parent_;
  Fd dir_;
  std::string name_;
  std::string path_;
  bool removed_ = false;
};

// Opens the archive to restore. Its path is the operator's, outside the
// site: a symlink to it is followed, once, here.
absl::StatusOr<Fd> OpenArchive(Env* env, const std::string& file) {
  const absl::StatusOr<std::string> resolved = RealPath(file);
  absl::Status status;
  if (!resolved.ok()) {
    status = ErrnoStatus(StatusErrno(resolved.status()), "open", file);
  } else {
    auto [parent, leaf] = SplitParent(*resolved);
    absl::StatusOr<int> dir = env->OpenRoot(parent.empty() ? "/" : parent);
    if (dir.ok()) {
      Fd dir_fd(env, *dir, parent);
      absl::StatusOr<int> fd = env->OpenAt(dir_fd.get(), leaf, O_RDONLY, 0, file);
      if (fd.ok()) {
        Fd in(env, *fd, file);
        struct stat st;
        status = env->StatAt(in.get(), "", &st, file);
        if (status.ok() && S_ISREG(st.st_mode) && st.st_size == 0) {
          return UsageError(absl::StrCat("the archive ", PrintablePath(file),
                                         " is empty; give the file persist backup wrote, whole"));
        }
        if (status.ok() && S_ISREG(st.st_mode)) return in;
        if (status.ok()) {
          return UsageError(absl::StrCat("the archive ", PrintablePath(file),
                                         " is not a file; give the file persist backup wrote"));
        }
      } else {
        status = fd.status();
      }
    } else {
      status = dir.status();
    }
  }
  return UsageError(absl::StrCat("cannot read the archive: ", status.message(),
                                 "; give the path of a file that persist backup wrote"));
}

// Copies what `old` (the shared/ the run replaced, in its stash) holds and
// the extracted archive does not into .persist/rescued/restore-<run>/shared/.
// Returns a line for each; what cannot be copied is *keep_failed, naming
// where it stays.
absl::StatusOr<std::vector<std::string>> KeepWhatTheArchiveLacks(
    Site& site, const Run& run, int extracted_dir, const std::string& extracted_path,
    absl::Status* keep_failed) {
  Root& root = site.root();
  Env* env = site.env();
  std::vector<std::string> lines;
  // What op 0 replaced is in its stash's old slot (fsops/stash_layout.h).
  const std::string stashed = StashSlot(run.id(), 0, kOldSlot);
  absl::StatusOr<PathState> old = root.Observe(stashed, false);
  if (!old.ok()) return old.status();
  if (old->type() != DIRECTORY) return lines;  // there was no shared/ before
  std::string leaf;
  absl::StatusOr<Fd> stash_dir = root.OpenParent(stashed, &leaf);
  if (!stash_dir.ok()) return stash_dir.status();
  absl::StatusOr<std::vector<Difference>> diffs =
      DataNotIn(env, Entry{stash_dir->get(), leaf, stashed},
                Entry{extracted_dir, kShared, JoinPath(extracted_path, kShared)});
  if (!diffs.ok()) return diffs.status();
  const std::string kept = JoinPath(JoinPath(".persist/rescued", "restore-" + run.id()), kShared);
  std::vector<std::string> failed;
  for (const Difference& diff : *diffs) {
    const std::string from = JoinPath(stashed, diff.path);
    const std::string to = JoinPath(kept, diff.path);
    absl::Status status = root.MakeDirs(SplitParent(to).first, 0700);
    std::string from_leaf, to_leaf;
    absl::StatusOr<Fd> from_dir =
        status.ok() ? root.OpenParent(from, &from_leaf) : absl::StatusOr<Fd>(status);
    absl::StatusOr<Fd> to_dir =
        from_dir.ok() ? root.OpenParent(to, &to_leaf) : absl::StatusOr<Fd>(from_dir.status());
    if (to_dir.ok()) {
      status =
          CopyTree(env, Entry{from_dir->get(), from_leaf, from}, Entry{to_dir->get(), to_leaf, to});
    } else {
      status = to_dir.status();
    }
    if (!status.ok()) {
      failed.push_back(absl::StrCat(PrintablePath(from), " (", status.message(), ")"));
      continue;
    }
    lines.push_back(absl::StrCat(
        "kept ", PrintablePath(to), " (",
        diff.kind == Difference::kMissing ? "not in the archive" : "the archive's copy differs",
        ")"));
  }
  absl::Status synced = env->Syncfs(root.fd(), kept);
  if (!failed.empty() || !synced.ok()) {
    *keep_failed = absl::DataLossError(absl::StrCat(
        "shared/ was restored as run ", run.id(), ", but ",
        failed.empty()
            ? "the copies in " + kept + " could not be synced: " + std::string(synced.message())
            : "these could not be copied to " + kept + ": " + absl::StrJoin(failed, ", "),
        "; they stay in the run's stash only while it can be undone: copy them out of "
        ".persist/stash/ by hand, or run persist undo"));
  }
  return lines;
}

// The archive extracted under `scratch`: kUsage for one that is not an
// archive persist backup wrote, with the site untouched.
absl::StatusOr<ArchiveCounts> Extract(Env* env, Fd& in, const std::string& file, ScratchDir& scratch,
                                      int scratch_fd) {
  const std::string extracted = JoinPath(scratch.path(), kShared);
  spdlog::info("extracting {} into {}", PrintablePath(file), extracted);
  absl::StatusOr<ArchiveCounts> counts =
      ExtractArchive(env, in.get(), file, kShared, Entry{scratch_fd, kShared, extracted});
  in.Reset();
  if (counts.ok()) return counts;
  if (absl::IsInvalidArgument(counts.status())) {
    return WithErrorKind(counts.status(), ErrorKind::kUsage);
  }
  return Annotate(counts.status(),
                  absl::StrCat("cannot extract ", PrintablePath(file), " into ", scratch.path(),
                               " (free space there, or set TMPDIR to a directory with room); the "
                               "site was not touched"));
}

}  // namespace

absl::StatusOr<RestoreResult> Restore(const RestoreOptions& options) {
  Env* env = Env::Default();
  absl::StatusOr<Fd> in = OpenArchive(env, options.file);
  if (!in.ok()) return in.status();
  absl::StatusOr<std::unique_ptr<SiteSession>> session = SiteSession::Open(options.site);
  if (!session.ok()) return session.status();
  absl::Status status = CheckShared((*session)->root(), /*may_be_absent=*/true);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<ScratchDir>> scratch = ScratchDir::Make(env, options.site.root_dir);
  if (!scratch.ok()) return scratch.status();
  absl::StatusOr<int> scratch_fd = (*scratch)->Open();
  if (!scratch_fd.ok()) return scratch_fd.status();
  absl::StatusOr<ArchiveCounts> counts = Extract(env, *in, options.file, **scratch, *scratch_fd);
  if (!counts.ok()) return counts.status();

  Plan plan;
  plan.add_op()->mutable_import()->set_from(JoinPath((*scratch)->path(), kShared));
  plan.mutable_op(0)->mutable_import()->set_to(kShared);
  RunOptions run_options;
  run_options.kind = "restore";
  // The manifests are for releases (persist diff, verify); shared/ is data.
  run_options.record_manifests = false;
  absl::StatusOr<Run> run = (*session)->Execute(
      plan, run_options, absl::StrCat("restore of shared/ from ", options.file));
  if (!run.ok()) return run.status();
  RestoreResult result;
  result.run = *run;
  result.restored = SummaryOf(*counts);
  absl::StatusOr<std::vector<std::string>> kept = KeepWhatTheArchiveLacks(
      (*session)->site(), *run, *scratch_fd, (*scratch)->path(), &result.keep_failed);
  if (kept.ok()) {
    result.kept = *std::move(kept);
  } else {
    result.keep_failed = kept.status();
  }
  status = (*scratch)->Remove();
  if (!status.ok()) {
    spdlog::warn("{}; remove {} by hand", std::string(status.message()), (*scratch)->path());
  }
  return result;
}

}  // namespace persist
