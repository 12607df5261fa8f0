// Copyright persist authors.

#include "fsops/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/next_step.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/path.h"

namespace persist {
namespace {

constexpr size_t kBlock = 1 << 17;

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

// libarchive's own text for its last error, never empty.
std::string ArchiveText(struct archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr && *text != '\0' ? text : "no detail given";
}

// ---- Writing ----

// The output side: every byte libarchive writes goes through the Env.
struct Sink {
  Env* env;
  int fd;
  std::string path;
  absl::Status error;
};

la_ssize_t WriteToSink(struct archive*, void* client, const void* buf, size_t n) {
  Sink* sink = static_cast<Sink*>(client);
  absl::Status status = sink->env->Write(sink->fd, static_cast<const char*>(buf), n, sink->path);
  if (!status.ok()) {
    sink->error = status;
    return -1;
  }
  return static_cast<la_ssize_t>(n);
}

class TreeWriter {
 public:
  TreeWriter(Env* env, struct archive* a, Sink* sink) : env_(env), a_(a), sink_(sink) {}

  absl::Status Add(const Entry& entry, const std::string& member) {
    struct stat st;
    absl::Status status = env_->StatAt(entry.dir_fd, entry.name, &st, entry.path);
    if (!status.ok()) return status;
    if (S_ISDIR(st.st_mode)) return AddDirectory(entry, member, st);
    if (S_ISREG(st.st_mode)) return AddFile(entry, member);
    if (S_ISLNK(st.st_mode)) return AddSymlink(entry, member, st);
    counts_.skipped.push_back(entry.path);
    return absl::OkStatus();
  }

  ArchiveCounts& counts() { return counts_; }

 private:
  // The error of a failed libarchive call: the Env's, when the write
  // callback failed, else libarchive's own.
  absl::Status Failed(const std::string& what) {
    if (!sink_->error.ok()) return sink_->error;
    return absl::InternalError(absl::StrCat("cannot write ", what, " into the archive ",
                                            PrintablePath(sink_->path), ": ", ArchiveText(a_),
                                            "; check the disk where it is written and run again"));
  }

  absl::Status WriteHeader(const std::string& member, const struct stat& st, mode_t type,
                           int64_t size, const std::string* link_target, const std::string& path) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_copy_pathname(e.get(), member.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (link_target != nullptr) archive_entry_copy_symlink(e.get(), link_target->c_str());
    // ARCHIVE_WARN only says a name is not valid UTF-8: it is stored as
    // its bytes (hdrcharset=BINARY) and reads back the same.
    if (archive_write_header(a_, e.get()) < ARCHIVE_WARN) return Failed(PrintablePath(path));
    return absl::OkStatus();
  }

  absl::Status AddDirectory(const Entry& entry, const std::string& member, const struct stat& st) {
    absl::Status status = WriteHeader(member, st, AE_IFDIR, 0, nullptr, entry.path);
    if (!status.ok()) return status;
    ++counts_.directories;
    absl::StatusOr<int> dir =
        env_->OpenAt(entry.dir_fd, entry.name, O_RDONLY | O_DIRECTORY, 0, entry.path);
    if (!dir.ok()) return dir.status();
    Fd dir_fd(env_, *dir, entry.path);
    absl::StatusOr<std::vector<std::string>> names = env_->ListDir(dir_fd.get(), entry.path);
    if (!names.ok()) return names.status();
    std::sort(names->begin(), names->end());
    for (const std::string& name : *names) {
      status = Add(Entry{dir_fd.get(), name, JoinPath(entry.path, name)}, member + "/" + name);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status AddFile(const Entry& entry, const std::string& member) {
    absl::StatusOr<int> in = env_->OpenAt(entry.dir_fd, entry.name, O_RDONLY, 0, entry.path);
    if (!in.ok()) return in.status();
    Fd in_fd(env_, *in, entry.path);
    // The size and times of the file opened, not of the name stat'ed before.
    struct stat st;
    absl::Status status = env_->StatAt(in_fd.get(), "", &st, entry.path);
    if (!status.ok()) return status;
    status = WriteHeader(member, st, AE_IFREG, st.st_size, nullptr, entry.path);
    if (!status.ok()) return status;
    std::string buf(kBlock, '\0');
    int64_t left = st.st_size;
    while (left > 0) {
      absl::StatusOr<size_t> got =
          env_->Read(in_fd.get(), buf.data(), std::min<int64_t>(left, buf.size()), entry.path);
      if (!got.ok()) return got.status();
      if (*got == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            PrintablePath(entry.path), " shrank from ", st.st_size,
            " bytes while persist read it (",
            "something is writing to it); the archive would be wrong: run the backup again"));
      }
      if (archive_write_data(a_, buf.data(), *got) != static_cast<la_ssize_t>(*got)) {
        return Failed(PrintablePath(entry.path));
      }
      left -= *got;
    }
    ++counts_.files;
    counts_.bytes += st.st_size;
    return absl::OkStatus();
  }

