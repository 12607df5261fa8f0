// Copyright persist authors.

#include "fsops/release_update.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/tree.h"

namespace persist {
namespace {

// The digest of every regular file a copy or an unpack made, by path, and
// which of them the package made.
struct Made {
  std::map<std::string, std::string> digests;
  std::set<std::string> from_package;
};

class DigestCollector : public ManifestSink {
 public:
  DigestCollector(Made* made, std::string prefix, bool package)
      : made_(made), prefix_(std::move(prefix)), package_(package) {}
  void Clear() override {}
  void Add(const ManifestEntry& entry) override {
    if (entry.type() != REGULAR) return;
    const std::string path = JoinPath(prefix_, entry.path());
    made_->digests[path] = entry.digest();
    if (package_) made_->from_package.insert(path);
  }

 private:
  Made* made_;
  std::string prefix_;
  bool package_;
};

// Removes `rel` beneath the tree open at `root` where it is, reached
// without following a symlink: a path behind one (in shared/, say) or
// missing is left alone.
absl::Status RemoveDeleted(Env* env, int root, const std::string& root_path,
                           const std::string& rel) {
  Fd current;
  int at = root;
  std::vector<std::string> parts = absl::StrSplit(rel, '/');
  std::string sofar;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    sofar = JoinPath(sofar, parts[i]);
    absl::StatusOr<int> fd = env->OpenAt(at, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                                         JoinPath(root_path, sofar));
    if (!fd.ok()) {
      const int err = StatusErrno(fd.status());
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) return absl::OkStatus();
      return fd.status();
    }
    current = Fd(env, *fd, JoinPath(root_path, sofar));
    at = current.get();
  }
  return RemoveTree(env, Entry{at, parts.back(), JoinPath(root_path, rel)});
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

}  // namespace

absl::Status BuildUpdate(Env* env, const UpdateOp& op, const Entry& base, const Entry& into,
                         const UpdateOptions& options) {
  Made made;
  DigestCollector from_base(&made, "", /*package=*/false);
  CopyOptions copy;
  copy.manifest = &from_base;
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
  absl::Status status = CopyTree(env, base, into, copy);
  if (!status.ok()) return status;
  absl::StatusOr<int> root =
      env->OpenAt(into.dir_fd, into.name, O_RDONLY | O_DIRECTORY, 0, into.path);
  if (!root.ok()) return root.status();
  Fd tree(env, *root, into.path);
  for (const std::string& gone : op.deleted()) {
    status = RemoveDeleted(env, tree.get(), into.path, gone);
    if (!status.ok()) return status;
  }
  if (op.has_package_archive()) {
    DigestCollector from_package(&made, "", /*package=*/true);
    UnpackOptions unpack;
    unpack.limits = ArchiveLimitsOf(op.package_archive());
    unpack.manifest = &from_package;
    unpack.uid = options.uid;
    unpack.gid = options.gid;
    unpack.over_existing = true;
    unpack.leave_out = op.package_list();
    absl::StatusOr<CopyStats> unpacked =
        UnpackArchive(env, ArchivePathOf(op.package_archive()), into, unpack);
    if (!unpacked.ok()) return unpacked.status();
  } else if (!op.package_dir().empty()) {
    status = OverlayDirectory(env, Entry{AT_FDCWD, op.package_dir(), op.package_dir()}, into, "",
                              op.package_list(), options, &made);
    if (!status.ok()) return status;
  }
  // What the new release holds, counted once it is whole: the package
  // replaced some of the files the copy made.
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
    // A reflink cannot be told from a copy afterwards; those the copy made
    // are counted, less the files the package replaced or deleted.
    options.stats->cloned += std::min<uint64_t>(
        copied.cloned, counted.files - counted.linked - made.from_package.size());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<UpdateResult>> UpdateResult::Open(const Root& site,
                                                                 const UpdateOp& op) {
  std::unique_ptr<UpdateResult> result(new UpdateResult());
  result->base_ = std::make_unique<RootTree>(site, op.base());
  if (op.has_package_archive()) {
    absl::StatusOr<std::unique_ptr<ArchiveListing>> listing = ScanArchive(
        site.env(), ArchivePathOf(op.package_archive()), ArchiveLimitsOf(op.package_archive()));
    if (!listing.ok()) return listing.status();
    result->listing_ = *std::move(listing);
    result->package_ = std::make_unique<SubTree>(*result->listing_, op.package_archive().dir());
  } else if (!op.package_dir().empty()) {
    result->package_ = std::make_unique<DirectoryTree>(site.env(), op.package_dir());
  } else {
    result->package_ = std::make_unique<EmptyTree>("(no package)");
  }
  const SourceTree* laid = result->package_.get();
  if (!op.package_list().empty()) {
    result->laid_ = std::make_unique<TreeWithout>(*result->package_, op.package_list());
    laid = result->laid_.get();
  }
  result->overlay_ = std::make_unique<OverlayTree>(
      *result->base_, *laid, std::vector<std::string>(op.deleted().begin(), op.deleted().end()));
  return result;
}

}  // namespace persist
