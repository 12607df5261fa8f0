// Copyright persist authors.

#include "fsops/release_update.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/tree.h"

namespace persist {
namespace {

// The digest of every regular file a copy or an unpack made, by path, which
// of them the package made, and every path the package placed.
struct Made {
  std::map<std::string, std::string> digests;
  std::set<std::string> from_package;
  std::set<std::string> placed;
};

class DigestCollector : public ManifestSink {
 public:
  DigestCollector(Made* made, std::string prefix, bool package)
      : made_(made), prefix_(std::move(prefix)), package_(package) {}
  void Clear() override {}
  void Add(const ManifestEntry& entry) override {
    const std::string path = JoinPath(prefix_, entry.path());
    if (package_) made_->placed.insert(path);
    if (entry.type() != REGULAR) return;
    made_->digests[path] = entry.digest();
    if (package_) made_->from_package.insert(path);
  }

 private:
  Made* made_;
  std::string prefix_;
  bool package_;
};

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
      DigestCollector collector(made, child, /*package=*/true);
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
    made->placed.insert(child);
    status = OverlayDirectory(env, source, target, child, leave_out, options, made);
    if (!status.ok()) return status;
    const struct timespec times[2] = {shipped.st_mtim, shipped.st_mtim};
    status = env->FchmodAt(target.dir_fd, name, shipped.st_mode & 07777, target.path);
    if (status.ok()) status = env->UtimensAt(target.dir_fd, name, times, target.path);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Hands the tree at `entry` (`rel` in the release) to `sink` in walk
// order, each regular file with its digest from `made`, or read; counts in
// `stats` its files, and those that are the base's own (`base`: the base
// release's directory fd), hard-linked.
absl::Status RecordTree(Env* env, const Entry& entry, const std::string& rel, const Made& made,
                        int base, ManifestSink* sink, CopyStats* stats) {
  struct stat st;
  absl::Status status = env->StatAt(entry.dir_fd, entry.name, &st, entry.path);
  if (!status.ok()) return status;
  PathState state;
  FillFromStat(st, &state);
  ManifestEntry out;
  out.set_path(rel);
  out.set_type(state.type());
  out.set_mode(state.mode());
  out.set_size(state.size());
  out.set_mtime_ns(state.mtime_ns());
  out.set_inode(st.st_ino);
  out.set_ctime_ns(TimespecNs(st.st_ctim));
  if (S_ISLNK(st.st_mode)) {
    absl::StatusOr<std::string> target = env->ReadLinkAt(entry.dir_fd, entry.name, entry.path);
    if (!target.ok()) return target.status();
    out.set_link_target(*target);
  }
  if (S_ISREG(st.st_mode)) {
    ++stats->files;
    stats->bytes += st.st_size;
    struct stat in_base;
    if (made.from_package.count(rel) == 0 && env->StatAt(base, rel, &in_base, rel).ok() &&
        in_base.st_ino == st.st_ino && in_base.st_dev == st.st_dev) {
      ++stats->linked;
    }
    auto known = made.digests.find(rel);
    if (known != made.digests.end()) {
      out.set_digest(known->second);
    } else {
      absl::StatusOr<PathState> read = ObservePath(env, entry.dir_fd, entry.name, entry.path, true);
      if (!read.ok()) return read.status();
      out.set_digest(read->digest());
    }
  }
  if (sink != nullptr) sink->Add(out);
  if (!S_ISDIR(st.st_mode)) return absl::OkStatus();
  absl::StatusOr<int> fd =
      env->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, entry.path);
  if (!fd.ok()) return fd.status();
  Fd dir(env, *fd, entry.path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir.get(), entry.path);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  for (const std::string& name : *names) {
    status = RecordTree(env, Entry{dir.get(), name, JoinPath(entry.path, name)},
                        JoinPath(rel, name), made, base, sink, stats);
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
  DigestCollector from_package(made, "", /*package=*/true);
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

// FailedPrecondition unless the package placed every path of `expected`:
// the copy of the base left out what stood there for it.
absl::Status CheckPlaced(const UpdateOp& op, const std::set<std::string>& expected,
                         const Made& made) {
  for (const std::string& rel : expected) {
    if (made.placed.count(rel) != 0) continue;
    const std::string package = op.has_package_archive()
                                    ? DescribeArchivePath(ArchivePathOf(op.package_archive()))
                                    : PrintablePath(op.package_dir());
    return absl::FailedPreconditionError(absl::StrCat(
        "the update package ", package, " changed while it was applied (it no longer holds ",
        PrintablePath(rel), "); deploy it again once it is complete"));
  }
  return absl::OkStatus();
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
  DigestCollector from_base(&made, "", /*package=*/false);
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
  // What the new release holds, counted once it is whole.
  absl::StatusOr<int> base_fd =
      env->OpenAt(base.dir_fd, base.name, O_RDONLY | O_DIRECTORY, 0, base.path);
  if (!base_fd.ok()) return base_fd.status();
  Fd base_dir(env, *base_fd, base.path);
  CopyStats counted;
  if (options.manifest != nullptr) options.manifest->Clear();
  status = RecordTree(env, into, "", made, base_dir.get(), options.manifest, &counted);
  if (!status.ok()) return status;
  if (options.stats != nullptr) {
    options.stats->files += counted.files;
    options.stats->bytes += counted.bytes;
    options.stats->linked += counted.linked;
    // A reflink cannot be told from a copy afterwards: those the copy made
    // are counted, at most the files neither linked nor the package's.
    options.stats->cloned += std::min<uint64_t>(
        copied.cloned, counted.files - counted.linked - made.from_package.size());
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