  absl::Status AddSymlink(const Entry& entry, const std::string& member, const struct stat& st) {
    absl::StatusOr<std::string> target = env_->ReadLinkAt(entry.dir_fd, entry.name, entry.path);
    if (!target.ok()) return target.status();
    absl::Status status = WriteHeader(member, st, AE_IFLNK, 0, &*target, entry.path);
    if (!status.ok()) return status;
    ++counts_.symlinks;
    return absl::OkStatus();
  }

  Env* env_;
  struct archive* a_;
  Sink* sink_;
  ArchiveCounts counts_;
};

// ---- Reading ----

// The input side: every byte libarchive reads comes through the Env.
struct Source {
  Env* env;
  int fd;
  std::string path;
  std::string buf;
  absl::Status error;
};

la_ssize_t ReadFromSource(struct archive*, void* client, const void** buffer) {
  Source* source = static_cast<Source*>(client);
  absl::StatusOr<size_t> got =
      source->env->Read(source->fd, source->buf.data(), source->buf.size(), source->path);
  if (!got.ok()) {
    source->error = got.status();
    return -1;
  }
  *buffer = source->buf.data();
  return static_cast<la_ssize_t>(*got);
}

// A directory the extraction made: its final mode and mtime are set last.
struct MadeDir {
  mode_t mode = 0755;
  bool has_times = false;
  struct timespec times[2];
};

class Extractor {
 public:
  Extractor(Env* env, struct archive* a, Source* source, std::string top, const Entry& into)
      : env_(env), a_(a), source_(source), top_(std::move(top)), into_(into) {}

  absl::Status Run() {
    while (true) {
      struct archive_entry* e = nullptr;
      int rc = archive_read_next_header(a_, &e);
      if (rc == ARCHIVE_EOF) break;
      // ARCHIVE_WARN: a name that is not UTF-8 in this locale, kept as bytes.
      if (rc < ARCHIVE_WARN) return Unreadable(absl::StrCat("after ", members_, " member(s)"));
      absl::Status status = Member(e);
      if (!status.ok()) return status;
      ++members_;
    }
    if (!root_.valid()) {
      return Refuse(
          absl::StrCat("holds nothing under ", top_, "/ (", members_, " member(s) elsewhere)"), "");
    }
    return FixDirectories();
  }

  ArchiveCounts& counts() { return counts_; }

 private:
  // The archive is not one persist can read: a garbled, truncated or
  // foreign file, or the Env failed to read it.
  absl::Status Unreadable(const std::string& where) {
    if (!source_->error.ok()) return source_->error;
    return WithNextStep(absl::InvalidArgumentError(absl::StrCat(
                            PrintablePath(source_->path), " is not a tar archive persist can read (",
                            ArchiveText(a_), ", ", where, ")")),
                        NextStep::kGiveABackup);
  }

