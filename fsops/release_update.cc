// Copyright persist authors.

#include "fsops/release_update.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/tree.h"

namespace persist {
namespace {

// The manifest entries of what the copy of the base and the package made,
// each in walk order (path.h PathBefore), as they were handed over; in
// deques, which grow without moving or doubling what they already hold.
struct Made {
  std::deque<ManifestEntry> base;
  std::deque<ManifestEntry> package;
};

// Keeps the entries a copy or an unpack hands over, their paths beneath
// `prefix`. Clear drops nothing: the package's files, laid one at a time,
// add up.
class Collector : public ManifestSink {
 public:
  explicit Collector(std::deque<ManifestEntry>* out, std::string prefix = "")
      : out_(out), prefix_(std::move(prefix)) {}
  void Clear() override {}
  void Add(const ManifestEntry& entry) override {
    out_->push_back(entry);
    if (!prefix_.empty()) out_->back().set_path(JoinPath(prefix_, entry.path()));
  }

 private:
  std::deque<ManifestEntry>* out_;
  std::string prefix_;
};

// The entry of a directory the package lays at `rel`, with the mode and
// mtime it is given.
ManifestEntry DirectoryEntry(const std::string& rel, const struct stat& shipped) {
  ManifestEntry entry;
  entry.set_path(rel);
  entry.set_type(DIRECTORY);
  entry.set_mode(shipped.st_mode & 07777);
  entry.set_mtime_ns(TimespecNs(shipped.st_mtim));
  return entry;
}

// Lays the package directory open at `from` over the tree open at `to`;
// `rel` is where both are in the release; `leave_out` is not laid.
absl::Status OverlayDirectory(Env* env, const Entry& from, const Entry& to, const std::string& rel,
                              const std::string& leave_out, const UpdateOptions& options,
                              Made* made) {
  absl::StatusOr<int> src =
      env->OpenAt(from.dir_fd, from.name, O_RDONLY | O_DIRECTORY, 0, from.path);
  if (!src.ok()) return src.status();
  Fd src_dir(env, *src, from.path);
  absl::StatusOr<int> dst =
      env->OpenAt(to.dir_fd, to.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, to.path);
  if (!dst.ok()) return dst.status();
  Fd dst_dir(env, *dst, to.path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(src_dir.get(), from.path);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  for (const std::string& name : *names) {
    const Entry source{src_dir.get(), name, JoinPath(from.path, name)};
    const Entry target{dst_dir.get(), name, JoinPath(to.path, name)};
    const std::string child = JoinPath(rel, name);
    if (!leave_out.empty() && child == leave_out) continue;
    struct stat shipped;
    absl::Status status = env->StatAt(source.dir_fd, name, &shipped, source.path);
    if (!status.ok()) return status;
    struct stat existing;
    absl::Status found = env->StatAt(target.dir_fd, name, &existing, target.path);
    if (!found.ok() && StatusErrno(found) != ENOENT) return found;
    const bool both_dirs = found.ok() && S_ISDIR(existing.st_mode) && S_ISDIR(shipped.st_mode);
    if (found.ok() && !both_dirs) {
      status = RemoveTree(env, target);
      if (!status.ok()) return status;
    }
    if (!S_ISDIR(shipped.st_mode)) {
      CopyOptions copy;
      Collector collector(&made->package, child);
      copy.manifest = &collector;
      copy.uid = options.uid;
      copy.gid = options.gid;
      copy.workers = 1;
      status = CopyTree(env, source, target, copy);
      if (!status.ok()) return status;
      continue;
    }
    if (!both_dirs) {
      status = env->MkdirAt(target.dir_fd, name, 0700, target.path);
      if (status.ok() &&
          (options.uid != static_cast<uid_t>(-1) || options.gid != static_cast<gid_t>(-1))) {
        status = env->ChownAt(target.dir_fd, name, options.uid, options.gid, target.path);
      }
      if (!status.ok()) return status;
    }
    made->package.push_back(DirectoryEntry(child, shipped));
    status = OverlayDirectory(env, source, target, child, leave_out, options, made);
    if (!status.ok()) return status;
    const struct timespec times[2] = {shipped.st_mtim, shipped.st_mtim};
    status = env->FchmodAt(target.dir_fd, name, shipped.st_mode & 07777, target.path);
    if (status.ok()) status = env->UtimensAt(target.dir_fd, name, times, target.path);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Lays the package `op` names over the tree at `into`, noting in `made`
// what it placed.
absl::Status LayPackage(Env* env, const UpdateOp& op, const Entry& into,
                        const UpdateOptions& options, Made* made) {
  if (!op.has_package_archive()) {
    return OverlayDirectory(env, Entry{AT_FDCWD, op.package_dir(), op.package_dir()}, into, "",
                            op.package_list(), options, made);
  }
  Collector from_package(&made->package);
  UnpackOptions unpack;
  unpack.limits = ArchiveLimitsOf(op.package_archive());
  unpack.manifest = &from_package;
  unpack.uid = options.uid;
  unpack.gid = options.gid;
  unpack.over_existing = true;
  unpack.leave_out = op.package_list();
  return UnpackArchive(env, ArchivePathOf(op.package_archive()), into, unpack).status();
}

// The package `op` names, as a tree: `*listing` receives an archive's
// listing, `*package` the package (for an archive, its op.package_archive()
// .dir()), `*laid` the package without its own list of deleted paths, when
// it has one (else it stays empty: all of `*package` is laid).
absl::Status OpenPackage(Env* env, const UpdateOp& op, std::unique_ptr<ArchiveListing>* listing,
                         std::unique_ptr<SourceTree>* package, std::unique_ptr<SourceTree>* laid) {
  if (op.has_package_archive()) {
    absl::StatusOr<std::unique_ptr<ArchiveListing>> scanned = ScanArchive(
        env, ArchivePathOf(op.package_archive()), ArchiveLimitsOf(op.package_archive()));
    if (!scanned.ok()) return scanned.status();
    *listing = *std::move(scanned);
    *package = std::make_unique<SubTree>(**listing, op.package_archive().dir());
  } else {
    *package = std::make_unique<DirectoryTree>(env, op.package_dir());
  }
  if (!op.package_list().empty()) {
    *laid = std::make_unique<TreeWithout>(**package, op.package_list());
  }
  return absl::OkStatus();
}

// The paths of the release the package lays something at.
struct PackagePaths {
  // Files and symlinks: whatever the base holds there gives way.
  std::set<std::string> files;
  // Directories: a directory of the base there stays, with the package's
  // entries laid into it; anything else gives way.
  std::set<std::string> dirs;
};

// Adds the paths of `package` beneath `rel` to `out`.
absl::Status AddPackagePaths(const SourceTree& package, const std::string& rel, PackagePaths* out) {
  absl::StatusOr<PathState> state = package.Observe(rel, false);
  if (!state.ok()) return state.status();
  if (state->type() == ABSENT) return absl::OkStatus();
  if (state->type() != DIRECTORY) {
    out->files.insert(rel);
    return absl::OkStatus();
  }
  out->dirs.insert(rel);
  absl::StatusOr<std::vector<std::string>> names = package.List(rel);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    absl::Status status = AddPackagePaths(package, JoinPath(rel, name), out);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// FailedPrecondition: the package no longer is what its listing said, at
// `rel`: it changed while it was applied.
absl::Status Changed(const UpdateOp& op, const std::string& rel) {
  const std::string package = op.has_package_archive()
                                  ? DescribeArchivePath(ArchivePathOf(op.package_archive()))
                                  : PrintablePath(op.package_dir());
  return absl::FailedPreconditionError(
      absl::StrCat("the update package ", package, " changed while it was applied (at ",
                   PrintablePath(rel), "); deploy it again once it is complete"));
}

// Unless the package placed every path of `expected`, for which the copy of
// the base left out what stood there, Changed.
absl::Status CheckPlaced(const UpdateOp& op, const std::set<std::string>& expected,
                         const Made& made) {
  std::set<std::string> placed;
  for (const ManifestEntry& entry : made.package) placed.insert(entry.path());
  for (const std::string& rel : expected) {
    if (placed.count(rel) == 0) return Changed(op, rel);
  }
  return absl::OkStatus();
}

// What the copy's and the package's entries no longer say of the release,
// since changed: the directories the package laid entries in (each one
// moved their mtime), and the files that share their inode with another
// entry (a link or unlink of one name moves the ctime of every other).
class Stale {
 public:
  explicit Stale(const Made& made) {
    for (const ManifestEntry& entry : made.package) {
      if (!entry.path().empty()) dirs_.insert(SplitParent(entry.path()).first);
    }
    std::vector<uint64_t> all;
    for (const std::deque<ManifestEntry>* entries : {&made.base, &made.package}) {
      for (const ManifestEntry& entry : *entries) {
        if (entry.type() == REGULAR) all.push_back(entry.inode());
      }
    }
    std::sort(all.begin(), all.end());
    for (size_t i = 1; i < all.size(); ++i) {
      if (all[i] == all[i - 1] && (inodes_.empty() || inodes_.back() != all[i])) {
        inodes_.push_back(all[i]);
      }
    }
  }

  bool operator()(const ManifestEntry& entry) const {
    if (entry.type() == DIRECTORY) return dirs_.count(entry.path()) != 0;
    return entry.type() == REGULAR &&
           std::binary_search(inodes_.begin(), inodes_.end(), entry.inode());
  }

 private:
  std::set<std::string> dirs_;
  std::vector<uint64_t> inodes_;  // sorted
};

// Sets `entry`'s mode, mtime and, for a file, size and identity from the
// release open at `root` (`root_path` names it), as it is now.
absl::Status Restate(Env* env, int root, const std::string& root_path, ManifestEntry* entry) {
  const std::string shown = JoinPath(root_path, entry->path());
  absl::StatusOr<int> fd = env->OpenBeneath(root, entry->path(), O_PATH | O_NOFOLLOW);
  if (!fd.ok()) return fd.status();
  Fd opened(env, *fd, shown);
  struct stat st;
  absl::Status status = env->StatAt(opened.get(), "", &st, shown);
  if (!status.ok()) return status;
  PathState state;
  FillFromStat(st, &state);
  if (state.type() != entry->type()) {
    return absl::FailedPreconditionError(absl::StrCat(
        PrintablePath(shown), " changed while the release was being built; deploy again"));
  }
  entry->set_mode(state.mode());
  entry->set_mtime_ns(state.mtime_ns());
  if (state.type() == REGULAR) {
    entry->set_size(state.size());
    entry->set_inode(st.st_ino);
    entry->set_ctime_ns(TimespecNs(st.st_ctim));
  }
  return absl::OkStatus();
}

// The copy's entries and the package's, merged in walk order. Where both
// hold a directory, the package's stands: it gave the directory its mode
// and mtime. Any other path both hold, or one beneath a file of the
// package, means the package laid something where its listing said it
// would not: Changed.
class MergedEntries {
 public:
  MergedEntries(const UpdateOp& op, Made* made)
      : op_(op), base_(made->base), package_(made->package) {}

  // The next entry; nullptr after the last.
  absl::StatusOr<ManifestEntry*> Next() {
    if (i_ == base_.size() && j_ == package_.size()) return nullptr;
    if (j_ == package_.size() ||
        (i_ < base_.size() && PathBefore(base_[i_].path(), package_[j_].path()))) {
      ManifestEntry* next = &base_[i_++];
      if (laid_file_ != nullptr && IsWithin(next->path(), *laid_file_)) {
        return Changed(op_, *laid_file_);
      }
      return next;
    }
    ManifestEntry* next = &package_[j_++];
    if (i_ < base_.size() && base_[i_].path() == next->path()) {
      if (base_[i_].type() != DIRECTORY || next->type() != DIRECTORY) {
        return Changed(op_, next->path());
      }
      ++i_;
    }
    if (next->type() != DIRECTORY) laid_file_ = &next->path();
    return next;
  }

 private:
  const UpdateOp& op_;
  std::deque<ManifestEntry>& base_;
  std::deque<ManifestEntry>& package_;
  size_t i_ = 0, j_ = 0;
  const std::string* laid_file_ = nullptr;  // the package's last file or symlink
};

// Hands the manifest of the release at `into` to `sink` (when given), in
// walk order, what changed since the copy and the package made their
// entries stated again; counts its files in `stats`.
absl::Status RecordRelease(Env* env, const UpdateOp& op, const Entry& into, Made* made,
                           ManifestSink* sink, CopyStats* stats) {
  const Stale stale(*made);
  Fd root;
  if (sink != nullptr) {
    sink->Clear();
    absl::StatusOr<int> fd =
        env->OpenAt(into.dir_fd, into.name, O_RDONLY | O_DIRECTORY, 0, into.path);
    if (!fd.ok()) return fd.status();
    root = Fd(env, *fd, into.path);
  }
  MergedEntries entries(op, made);
  while (true) {
    absl::StatusOr<ManifestEntry*> next = entries.Next();
    if (!next.ok()) return next.status();
    if (*next == nullptr) return absl::OkStatus();
    ManifestEntry* entry = *next;
    if (entry->type() == REGULAR) {
      ++stats->files;
      stats->bytes += entry->size();
    }
    if (sink == nullptr) continue;
    if (stale(*entry)) {
      absl::Status status = Restate(env, root.get(), into.path, entry);
      if (!status.ok()) return status;
    }
    sink->Add(*entry);
  }
}

}  // namespace

absl::Status BuildUpdate(Env* env, const UpdateOp& op, const Entry& base, const Entry& into,
                         const UpdateOptions& options) {
  // What the package replaces and the paths it deletes are left out of the
  // copy of the base, rather than linked or copied only to be removed
  // again: the base's own files stay untouched, not even their ctime moved
  // by a link come and gone.
  std::unique_ptr<ArchiveListing> listing;
  std::unique_ptr<SourceTree> package, laid;
  absl::Status status = OpenPackage(env, op, &listing, &package, &laid);
  if (!status.ok()) return status;
  PackagePaths laid_at;
  status = AddPackagePaths(laid != nullptr ? *laid : *package, "", &laid_at);
  if (!status.ok()) return status;
  const std::set<std::string> deleted(op.deleted().begin(), op.deleted().end());
  // What the package must place, since the copy left out what stood there.
  std::set<std::string> expected = laid_at.files;

  Made made;
  Collector from_base(&made.base);
  CopyOptions copy;
  copy.manifest = &from_base;
  copy.leave_out = [&](const std::string& rel, const struct stat& st) {
    if (laid_at.files.count(rel) != 0 || deleted.count(rel) != 0) return true;
    if (S_ISDIR(st.st_mode) || laid_at.dirs.count(rel) == 0) return false;
    expected.insert(rel);
    return true;
  };
  copy.on_file = options.on_file;
  copy.uid = options.uid;
  copy.gid = options.gid;
  CopyStats copied;
  copy.stats = &copied;
  if (options.dedupe != DEDUPE_OFF) {
    copy.previous = base;
    copy.dedupe = options.dedupe;
    copy.previous_manifest = options.base_manifest;
  }
  status = CopyTree(env, base, into, copy);
  if (status.ok()) status = LayPackage(env, op, into, options, &made);
  if (!status.ok()) return status;
  status = CheckPlaced(op, expected, made);
  if (!status.ok()) return status;
  // The copy's files all stand: the package laid nothing where they are.
  CopyStats counted;
  status = RecordRelease(env, op, into, &made, options.manifest, &counted);
  if (!status.ok()) return status;
  if (options.stats != nullptr) {
    options.stats->files += counted.files;
    options.stats->bytes += counted.bytes;
    options.stats->linked += copied.linked;
    options.stats->cloned += copied.cloned;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<UpdateResult>> UpdateResult::Open(const Root& site,
                                                                 const UpdateOp& op) {
  std::unique_ptr<UpdateResult> result(new UpdateResult());
  result->base_ = std::make_unique<RootTree>(site, op.base());
  absl::Status status =
      OpenPackage(site.env(), op, &result->listing_, &result->package_, &result->laid_);
  if (!status.ok()) return status;
  result->overlay_ = std::make_unique<OverlayTree>(
      *result->base_, result->package(),
      std::vector<std::string>(op.deleted().begin(), op.deleted().end()));
  return result;
}

}  // namespace persist
