// Copyright persist authors.

#include "fsops/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"
#include "fsops/path_state.h"

namespace persist {
namespace {


absl::Status SetTimes(Env* env, int dir_fd, const std::string& name, const struct stat& st,
                      const std::string& path) {
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  return env->UtimensAt(dir_fd, name, times, path);
}

absl::Status CopyFileContent(Env* env, int in, int out, const std::string& path) {
  bool use_copy_range = true;
  std::string buf;
  while (true) {
    if (use_copy_range) {
      absl::StatusOr<size_t> done = env->CopyFileRange(in, out, 1 << 30, path);
      if (done.ok()) {
        if (*done == 0) return absl::OkStatus();
        continue;
      }
      int err = StatusErrno(done.status());
      // Across filesystems or on ones that lack it: plain read and write.
      if (err != EXDEV && err != EINVAL && err != ENOSYS && err != EOPNOTSUPP) {
        return done.status();
      }
      use_copy_range = false;
      buf.resize(1 << 16);
    }
    absl::StatusOr<size_t> got = env->Read(in, buf.data(), buf.size(), path);
    if (!got.ok()) return got.status();
    if (*got == 0) return absl::OkStatus();
    absl::Status wrote = env->Write(out, buf.data(), *got, path);
    if (!wrote.ok()) return wrote;
  }
}

// SHA-256, fetched from OpenSSL once rather than for every file.
const EVP_MD* Sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

// Copies and hashes in one pass.
absl::Status CopyAndDigest(Env* env, int in, int out, const std::string& path, std::string* digest) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), Sha256(), nullptr) != 1) {
    return absl::InternalError("OpenSSL could not start a SHA-256 digest");
  }
  // One buffer per thread: a release is mostly small files, and allocating
  // and zeroing 128 KiB for each cost more than hashing them.
  static thread_local std::string buf(1 << 17, '\0');
  while (true) {
    absl::StatusOr<size_t> got = env->Read(in, buf.data(), buf.size(), path);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), *got);
    absl::Status wrote = env->Write(out, buf.data(), *got, path);
    if (!wrote.ok()) return wrote;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  digest->assign(reinterpret_cast<char*>(md), len);
  return absl::OkStatus();
}

// The path of `entry` relative to the root of the copy being recorded.
struct Recorder {
  const CopyOptions* options;
  std::string rel;
  uint64_t* files;
  uint64_t* bytes;
  void Copied(const struct stat& st) {
    ++*files;
    *bytes += static_cast<uint64_t>(st.st_size);
    if (options->on_file) options->on_file(*files, *bytes);
  }
  // Records `st` at rel in the manifest; nullptr when none is kept.
  ManifestEntry* Add(const struct stat& st) {
    if (options->manifest == nullptr) return nullptr;
    ManifestEntry& e = options->manifest->emplace_back();
    e.set_path(rel);
    PathState state;
    FillFromStat(st, &state);
    e.set_type(state.type());
    e.set_mode(state.mode());
    e.set_size(state.size());
    e.set_mtime_ns(state.mtime_ns());
    return &e;
  }
};

absl::Status CopyTreeRecorded(Env* env, const Entry& from, const Entry& to, Recorder* recorder);

absl::Status CopyRegular(Env* env, const Entry& from, const Entry& to, const struct stat& st,
                         Recorder* recorder) {
  absl::StatusOr<int> in = env->OpenAt(from.dir_fd, from.name, O_RDONLY, 0, from.path);
  if (!in.ok()) return in.status();
  Fd in_fd(env, *in, from.path);
  absl::StatusOr<int> out =
      env->OpenAt(to.dir_fd, to.name, O_WRONLY | O_CREAT | O_EXCL, 0600, to.path);
  if (!out.ok()) return out.status();
  Fd out_fd(env, *out, to.path);
  absl::Status status;
  if (recorder != nullptr && recorder->options->manifest != nullptr) {
    std::string digest;
    status = CopyAndDigest(env, in_fd.get(), out_fd.get(), to.path, &digest);
    recorder->Add(st)->set_digest(digest);
  } else {
    status = CopyFileContent(env, in_fd.get(), out_fd.get(), to.path);
  }
  if (status.ok() && recorder != nullptr) recorder->Copied(st);
  if (status.ok()) status = env->Fchmod(out_fd.get(), st.st_mode & 07777, to.path);
  if (status.ok()) status = SetTimes(env, out_fd.get(), "", st, to.path);
  return status;
}