  // An archive persist backup did not write: `what` it holds, and `why`
  // that is refused ("" when `what` says it); the next step is to give one
  // it wrote.
  absl::Status Refuse(const std::string& what, const std::string& why) {
    return WithNextStep(absl::InvalidArgumentError(absl::StrCat(
                            "the archive ", PrintablePath(source_->path), " ", what,
                            why.empty() ? "" : "; " + why)),
                        NextStep::kGiveABackup);
  }

  // The member's path relative to `top` ("" for `top` itself).
  absl::StatusOr<std::string> RelativeName(const char* raw) {
    if (raw == nullptr || *raw == '\0') {
      return Refuse("holds a member without a name", "it is damaged: use another backup");
    }
    std::string name = raw;
    if (name.front() == '/') {
      return Refuse(absl::StrCat("holds the absolute path ", PrintablePath(name)),
                    "persist restores only relative members under " + top_ + "/");
    }
    while (absl::StartsWith(name, "./")) name.erase(0, 2);
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    for (absl::string_view part : absl::StrSplit(name, '/')) {
      if (part == "..") {
        return Refuse(absl::StrCat("holds the member ", PrintablePath(name),
                                   ", which climbs out with \"..\""),
                      "persist restores only members under " + top_ + "/");
      }
    }
    absl::Status valid = ValidateRelativePath(name);
    if (!valid.ok()) {
      return Refuse(absl::StrCat("holds the member ", PrintablePath(name),
                                 ", which persist refuses (", valid.message(), ")"),
                    "");
    }
    if (name == top_) return std::string();
    if (!absl::StartsWith(name, top_ + "/")) {
      return Refuse(absl::StrCat("holds ", PrintablePath(name), ", outside ", top_, "/"),
                    "persist restores only " + top_ + "/");
    }
    return name.substr(top_.size() + 1);
  }

  std::string Shown(const std::string& rel) const { return JoinPath(into_.path, rel); }

  // Creates `into`, the extracted `top`, at the first member.
  absl::Status MakeRoot() {
    if (root_.valid()) return absl::OkStatus();
    absl::Status status = env_->MkdirAt(into_.dir_fd, into_.name, 0700, into_.path);
    if (!status.ok()) return status;
    absl::StatusOr<int> fd =
        env_->OpenAt(into_.dir_fd, into_.name, O_RDONLY | O_DIRECTORY, 0, into_.path);
    if (!fd.ok()) return fd.status();
    root_ = Fd(env_, *fd, into_.path);
    dirs_[""] = MadeDir();
    return absl::OkStatus();
  }

  // The directory `rel` beneath `into`, opened one component at a time
  // without following symlinks, and made (with its parents) when missing.
  // The fd stays owned by the extractor until the next call.
  absl::StatusOr<int> OpenDir(const std::string& rel, const std::string& member) {
    if (rel.empty()) return root_.get();
    if (cached_.valid() && cached_rel_ == rel) return cached_.get();
    Fd current;
    int at = root_.get();
    std::string sofar;
    for (absl::string_view part : absl::StrSplit(rel, '/')) {
      sofar = JoinPath(sofar, part);
      const std::string name(part);
      absl::StatusOr<int> fd = env_->OpenAt(at, name, O_RDONLY | O_DIRECTORY, 0, Shown(sofar));
      if (!fd.ok() && StatusErrno(fd.status()) == ENOENT) {
        absl::Status made = env_->MkdirAt(at, name, 0700, Shown(sofar));
        if (!made.ok()) return made;
        dirs_[sofar] = MadeDir();
        fd = env_->OpenAt(at, name, O_RDONLY | O_DIRECTORY, 0, Shown(sofar));
      }
      if (!fd.ok()) {
        const int err = StatusErrno(fd.status());
        if (err == ELOOP || err == ENOTDIR) {
          return Refuse(
              absl::StrCat("holds ", PrintablePath(member), " beneath ", PrintablePath(sofar),
                           ", which it holds as a symlink or a file"),
              "persist never writes through a symlink: use an archive that persist "
              "backup wrote");
        }
        return fd.status();
      }
      current = Fd(env_, *fd, Shown(sofar));
      at = current.get();
    }
    cached_ = std::move(current);
    cached_rel_ = rel;
    return cached_.get();
  }

