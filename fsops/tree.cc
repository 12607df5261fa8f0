// Copyright persist authors.

#include "fsops/tree.h"

#include <errno.h>
#include <fcntl.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/source_tree.h"

namespace persist {
namespace {


// A directory being emptied must be writable by its owner, or an ordinary
// user cannot remove what is in it (a release can ship 0555 directories).
absl::Status MakeWritable(Env* env, int dir_fd, const struct stat& st, const std::string& path) {
  if ((st.st_mode & S_IWUSR) != 0) return absl::OkStatus();
  return env->Fchmod(dir_fd, (st.st_mode & 07777) | S_IRWXU, path);
}

bool SameEntry(const PathState& a, const PathState& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case REGULAR:
      return a.mode() == b.mode() && a.size() == b.size() && a.mtime_ns() == b.mtime_ns();
    case SYMLINK:
      return a.link_target() == b.link_target();
    case DIRECTORY:
      return true;  // compared by content, entry by entry
    default:
      return false;
  }
}

}  // namespace

absl::Status RemoveTree(Env* env, const Entry& entry, RemoveStats* stats) {
  struct stat st;
  absl::Status status = env->StatAt(entry.dir_fd, entry.name, &st, entry.path);
  if (!status.ok()) return StatusErrno(status) == ENOENT ? absl::OkStatus() : status;
  if (S_ISDIR(st.st_mode)) {
    absl::StatusOr<int> dir =
        env->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0, entry.path);
    if (!dir.ok()) return StatusErrno(dir.status()) == ENOENT ? absl::OkStatus() : dir.status();
    Fd dir_fd(env, *dir, entry.path);
    status = MakeWritable(env, dir_fd.get(), st, entry.path);
    if (!status.ok()) return status;
    absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir_fd.get(), entry.path);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      status = RemoveTree(env, Entry{dir_fd.get(), name, JoinPath(entry.path, name)}, stats);
      if (!status.ok()) return status;
    }
    status = env->UnlinkAt(entry.dir_fd, entry.name, AT_REMOVEDIR, entry.path);
  } else {
    status = env->UnlinkAt(entry.dir_fd, entry.name, 0, entry.path);
    if (status.ok() && stats != nullptr) {
      ++stats->files;
      if (S_ISREG(st.st_mode)) stats->bytes += st.st_size;
    }
  }
  return StatusErrno(status) == ENOENT ? absl::OkStatus() : status;
}

namespace {

// The directory `entry`, opened, and its entries' names.
struct Listing {
  Fd dir;
  std::vector<std::string> names;
};

absl::StatusOr<Listing> OpenAndList(Env* env, const Entry& entry) {
  absl::StatusOr<int> dir =
      env->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0, entry.path);
  if (!dir.ok()) return dir.status();
  Listing listing{Fd(env, *dir, entry.path), {}};
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(listing.dir.get(), entry.path);
  if (!names.ok()) return names.status();
  listing.names = *std::move(names);
  return listing;
}

}  // namespace

absl::Status RemoveEmptyDirs(Env* env, const Entry& entry, bool* empty) {
  *empty = false;
  struct stat st;
  absl::Status status = env->StatAt(entry.dir_fd, entry.name, &st, entry.path);
  if (!status.ok()) {
    *empty = StatusErrno(status) == ENOENT;
    return *empty ? absl::OkStatus() : status;
  }
  if (!S_ISDIR(st.st_mode)) return absl::OkStatus();
  absl::StatusOr<Listing> listing = OpenAndList(env, entry);
  if (!listing.ok()) return listing.status();
  bool all_empty = true;
  for (const std::string& name : listing->names) {
    bool child_empty = false;
    status = RemoveEmptyDirs(env, Entry{listing->dir.get(), name, JoinPath(entry.path, name)},
                             &child_empty);
    if (!status.ok()) return status;
    all_empty = all_empty && child_empty;
  }
  if (!all_empty) return absl::OkStatus();
  status = env->UnlinkAt(entry.dir_fd, entry.name, AT_REMOVEDIR, entry.path);
  if (!status.ok()) return status;
  *empty = true;
  return absl::OkStatus();
}