absl::Status CopyDirectory(Env* env, const Entry& from, const Entry& to, const struct stat& st,
                           Recorder* recorder) {
  if (recorder != nullptr) recorder->Add(st);
  absl::Status status = env->MkdirAt(to.dir_fd, to.name, 0700, to.path);
  if (!status.ok()) return status;
  absl::StatusOr<int> src = env->OpenAt(from.dir_fd, from.name, O_RDONLY | O_DIRECTORY, 0, from.path);
  if (!src.ok()) return src.status();
  Fd src_fd(env, *src, from.path);
  absl::StatusOr<int> dst = env->OpenAt(to.dir_fd, to.name, O_RDONLY | O_DIRECTORY, 0, to.path);
  if (!dst.ok()) return dst.status();
  Fd dst_fd(env, *dst, to.path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(src_fd.get(), from.path);
  if (!names.ok()) return names.status();
  if (recorder != nullptr) std::sort(names->begin(), names->end());
  for (const std::string& name : *names) {
    const Entry child_from{src_fd.get(), name, JoinPath(from.path, name)};
    const Entry child_to{dst_fd.get(), name, JoinPath(to.path, name)};
    if (recorder != nullptr) {
      Recorder child{recorder->options, JoinPath(recorder->rel, name), recorder->files, recorder->bytes};
      status = CopyTreeRecorded(env, child_from, child_to, &child);
    } else {
      status = CopyTreeRecorded(env, child_from, child_to, nullptr);
    }
    if (!status.ok()) return status;
  }
  // Mode and times last: a read-only directory must still take its entries,
  // and adding them would change its mtime.
  status = env->Fchmod(dst_fd.get(), st.st_mode & 07777, to.path);
  if (!status.ok()) return status;
  return SetTimes(env, dst_fd.get(), "", st, to.path);
}

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

namespace {

absl::Status CopyTreeRecorded(Env* env, const Entry& from, const Entry& to, Recorder* recorder) {
  struct stat st;
  absl::Status status = env->StatAt(from.dir_fd, from.name, &st, from.path);
  if (!status.ok()) return status;
  if (S_ISREG(st.st_mode)) return CopyRegular(env, from, to, st, recorder);
  if (S_ISDIR(st.st_mode)) return CopyDirectory(env, from, to, st, recorder);
  if (S_ISLNK(st.st_mode)) {
    absl::StatusOr<std::string> target = env->ReadLinkAt(from.dir_fd, from.name, from.path);
    if (!target.ok()) return target.status();
    status = env->SymlinkAt(*target, to.dir_fd, to.name, to.path);
    if (!status.ok()) return status;
    ManifestEntry* entry = recorder != nullptr ? recorder->Add(st) : nullptr;
    if (entry != nullptr) entry->set_link_target(*target);
    return SetTimes(env, to.dir_fd, to.name, st, to.path);
  }
  return absl::FailedPreconditionError(
      absl::StrCat(PrintablePath(from.path),
                   " is a fifo, socket or device; persist copies only files, directories and "
                   "symlinks: remove it from the source and run again"));
}

}  // namespace

absl::Status CopyTree(Env* env, const Entry& from, const Entry& to) {
  return CopyTreeRecorded(env, from, to, nullptr);
}

absl::Status CopyTree(Env* env, const Entry& from, const Entry& to, const CopyOptions& options) {
  uint64_t files = 0, bytes = 0;
  Recorder recorder{&options, "", &files, &bytes};
  return CopyTreeRecorded(env, from, to, &recorder);
}

absl::Status RemoveTree(Env* env, const Entry& entry) {
  struct stat st;
  absl::Status status = env->StatAt(entry.dir_fd, entry.name, &st, entry.path);
  if (!status.ok()) return StatusErrno(status) == ENOENT ? absl::OkStatus() : status;
  if (S_ISDIR(st.st_mode)) {
    absl::StatusOr<int> dir =
        env->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0, entry.path);
    if (!dir.ok()) return dir.status();
    Fd dir_fd(env, *dir, entry.path);
    status = MakeWritable(env, dir_fd.get(), st, entry.path);
    if (!status.ok()) return status;
    absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir_fd.get(), entry.path);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      status = RemoveTree(env, Entry{dir_fd.get(), name, JoinPath(entry.path, name)});
      if (!status.ok()) return status;
    }
    return env->UnlinkAt(entry.dir_fd, entry.name, AT_REMOVEDIR, entry.path);
  }
  return env->UnlinkAt(entry.dir_fd, entry.name, 0, entry.path);
}

absl::Status RemoveEmptyDirs(Env* env, const Entry& entry, bool* empty) {
  *empty = false;
  struct stat st;
  absl::Status status = env->StatAt(entry.dir_fd, entry.name, &st, entry.path);
  if (!status.ok()) {
    *empty = StatusErrno(status) == ENOENT;
    return *empty ? absl::OkStatus() : status;
  }
  if (!S_ISDIR(st.st_mode)) return absl::OkStatus();
  absl::StatusOr<int> dir =
      env->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0, entry.path);
  if (!dir.ok()) return dir.status();
  Fd dir_fd(env, *dir, entry.path);
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir_fd.get(), entry.path);
  if (!names.ok()) return names.status();
  bool all_empty = true;
  for (const std::string& name : *names) {
    bool child_empty = false;
    status = RemoveEmptyDirs(env, Entry{dir_fd.get(), name, JoinPath(entry.path, name)}, &child_empty);
    if (!status.ok()) return status;
    all_empty = all_empty && child_empty;
  }
  if (!all_empty) return absl::OkStatus();
  status = env->UnlinkAt(entry.dir_fd, entry.name, AT_REMOVEDIR, entry.path);
  if (!status.ok()) return status;
  *empty = true;
  return absl::OkStatus();
}

absl::Status RemoveCreated(Env* env, const Entry& entry, const Created& created,
                           const RescueFn& rescue, int* rescued) {
  const bool has_source = created.has_source();
  absl::StatusOr<PathState> actual = ObservePath(env, entry.dir_fd, entry.name, entry.path,
                                                 !has_source && created.state.type() == REGULAR);
  if (!actual.ok()) return actual.status();
  if (actual->type() == ABSENT) return absl::OkStatus();

  PathState expected;
  if (has_source) {
    absl::StatusOr<PathState> source = ObservePath(env, created.source.dir_fd, created.source.name,
                                                   created.source.path, false);
    if (!source.ok()) return source.status();
    expected = *source;
  } else {
    expected = created.state;
  }
  bool same;
  if (has_source) {
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