  absl::Status Member(struct archive_entry* e) {
    absl::StatusOr<std::string> rel = RelativeName(archive_entry_pathname(e));
    if (!rel.ok()) return rel.status();
    const std::string member = JoinPath(top_, *rel);
    if (!seen_.insert(*rel).second) {
      return Refuse(absl::StrCat("holds ", PrintablePath(member), " twice"),
                    "persist will not guess which one to keep");
    }
    const mode_t type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e) != nullptr) {
      return Refuse(
          absl::StrCat("holds ", PrintablePath(member), " as a hard link"),
          "persist restores files, directories and symlinks");
    }
    if (rel->empty() && type != AE_IFDIR) {
      return Refuse(absl::StrCat("holds ", top_, " as something other than a directory"), "");
    }
    absl::Status status = MakeRoot();
    if (!status.ok()) return status;

    struct timespec times[2];
    times[1].tv_sec = archive_entry_mtime(e);
    times[1].tv_nsec = archive_entry_mtime_nsec(e);
    times[0] = times[1];
    if (archive_entry_atime_is_set(e)) {
      times[0].tv_sec = archive_entry_atime(e);
      times[0].tv_nsec = archive_entry_atime_nsec(e);
    }
    const mode_t mode = archive_entry_perm(e) & 07777;

    if (type == AE_IFDIR) {
      if (!rel->empty() && dirs_.count(*rel) == 0) {
        auto [parent, leaf] = SplitParent(*rel);
        absl::StatusOr<int> dir = OpenDir(parent, member);
        if (!dir.ok()) return dir.status();
        status = env_->MkdirAt(*dir, leaf, 0700, Shown(*rel));
        if (!status.ok()) return status;
      }
      MadeDir& made = dirs_[*rel];
      made.mode = mode;
      made.has_times = true;
      made.times[0] = times[0];
      made.times[1] = times[1];
      ++counts_.directories;
      return absl::OkStatus();
    }
    auto [parent, leaf] = SplitParent(*rel);
    if (dirs_.count(*rel) != 0) {
      return Refuse(absl::StrCat("holds ", PrintablePath(member), " both as a directory and not"),
                    "");
    }
    absl::StatusOr<int> dir = OpenDir(parent, member);
    if (!dir.ok()) return dir.status();
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      if (target == nullptr || *target == '\0') {
        return Refuse(
            absl::StrCat("holds the symlink ", PrintablePath(member), " without a target"),
            "it is damaged: use another backup");
      }
      status = env_->SymlinkAt(target, *dir, leaf, Shown(*rel));
      if (status.ok()) status = env_->UtimensAt(*dir, leaf, times, Shown(*rel));
      if (status.ok()) ++counts_.symlinks;
      return status;
    }
    if (type != AE_IFREG) {
      return Refuse(absl::StrCat("holds ", PrintablePath(member), ", a fifo, socket or device"),
                    "persist restores files, directories and symlinks only");
    }
    return File(e, *dir, leaf, *rel, mode, times);
  }

  absl::Status File(struct archive_entry* e, int dir, const std::string& leaf,
                    const std::string& rel, mode_t mode, const struct timespec times[2]) {
    const std::string shown = Shown(rel);
    absl::StatusOr<int> fd = env_->OpenAt(dir, leaf, O_WRONLY | O_CREAT | O_EXCL, 0600, shown);
    if (!fd.ok()) return fd.status();
    Fd out(env_, *fd, shown);
    int64_t written = 0;
    const std::string zeros(kBlock, '\0');
    while (true) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int rc = archive_read_data_block(a_, &block, &size, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) return Unreadable("in " + PrintablePath(JoinPath(top_, rel)));
      // A sparse member: its holes arrive as gaps between blocks.
      while (written < offset) {
        const size_t n = std::min<int64_t>(offset - written, zeros.size());
        absl::Status status = env_->Write(out.get(), zeros.data(), n, shown);
        if (!status.ok()) return status;
        written += n;
      }
      absl::Status status = env_->Write(out.get(), static_cast<const char*>(block), size, shown);
      if (!status.ok()) return status;
      written += size;
    }
    absl::Status status;
    if (archive_entry_size_is_set(e) && written < archive_entry_size(e)) {
      status = env_->Ftruncate(out.get(), archive_entry_size(e), shown);
      written = archive_entry_size(e);
    }
    if (status.ok()) status = env_->Fchmod(out.get(), mode, shown);
    if (status.ok()) status = env_->UtimensAt(out.get(), "", times, shown);
    if (!status.ok()) return status;
    ++counts_.files;
    counts_.bytes += written;
    return absl::OkStatus();
  }

  // Modes and mtimes of directories, deepest first: each one's entries are
  // all in place before it may become read-only.
  absl::Status FixDirectories() {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      absl::StatusOr<int> dir = OpenDir(it->first, JoinPath(top_, it->first));
      if (!dir.ok()) return dir.status();
      absl::Status status = env_->Fchmod(*dir, it->second.mode, Shown(it->first));
      if (status.ok() && it->second.has_times) {
        status = env_->UtimensAt(*dir, "", it->second.times, Shown(it->first));
      }
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  Env* env_;
  struct archive* a_;
  Source* source_;
  const std::string top_;
  const Entry into_;
  Fd root_;
  Fd cached_;
  std::string cached_rel_;
  std::map<std::string, MadeDir> dirs_;
  std::set<std::string> seen_;
  int64_t members_ = 0;
  ArchiveCounts counts_;
};

}  // namespace