absl::StatusOr<bool> HoldsOnlyDirectories(Env* env, const Entry& entry) {
  struct stat st;
  absl::Status status = env->StatAt(entry.dir_fd, entry.name, &st, entry.path);
  if (!status.ok()) return status;
  if (!S_ISDIR(st.st_mode)) return false;
  absl::StatusOr<Listing> listing = OpenAndList(env, entry);
  if (!listing.ok()) return listing.status();
  for (const std::string& name : listing->names) {
    absl::StatusOr<bool> only =
        HoldsOnlyDirectories(env, Entry{listing->dir.get(), name, JoinPath(entry.path, name)});
    if (!only.ok() || !*only) return only;
  }
  return true;
}

absl::Status RemoveCreated(Env* env, const Entry& entry, const Created& created,
                           const RescueFn& rescue, int* rescued) {
  const bool has_source = created.has_source();
  const bool from_tree = created.tree != nullptr;
  const bool compared = has_source || from_tree;
  absl::StatusOr<PathState> actual = ObservePath(env, entry.dir_fd, entry.name, entry.path,
                                                 !compared && created.state.type() == REGULAR);
  if (!actual.ok()) return actual.status();
  if (actual->type() == ABSENT) return absl::OkStatus();

  PathState expected;
  if (has_source) {
    absl::StatusOr<PathState> source = ObservePath(env, created.source.dir_fd, created.source.name,
                                                   created.source.path, false);
    if (!source.ok()) return source.status();
    expected = *source;
  } else if (from_tree) {
    // A tree that cannot say (a path beneath one of its files) made nothing
    // there.
    absl::StatusOr<PathState> made = created.tree->Observe(created.rel, false);
    if (made.ok()) expected = *made;
  } else {
    expected = created.state;
  }
  bool same;
  if (compared) {
    same = SameEntry(*actual, expected);
  } else if (actual->type() == REGULAR) {
    same = expected.type() == REGULAR && actual->digest() == expected.digest() &&
           actual->mode() == expected.mode();
  } else {
    same = SameEntry(*actual, expected);
  }
  if (!same) {
    ++*rescued;
    return rescue(entry);
  }
  if (actual->type() != DIRECTORY) {
    return env->UnlinkAt(entry.dir_fd, entry.name, 0, entry.path);
  }

  absl::StatusOr<int> dir = env->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0,
                                        entry.path);
  if (!dir.ok()) return dir.status();
  Fd dir_fd(env, *dir, entry.path);
  struct stat st;
  absl::Status writable = env->StatAt(dir_fd.get(), "", &st, entry.path);
  if (writable.ok()) writable = MakeWritable(env, dir_fd.get(), st, entry.path);
  if (!writable.ok()) return writable;
  Fd source_fd;
  if (has_source) {
    absl::StatusOr<int> src = env->OpenAt(created.source.dir_fd, created.source.name,
                                          O_RDONLY | O_DIRECTORY, 0, created.source.path);
    if (!src.ok()) return src.status();
    source_fd = Fd(env, *src, created.source.path);
  }
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir_fd.get(), entry.path);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    Entry child{dir_fd.get(), name, JoinPath(entry.path, name)};
    absl::Status status;
    if (has_source) {
      Created child_created;
      child_created.source = Entry{source_fd.get(), name, JoinPath(created.source.path, name)};
      status = RemoveCreated(env, child, child_created, rescue, rescued);
    } else if (from_tree) {
      Created child_created;
      child_created.tree = created.tree;
      child_created.rel = JoinPath(created.rel, name);
      status = RemoveCreated(env, child, child_created, rescue, rescued);
    } else {
      // An op that made an empty directory made nothing beneath it.
      ++*rescued;
      status = rescue(child);
    }
    if (!status.ok()) return status;
  }
  return env->UnlinkAt(entry.dir_fd, entry.name, AT_REMOVEDIR, entry.path);
}

}  // namespace persist
