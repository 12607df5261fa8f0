// Copyright persist authors.

#include "fsops/copy_tree.h"
#include "fsops/write_back.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/work_pool.h"

namespace persist {

namespace {

// Copies in the kernel; plain read and write across filesystems or on ones
// without copy_file_range.
absl::Status CopyContent(Env* env, int in, int out, int64_t size, const std::string& path) {
  while (true) {
    absl::StatusOr<size_t> done = env->CopyFileRange(in, out, 1 << 30, path);
    if (!done.ok()) {
      int err = StatusErrno(done.status());
      if (err != EXDEV && err != EINVAL && err != ENOSYS && err != EOPNOTSUPP) return done.status();
      break;
    }
    if (*done == 0) return absl::OkStatus();
  }
  return ReadToEnd(env, in, size, path,
                   [&](const char* data, size_t n) { return env->Write(out, data, n, path); });
}

// Copies and hashes in one read.
absl::Status CopyAndDigest(Env* env, int in, int out, int64_t size, const std::string& path,
                           std::string* digest) {
  Sha256 sha;
  absl::Status status = sha.Start();
  if (!status.ok()) return status;
  status = ReadToEnd(env, in, size, path, [&](const char* data, size_t n) {
    sha.Update(data, n);
    return env->Write(out, data, n, path);
  });
  if (!status.ok()) return status;
  *digest = sha.Finish();
  return absl::OkStatus();
}

// Reads all of n bytes, or fewer only at end of file.
absl::StatusOr<size_t> ReadFull(Env* env, int fd, char* buf, size_t n, const std::string& path) {
  size_t total = 0;
  while (total < n) {
    absl::StatusOr<size_t> got = env->Read(fd, buf + total, n - total, path);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    total += *got;
  }
  return total;
}

// Whether two open files hold the same bytes; the first is hashed on the way
// when `digest` is given (only complete when they are the same).
absl::StatusOr<bool> SameContent(Env* env, int a, int b, const std::string& a_path,
                                 const std::string& b_path, std::string* digest) {
  Sha256 sha;
  if (digest != nullptr) {
    absl::Status started = sha.Start();
    if (!started.ok()) return started;
  }
  char* buf_a = ThreadBuffer(0);
  char* buf_b = ThreadBuffer(1);
  while (true) {
    absl::StatusOr<size_t> got_a = ReadFull(env, a, buf_a, kReadBufferSize, a_path);
    if (!got_a.ok()) return got_a.status();
    absl::StatusOr<size_t> got_b = ReadFull(env, b, buf_b, kReadBufferSize, b_path);
    if (!got_b.ok()) return got_b.status();
    if (*got_a != *got_b || std::memcmp(buf_a, buf_b, *got_a) != 0) return false;
    if (*got_a == 0) break;
    if (digest != nullptr) sha.Update(buf_a, *got_a);
  }
  if (digest != nullptr) *digest = sha.Finish();
  return true;
}

// Whether the directories open at `a` and `b` are known to be one and the
// same.
bool SameDirectory(Env* env, int a, int b, const std::string& path) {
  struct stat a_st, b_st;
  return env->StatAt(a, "", &a_st, path).ok() && env->StatAt(b, "", &b_st, path).ok() &&
         a_st.st_dev == b_st.st_dev && a_st.st_ino == b_st.st_ino;
}

bool SameTime(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

void FillEntry(const std::string& rel, const struct stat& st, ManifestEntry* entry) {
  PathState state;
  FillFromStat(st, &state);
  entry->set_path(rel);
  entry->set_type(state.type());
  entry->set_mode(state.mode());
  entry->set_size(state.size());
  entry->set_mtime_ns(state.mtime_ns());
}

// A manifest entry, filled in by the walk and, for a file, finished by the
// worker that copies it.
struct PendingEntry {
  ManifestEntry entry;
  bool done = false;
};

// A copy's manifest entries in walk order, handed to the sink as soon as
// every entry before them is done. Files finish on the workers, out of order;
// only the entries behind the oldest file still being copied wait here.
class EntryQueue {
 public:
  explicit EntryQueue(ManifestSink* sink) : sink_(sink) {
    if (sink_ != nullptr) sink_->Clear();
  }

  bool wanted() const { return sink_ != nullptr; }

  // The walk's next entry, to fill in and then pass to Done.
  PendingEntry* Add() {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_.push_back(std::make_unique<PendingEntry>());
    return waiting_.back().get();
  }

  // `pending` is complete (from any thread).
  void Done(PendingEntry* pending) {
    std::lock_guard<std::mutex> lock(mu_);
    pending->done = true;
    while (!waiting_.empty() && waiting_.front()->done) {
      sink_->Add(waiting_.front()->entry);
      waiting_.pop_front();
    }
  }

 private:
  ManifestSink* const sink_;
  std::mutex mu_;
  std::deque<std::unique_ptr<PendingEntry>> waiting_;
};

// A directory whose copy is under way. Its mode and times are set once every
// entry in it is done: a read-only directory must still take its entries, and
// adding each one changes its mtime.
struct Dir {
  Fd src, dst, prev;  // prev: the same directory in the previous release, if any
  struct stat st;
  std::string from_path, to_path;
  std::shared_ptr<Dir> parent;
  // The walk's own reference, plus one for every entry still being copied.
  std::atomic<int> pending{1};
};

// A worker's task is a run of up to kBatchFiles files of one directory, or
// fewer when they reach kBatchBytes: small enough that the workers stay
// evenly loaded, large enough that a release of small files does not cost a
// wake-up for each.
constexpr size_t kBatchFiles = 16;
constexpr uint64_t kBatchBytes = 1 << 20;

// Threads for the pool: none when one worker is asked for, so that the
// calling thread copies every file itself.
int WorkersFor(const CopyOptions& options) {
  const int workers = options.workers > 0 ? options.workers : DefaultCopyWorkers();
  return workers == 1 ? 0 : workers;
}

class TreeCopier {
 public:
  TreeCopier(Env* env, const CopyOptions& options)
      : env_(env),
        options_(options),
        owner_uid_(chown_wanted() ? options.uid : geteuid()),
        owner_gid_(chown_wanted() ? options.gid : getegid()),
        batch_files_(WorkersFor(options) == 0 ? 1 : kBatchFiles),
        entries_(options.manifest),
        pool_(WorkersFor(options), 64) {}

  absl::Status Run(const Entry& from, const Entry& to);

 private:
  struct File {
    int src_dir, dst_dir, prev_dir;
    std::string name;     // in src_dir and prev_dir
    std::string to_name;  // in dst_dir: the same but for a copy of a single file
    std::string from_path, to_path;
    struct stat st;
    PendingEntry* entry;  // nullptr without a manifest
    // Its entry in the previous release's manifest, if any.
    std::shared_ptr<const ManifestEntry> known;
  };

  // Files of one directory the walk has reached, for one worker to copy in
  // turn: a task per file would wake a worker for every small file.
  struct Batch {
    std::vector<File> files;
    uint64_t bytes = 0;
  };

  // Copies `from` to `to`; a file in a directory joins `batch`.
  absl::Status CopyEntry(const Entry& from, const Entry& to, const std::string& rel, int prev_dir,
                         const std::shared_ptr<Dir>& parent, Batch* batch);
  // Hands `batch`'s files, in `parent`, to a worker, and empties it.
  void SubmitBatch(Batch* batch, const std::shared_ptr<Dir>& parent);
  // Copies a file and finishes its entry.
  absl::Status CopyFileAndEntry(const File& file);
  absl::Status CopyDirectory(const Entry& from, const Entry& to, const std::string& rel,
                             const struct stat& st, int prev_dir, std::shared_ptr<Dir> parent);
  absl::Status CopySymlink(const Entry& from, const Entry& to, const struct stat& st,
                           PendingEntry* entry);
  absl::Status CopyFile(const File& file);
  // Links or clones `file` from the previous release when it holds the same
  // content; *out receives the file opened for the clone, or stays invalid.
  absl::StatusOr<bool> TryDedupe(const File& file, Fd* out);
  absl::Status SetOwner(int dir_fd, const std::string& name, const std::string& path);
  absl::Status FinishDir(const Dir& dir);
  // One entry of `dir` (or the walk of it) is done.
  void Release(std::shared_ptr<Dir> dir);
  void Fail(const absl::Status& status);
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void Copied(const File& file, bool linked, bool cloned);
  bool chown_wanted() const { return options_.uid != static_cast<uid_t>(-1); }
  // The previous manifest's entry for `rel`, a file the walk reached (walk
  // thread only: the manifest is read alongside the walk, in its order).
  std::shared_ptr<const ManifestEntry> KnownEntry(const std::string& rel);
  // Records the identity of the file now at `fd` (or `name` in `dir_fd`).
  absl::Status RecordIdentity(const File& file, int fd, const std::string& name);

  Env* env_;
  const CopyOptions& options_;
  // Who owns what the copy makes: asked once, not once for every file.
  const uid_t owner_uid_;
  const gid_t owner_gid_;
  // Files in a worker's task: one where the walk's thread copies them all
  // itself, so that each is copied as soon as the walk reaches it.
  const size_t batch_files_;
  std::atomic<bool> failed_{false};
  // `previous` is the very directory `from` is (a release made from the live
  // one): each file's stat serves as its previous file's too, and no
  // directory is opened twice. Set before the walk goes below the top.
  bool previous_is_source_ = false;
  std::atomic<bool> clone_unsupported_{false};
  std::atomic<bool> clone_probed_{false};  // a clone was tried: the answer is known
  std::mutex clone_probe_mu_;              // held by the clone that finds out
  std::mutex mu_;  // guards first_error_, stats_, written_, write_back_ and on_file calls
  absl::Status first_error_;
  CopyStats stats_;
  EntryQueue entries_;
  BackgroundWriteBack* write_back_ = nullptr;  // Run's, for the length of the copy
  uint64_t written_ = 0;  // bytes of the files copied, not linked or cloned
  ManifestEntry known_next_;  // the previous manifest's next entry
  bool known_started_ = false, known_more_ = false;
  WorkPool pool_;  // last: its destructor waits for tasks that use the above
};

void TreeCopier::Fail(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (first_error_.ok()) first_error_ = status;
  failed_ = true;
}

void TreeCopier::Copied(const File& file, bool linked, bool cloned) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.files;
  stats_.bytes += static_cast<uint64_t>(file.st.st_size);
  if (linked) ++stats_.linked;
  if (cloned) ++stats_.cloned;
  if (options_.on_file) options_.on_file(stats_.files, stats_.bytes);
  if (!linked && !cloned) written_ += static_cast<uint64_t>(file.st.st_size);
  if (write_back_ != nullptr) write_back_->Copied(written_);
}

absl::Status TreeCopier::SetOwner(int dir_fd, const std::string& name, const std::string& path) {
  if (!chown_wanted()) return absl::OkStatus();
  return env_->ChownAt(dir_fd, name, options_.uid, options_.gid, path);
}

absl::Status TreeCopier::FinishDir(const Dir& dir) {
  absl::Status status = SetOwner(dir.dst.get(), "", dir.to_path);
  if (status.ok()) status = env_->Fchmod(dir.dst.get(), dir.st.st_mode & 07777, dir.to_path);
  if (!status.ok()) return status;
  struct timespec times[2] = {dir.st.st_atim, dir.st.st_mtim};
  return env_->UtimensAt(dir.dst.get(), "", times, dir.to_path);
}

void TreeCopier::Release(std::shared_ptr<Dir> dir) {
  while (dir != nullptr && dir->pending.fetch_sub(1) == 1) {
    if (!failed()) {
      absl::Status status = FinishDir(*dir);
      if (!status.ok()) Fail(status);
    }
    std::shared_ptr<Dir> parent = std::move(dir->parent);
    dir = std::move(parent);
  }
}

std::shared_ptr<const ManifestEntry> TreeCopier::KnownEntry(const std::string& rel) {
  ManifestSource* source = options_.previous_manifest;
  if (source == nullptr) return nullptr;
  if (!known_started_) {
    known_started_ = true;
    known_more_ = source->Next(&known_next_);
  }
  while (known_more_ && PathBefore(known_next_.path(), rel)) known_more_ = source->Next(&known_next_);
  if (!known_more_ || known_next_.path() != rel || known_next_.type() != REGULAR) return nullptr;
  return std::make_shared<const ManifestEntry>(known_next_);
}

absl::Status TreeCopier::RecordIdentity(const File& file, int fd, const std::string& name) {
  if (file.entry == nullptr) return absl::OkStatus();
  struct stat st;
  absl::Status status = env_->StatAt(fd, name, &st, file.to_path);
  if (!status.ok()) return status;
  file.entry->entry.set_inode(st.st_ino);
  file.entry->entry.set_ctime_ns(TimespecNs(st.st_ctim));
  return absl::OkStatus();
}

absl::StatusOr<bool> TreeCopier::TryDedupe(const File& file, Fd* out) {
  const DedupeMode mode = options_.dedupe;
  if (mode == DEDUPE_OFF || file.prev_dir < 0) return false;
  if (mode == DEDUPE_AUTO && clone_unsupported_.load()) return false;
  struct stat prev_st;
  if (previous_is_source_) {
    prev_st = file.st;
  } else if (!env_->StatAt(file.prev_dir, file.name, &prev_st, file.to_path).ok()) {
    return false;
  }
  if (!S_ISREG(prev_st.st_mode) || prev_st.st_size != file.st.st_size) return false;
  if (mode == DEDUPE_HARDLINK) {
    // The two names share one inode, so all it carries must already agree.
    if ((prev_st.st_mode & 07777) != (file.st.st_mode & 07777) ||
        !SameTime(prev_st.st_mtim, file.st.st_mtim) || prev_st.st_uid != owner_uid_ ||
        prev_st.st_gid != owner_gid_) {
      return false;
    }
  }
  std::string digest;
  // The previous file as its manifest recorded it, not written since: its
  // digest stands for its content, and only the source is read.
  const ManifestEntry* known = file.known.get();
  const bool trusted = known != nullptr && known->inode() != 0 && known->inode() == prev_st.st_ino &&
                       known->ctime_ns() == TimespecNs(prev_st.st_ctim) &&
                       known->size() == static_cast<uint64_t>(prev_st.st_size) &&
                       known->mtime_ns() == TimespecNs(file.st.st_mtim);
  // The source is that very file (a release made from the live one, as an
  // update package's is): nothing needs reading at all.
  const bool itself = trusted && file.st.st_ino == prev_st.st_ino && file.st.st_dev == prev_st.st_dev;
  Fd in_fd;
  if (!itself) {
    absl::StatusOr<int> in = env_->OpenAt(file.src_dir, file.name, O_RDONLY, 0, file.from_path);
    if (!in.ok()) return in.status();
    in_fd = Fd(env_, *in, file.from_path);
  }
  Fd prev_fd;
  if (itself) {
    digest = known->digest();
  } else if (trusted) {
    absl::StatusOr<std::string> source = DigestFd(env_, in_fd.get(), file.from_path, file.st.st_size);
    if (!source.ok()) return source.status();
    if (*source != known->digest()) return false;
    digest = *std::move(source);
  }
  if (!trusted || mode != DEDUPE_HARDLINK) {  // a clone reads from the previous file
    absl::StatusOr<int> prev = env_->OpenAt(file.prev_dir, file.name, O_RDONLY, 0, file.to_path);
    if (!prev.ok()) return false;
    prev_fd = Fd(env_, *prev, file.to_path);
  }
  if (!trusted) {
    // Byte for byte: a file edited in place since its manifest was made (the
    // tamper check's business) is then copied, never spread.
    absl::StatusOr<bool> same = SameContent(env_, in_fd.get(), prev_fd.get(), file.from_path,
                                            file.to_path, file.entry != nullptr ? &digest : nullptr);
    if (!same.ok() || !*same) return same;
  }

  if (mode == DEDUPE_HARDLINK) {
    absl::Status linked =
        env_->LinkAt(file.prev_dir, file.name, file.dst_dir, file.to_name, file.to_path);
    if (!linked.ok()) {
      const int err = StatusErrno(linked);
      // Too many links, or a filesystem or policy that refuses them: copy.
      if (err == EMLINK || err == EPERM || err == EXDEV) return false;
      return linked;
    }
    absl::Status recorded = RecordIdentity(file, file.dst_dir, file.to_name);
    if (!recorded.ok()) return recorded;
  } else {
    // The first clone finds out whether the filesystem can; the others wait
    // for its answer rather than each try and fail, so that a copy makes the
    // same calls however its workers interleave (the crash campaigns count
    // on that).
    std::unique_lock<std::mutex> probing(clone_probe_mu_, std::defer_lock);
    if (!clone_probed_.load()) probing.lock();
    if (mode == DEDUPE_AUTO && clone_unsupported_.load()) return false;
    absl::StatusOr<int> created = env_->OpenAt(file.dst_dir, file.to_name,
                                               O_WRONLY | O_CREAT | O_EXCL, 0600, file.to_path);
    if (!created.ok()) return created.status();
    *out = Fd(env_, *created, file.to_path);
    absl::Status cloned = env_->CloneFile(prev_fd.get(), out->get(), file.to_path);
    if (cloned.ok()) clone_probed_ = true;
    if (!cloned.ok()) {
      const int err = StatusErrno(cloned);
      const bool cannot = err == EOPNOTSUPP || err == EXDEV || err == EINVAL || err == ENOTTY ||
                          err == ENOSYS;
      if (!cannot) return cloned;
      if (mode == DEDUPE_REFLINK) {
        return Annotate(cloned, "the filesystem holding " + PrintablePath(file.to_path) +
                                    " cannot share blocks between files (reflink): deploy "
                                    "hard-linking, copying, or reflinking where it can");
      }
      clone_unsupported_ = true;
      clone_probed_ = true;
      return false;  // *out stays open and empty: the copy goes into it
    }
  }
  if (file.entry != nullptr) file.entry->entry.set_digest(digest);
  return true;
}

absl::Status TreeCopier::CopyFile(const File& file) {
  Fd out;
  absl::StatusOr<bool> deduped = TryDedupe(file, &out);
  if (!deduped.ok()) return deduped.status();
  const bool linked = *deduped && options_.dedupe == DEDUPE_HARDLINK;
  if (linked) {
    Copied(file, true, false);
    return absl::OkStatus();
  }
  const bool cloned = *deduped;
  if (!cloned) {
    absl::StatusOr<int> in = env_->OpenAt(file.src_dir, file.name, O_RDONLY, 0, file.from_path);
    if (!in.ok()) return in.status();
    Fd in_fd(env_, *in, file.from_path);
    if (!out.valid()) {
      absl::StatusOr<int> created = env_->OpenAt(file.dst_dir, file.to_name,
                                                 O_WRONLY | O_CREAT | O_EXCL, 0600, file.to_path);
      if (!created.ok()) return created.status();
      out = Fd(env_, *created, file.to_path);
    }
    absl::Status status;
    if (file.entry != nullptr) {
      std::string digest;
      status = CopyAndDigest(env_, in_fd.get(), out.get(), file.st.st_size, file.to_path, &digest);
      file.entry->entry.set_digest(digest);
    } else {
      status = CopyContent(env_, in_fd.get(), out.get(), file.st.st_size, file.to_path);
    }
    if (!status.ok()) return status;
  }
  // Owner before mode: a change of owner clears the set-user-ID bit.
  absl::Status status = SetOwner(out.get(), "", file.to_path);
  if (status.ok()) status = env_->Fchmod(out.get(), file.st.st_mode & 07777, file.to_path);
  if (!status.ok()) return status;
  struct timespec times[2] = {file.st.st_atim, file.st.st_mtim};
  status = env_->UtimensAt(out.get(), "", times, file.to_path);
  if (status.ok()) status = RecordIdentity(file, out.get(), "");
  if (status.ok()) Copied(file, false, cloned);
  return status;
}

absl::Status TreeCopier::CopySymlink(const Entry& from, const Entry& to, const struct stat& st,
                                     PendingEntry* entry) {
  absl::StatusOr<std::string> target = env_->ReadLinkAt(from.dir_fd, from.name, from.path);
  if (!target.ok()) return target.status();
  absl::Status status = env_->SymlinkAt(*target, to.dir_fd, to.name, to.path);
  if (!status.ok()) return status;
  if (entry != nullptr) entry->entry.set_link_target(*target);
  status = SetOwner(to.dir_fd, to.name, to.path);
  if (!status.ok()) return status;
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  return env_->UtimensAt(to.dir_fd, to.name, times, to.path);
}

absl::Status TreeCopier::CopyDirectory(const Entry& from, const Entry& to, const std::string& rel,
                                       const struct stat& st, int prev_dir,
                                       std::shared_ptr<Dir> parent) {
  absl::Status status = env_->MkdirAt(to.dir_fd, to.name, 0700, to.path);
  if (!status.ok()) return status;
  auto dir = std::make_shared<Dir>();
  dir->st = st;
  dir->from_path = from.path;
  dir->to_path = to.path;
  if (parent != nullptr) parent->pending.fetch_add(1);
  dir->parent = std::move(parent);
  // The walk's reference goes however the walk ends, so that the directory's
  // descriptors are closed and its parent can finish.
  struct WalkDone {
    TreeCopier* copier;
    std::shared_ptr<Dir> dir;
    ~WalkDone() { copier->Release(std::move(dir)); }
  } walk_done{this, dir};

  absl::StatusOr<int> src = env_->OpenAt(from.dir_fd, from.name, O_RDONLY | O_DIRECTORY, 0, from.path);
  if (!src.ok()) return src.status();
  dir->src = Fd(env_, *src, from.path);
  absl::StatusOr<int> dst = env_->OpenAt(to.dir_fd, to.name, O_RDONLY | O_DIRECTORY, 0, to.path);
  if (!dst.ok()) return dst.status();
  dir->dst = Fd(env_, *dst, to.path);
  // The same directory in the previous release, when it is a real one (a
  // symlink there, into shared/, is not followed: nothing beneath is linked).
  const bool top = rel.empty();
  if (top && !options_.previous.name.empty()) {
    absl::StatusOr<int> prev = env_->OpenAt(options_.previous.dir_fd, options_.previous.name,
                                            O_RDONLY | O_DIRECTORY, 0, options_.previous.path);
    if (prev.ok()) {
      dir->prev = Fd(env_, *prev, to.path);
      previous_is_source_ = SameDirectory(env_, dir->src.get(), dir->prev.get(), from.path);
    }
  } else if (!top && prev_dir >= 0 && !previous_is_source_) {
    absl::StatusOr<int> prev = env_->OpenAt(prev_dir, to.name, O_RDONLY | O_DIRECTORY, 0,
                                            JoinPath(options_.previous.path, rel));
    if (prev.ok()) dir->prev = Fd(env_, *prev, to.path);
  }
  // Beneath the top, the source's own directory is the previous one.
  int prev_fd = dir->prev.valid() ? dir->prev.get() : -1;
  if (previous_is_source_ && !top) prev_fd = dir->src.get();

  absl::StatusOr<std::vector<std::string>> names = env_->ListDir(dir->src.get(), from.path);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  Batch batch;
  for (const std::string& name : *names) {
    if (failed()) break;
    status = CopyEntry(Entry{dir->src.get(), name, JoinPath(from.path, name)},
                       Entry{dir->dst.get(), name, JoinPath(to.path, name)}, JoinPath(rel, name),
                       prev_fd, dir, &batch);
    if (!status.ok()) return status;
  }
  SubmitBatch(&batch, dir);
  return absl::OkStatus();
}

void TreeCopier::SubmitBatch(Batch* batch, const std::shared_ptr<Dir>& parent) {
  if (batch->files.empty()) return;
  parent->pending.fetch_add(1);
  pool_.Submit([this, files = std::move(batch->files), parent]() mutable {
    for (const File& file : files) {
      if (failed()) break;
      absl::Status copied = CopyFileAndEntry(file);
      if (!copied.ok()) Fail(copied);
    }
    Release(std::move(parent));
  });
  batch->files.clear();
  batch->bytes = 0;
}

absl::Status TreeCopier::CopyFileAndEntry(const File& file) {
  absl::Status status = CopyFile(file);
  if (status.ok() && file.entry != nullptr) entries_.Done(file.entry);
  return status;
}

absl::Status TreeCopier::CopyEntry(const Entry& from, const Entry& to, const std::string& rel,
                                   int prev_dir, const std::shared_ptr<Dir>& parent, Batch* batch) {
  struct stat st;
  absl::Status status = env_->StatAt(from.dir_fd, from.name, &st, from.path);
  if (!status.ok()) return status;
  if (!rel.empty() && options_.leave_out && options_.leave_out(rel, st)) return absl::OkStatus();
  PendingEntry* entry = nullptr;
  if (entries_.wanted() && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
    entry = entries_.Add();
    FillEntry(rel, st, &entry->entry);
  }
  if (S_ISDIR(st.st_mode)) {
    // Its entry goes before everything in it, and is complete now.
    if (entry != nullptr) entries_.Done(entry);
    if (batch != nullptr) SubmitBatch(batch, parent);  // in walk order, before the files beneath
    return CopyDirectory(from, to, rel, st, prev_dir, parent);
  }
  if (S_ISLNK(st.st_mode)) {
    status = CopySymlink(from, to, st, entry);
    if (status.ok() && entry != nullptr) entries_.Done(entry);
    return status;
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(PrintablePath(from.path),
                     " is a fifo, socket or device; persist copies only files, directories and "
                     "symlinks: remove it from the source and run again"));
  }
  File file{from.dir_fd, to.dir_fd, prev_dir, from.name, to.name, from.path, to.path, st, entry,
            prev_dir >= 0 ? KnownEntry(rel) : nullptr};
  if (batch == nullptr) return CopyFileAndEntry(file);  // a single file: no pool
  batch->bytes += static_cast<uint64_t>(st.st_size);
  batch->files.push_back(std::move(file));
  if (batch->files.size() >= batch_files_ || batch->bytes >= kBatchBytes) SubmitBatch(batch, parent);
  return absl::OkStatus();
}

absl::Status TreeCopier::Run(const Entry& from, const Entry& to) {
  // Outlives every Copied call: the last one is made before pool_.Wait returns.
  BackgroundWriteBack write_back(env_, to.dir_fd, options_.write_back_every);
  write_back_ = &write_back;
  absl::Status status = CopyEntry(from, to, "", -1, nullptr, nullptr);
  if (!status.ok()) Fail(status);
  pool_.Wait();
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.stats != nullptr) *options_.stats = stats_;
  return first_error_;
}

}  // namespace

absl::Status CopyTree(Env* env, const Entry& from, const Entry& to, const CopyOptions& options) {
  TreeCopier copier(env, options);
  return copier.Run(from, to);
}

}  // namespace persist