absl::StatusOr<ArchiveCounts> WriteArchive(Env* env, const Entry& tree, const std::string& top,
                                           int out_fd, const std::string& out_path) {
  // Declared before the archive, which may still write through it while
  // it is freed.
  Sink sink{env, out_fd, out_path, absl::OkStatus()};
  ArchivePtr a(archive_write_new(), archive_write_free);
  if (!a)
    return absl::ResourceExhaustedError("libarchive could not start an archive (out of memory)");
  if (archive_write_set_format_pax(a.get()) != ARCHIVE_OK ||
      archive_write_open(a.get(), &sink, nullptr, WriteToSink, nullptr) != ARCHIVE_OK) {
    if (!sink.error.ok()) return sink.error;
    return absl::InternalError(absl::StrCat("libarchive cannot start the archive ",
                                            PrintablePath(out_path), ": ", ArchiveText(a.get())));
  }
  TreeWriter writer(env, a.get(), &sink);
  absl::Status status = writer.Add(tree, top);
  if (!status.ok()) return status;
  // Close writes the end-of-archive blocks; without them the archive is cut.
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    if (!sink.error.ok()) return sink.error;
    return absl::InternalError(absl::StrCat("cannot finish the archive ", PrintablePath(out_path),
                                            ": ", ArchiveText(a.get()),
                                            "; check the disk where it is written and run again"));
  }
  return std::move(writer.counts());
}

absl::StatusOr<ArchiveCounts> ExtractArchive(Env* env, int in_fd, const std::string& in_path,
                                             const std::string& top, const Entry& into) {
  Source source{env, in_fd, in_path, std::string(kBlock, '\0'), absl::OkStatus()};
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (!a) return absl::ResourceExhaustedError("libarchive could not start reading (out of memory)");
  archive_read_support_format_tar(a.get());
  // Operators compress backups; these need no external program.
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  if (archive_read_open(a.get(), &source, nullptr, ReadFromSource, nullptr) != ARCHIVE_OK) {
    if (!source.error.ok()) return source.error;
    return WithNextStep(
        absl::InvalidArgumentError(absl::StrCat(PrintablePath(in_path),
                                                " is not a tar archive persist can read (",
                                                ArchiveText(a.get()), ")")),
        NextStep::kGiveABackup);
  }
  Extractor extractor(env, a.get(), &source, top, into);
  absl::Status status = extractor.Run();
  if (!status.ok()) return status;
  return std::move(extractor.counts());
}

}  // namespace persist
