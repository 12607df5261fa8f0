// Copyright persist authors.

#include "fsops/trash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/next_step.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/rename.h"
#include "fsops/tree.h"

namespace persist {
namespace {

constexpr mode_t kTrashMode = 0700;
constexpr size_t kMaxHint = 200;  // leaves room for a ".N" suffix in 255 bytes

absl::Status CheckHint(const std::string& hint) {
  if (hint.empty() || hint == "." || hint == ".." || hint.size() > kMaxHint ||
      hint.find('/') != std::string::npos || hint.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot name an entry of ", kTrashDir, " ", PrintablePath(hint),
        ": a name in the trash is one path component of 1 to ", kMaxHint, " bytes"));
  }
  return absl::OkStatus();
}

// Keeps why an emptying failed in kTrashFailureFile: written whole under a
// temporary name, then renamed over the last one. Best effort: the error
// itself is returned to the emptier either way.
void RecordFailure(const Root& root, const absl::Status& failure) {
  Env* env = root.env();
  std::string name;
  absl::StatusOr<Fd> dir = root.OpenParent(kTrashFailureFile, &name);
  if (!dir.ok()) return;
  const std::string temporary = name + ".tmp";
  absl::StatusOr<int> fd = env->OpenAt(dir->get(), temporary, O_WRONLY | O_CREAT | O_TRUNC, 0600,
                                       kTrashFailureFile);
  if (!fd.ok()) return;
  const std::string text = absl::StrCat(
      absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::Now(), absl::UTCTimeZone()), ": ",
      failure.message(), "\n");
  absl::Status status = env->Write(*fd, text.data(), text.size(), kTrashFailureFile);
  env->Close(*fd);
  if (status.ok()) {
    status = env->RenameAt(dir->get(), temporary, dir->get(), name, 0, kTrashFailureFile,
                           kTrashFailureFile);
  }
  if (!status.ok()) env->UnlinkAt(dir->get(), temporary, 0, kTrashFailureFile).IgnoreError();
}

// The trash emptied: an earlier failure no longer holds.
void ClearFailure(const Root& root) {
  std::string name;
  absl::StatusOr<Fd> dir = root.OpenParent(kTrashFailureFile, &name);
  if (dir.ok()) root.env()->UnlinkAt(dir->get(), name, 0, kTrashFailureFile).IgnoreError();
}

absl::StatusOr<TrashReport> EmptyLocked(const Root& root, int trash_fd, TrashReport report) {
  Env* env = root.env();
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(trash_fd, kTrashDir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    RemoveStats stats;
    absl::Status status = RemoveTree(env, Entry{trash_fd, name, JoinPath(kTrashDir, name)}, &stats);
    report.files += stats.files;
    report.bytes += stats.bytes;
    if (!status.ok()) {
      return WithNextStep(
          Annotate(status, absl::StrCat("cannot empty ", root.dir(), "/", kTrashDir, " (fix the cause)")),
          NextStep::kEmptyTrash, root.dir());
    }
    ++report.entries;
  }
  return report;
}

}  // namespace

absl::StatusOr<SetAsideResult> SetAside(const Root& root, const Entry& entry,
                                        const std::string& name_hint) {
  absl::Status status = CheckHint(name_hint);
  if (!status.ok()) return status;
  Env* env = root.env();
  struct stat st;
  status = env->StatAt(entry.dir_fd, entry.name, &st, entry.path);
  if (StatusErrno(status) == ENOENT) return SetAsideResult::kAbsent;
  if (!status.ok()) return status;

  // Without a trash, the tree is removed where it is, as before there was one.
  auto remove_in_place = [&]() -> absl::StatusOr<SetAsideResult> {
    absl::Status removed = RemoveTree(env, entry);
    if (!removed.ok()) {
      return Annotate(removed, absl::StrCat("cannot remove ", PrintablePath(entry.path),
                                            " (fix its permissions, then run the command again)"));
    }
    return SetAsideResult::kRemoved;
  };
  if (!root.MakeDirs(kTrashDir, kTrashMode).ok()) return remove_in_place();
  absl::StatusOr<Fd> trash = root.OpenDir(kTrashDir);
  if (!trash.ok()) return remove_in_place();

  for (int attempt = 1;; ++attempt) {
    const std::string name = attempt == 1 ? name_hint : absl::StrCat(name_hint, ".", attempt);
    status = RenameNoReplace(env, entry, Entry{trash->get(), name, JoinPath(kTrashDir, name)});
    if (StatusErrno(status) == EEXIST) continue;
    if (StatusErrno(status) == EXDEV) return remove_in_place();
    if (!status.ok()) {
      return Annotate(status, absl::StrCat("cannot move ", PrintablePath(entry.path), " into ",
                                           kTrashDir, "/ (fix the cause, then run the command "
                                           "again; it resumes where it stopped)"));
    }
    break;
  }
  // Both directories, so that the rename is durable before the caller
  // journals that the entry is gone.
  status = env->Fsync(trash->get(), kTrashDir);
  if (status.ok()) status = env->Fsync(entry.dir_fd, SplitParent(entry.path).first);
  if (!status.ok()) {
    return Annotate(status, absl::StrCat("cannot make the move of ", PrintablePath(entry.path),
                                         " into ", kTrashDir, "/ durable (check the disk, then "
                                         "run the command again)"));
  }
  return SetAsideResult::kTrashed;
}

absl::StatusOr<std::vector<std::string>> ListTrash(const Root& root) {
  absl::StatusOr<Fd> trash = root.OpenDir(kTrashDir);
  if (!trash.ok()) {
    if (StatusErrno(trash.status()) == ENOENT) return std::vector<std::string>();
    return trash.status();
  }
  return root.env()->ListDir(trash->get(), kTrashDir);
}

absl::StatusOr<TrashReport> EmptyTrash(const Root& root, bool wait) {
  TrashReport report;
  Env* env = root.env();
  absl::StatusOr<Fd> trash = root.OpenDir(kTrashDir);
  if (!trash.ok()) {
    if (StatusErrno(trash.status()) == ENOENT) return report;
    return Annotate(trash.status(), absl::StrCat("cannot open ", root.dir(), "/", kTrashDir,
                                                 " (it must be a directory persist can read)"));
  }
  // Held until `trash` is closed, on return.
  absl::Status locked = env->Flock(trash->get(), LOCK_EX | (wait ? 0 : LOCK_NB), kTrashDir);
  if (!locked.ok()) {
    if (!wait && StatusErrno(locked) == EWOULDBLOCK) {
      report.busy = true;
      return report;
    }
    return Annotate(locked, absl::StrCat("cannot lock ", root.dir(), "/", kTrashDir));
  }
  absl::StatusOr<TrashReport> emptied = EmptyLocked(root, trash->get(), report);
  if (!emptied.ok()) {
    RecordFailure(root, emptied.status());
  } else {
    ClearFailure(root);
  }
  return emptied;
}

absl::StatusOr<std::string> LastTrashFailure(const Root& root) {
  absl::StatusOr<std::string> text = root.ReadFile(kTrashFailureFile, 64 * 1024);
  if (!text.ok() && StatusErrno(text.status()) == ENOENT) return std::string();
  if (!text.ok()) return text.status();
  return std::string(absl::StripTrailingAsciiWhitespace(*text));
}

}  // namespace persist
