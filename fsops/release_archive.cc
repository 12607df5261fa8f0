// Copyright persist authors.

#include "fsops/release_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/error_path.h"
#include "fsops/describe_op.h"
#include "fsops/digest.h"
#include "fsops/errno_status.h"
#include "fsops/fd.h"
#include "fsops/manifest_buffer.h"
#include "fsops/path.h"
#include "fsops/path_state.h"
#include "fsops/real_path.h"
#include "fsops/tree.h"
#include "fsops/write_back.h"

namespace persist {
namespace {

constexpr size_t kBlock = 1 << 17;

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

std::string ArchiveText(struct archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr && *text != '\0' ? text : "no detail given";
}

bool EndsWithArchiveSuffix(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const char* suffix :
       {".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst"}) {
    if (absl::EndsWith(lower, suffix)) return true;
  }
  return false;
}

// The refusal of an archive: it names the archive (as the operator knows
// it) and, through `what`, the member and the reason.
absl::Status Refused(const ArchivePath& where, const std::string& what) {
  ArchivePath shown = where;
  shown.dir.clear();
  return WithPath(absl::InvalidArgumentError(
                      absl::StrCat("the archive ", DescribeArchivePath(shown), " ", what)),
                  where.archive);
}

// ---- Reading ----

// The archive file: every byte libarchive reads comes through the Env.
struct FileInput {
  Env* env;
  int fd;
  std::string path;
  std::string buf;
  absl::Status error;
};

la_ssize_t ReadFile(struct archive*, void* client, const void** buffer) {
  FileInput* in = static_cast<FileInput*>(client);
  absl::StatusOr<size_t> got = in->env->Read(in->fd, in->buf.data(), in->buf.size(), in->path);
  if (!got.ok()) {
    in->error = got.status();
    return -1;
  }
  *buffer = in->buf.data();
  return static_cast<la_ssize_t>(*got);
}

// A zip is read from its central directory, which needs a seek; the bytes
// still come through the Env.
la_int64_t SeekFile(struct archive*, void* client, la_int64_t offset, int whence) {
  FileInput* in = static_cast<FileInput*>(client);
  const off_t at = lseek(in->fd, offset, whence);
  return at < 0 ? ARCHIVE_FATAL : at;
}

// A gzip stream, decoded here rather than by libarchive, whose gzip reader
// checks neither the CRC-32 nor the length a member ends with: a download
// damaged on its way would unpack into wrong files without a word. zlib
// checks both; the damage is then refused like any other.
struct GzipInput {
  FileInput* file;
  z_stream z{};
  std::string in = std::string(kBlock, '\0');
  std::string out = std::string(kBlock, '\0');
  bool ended = false;
  std::string damage;  // what zlib found wrong

  explicit GzipInput(FileInput* input) : file(input) {}
  ~GzipInput() { inflateEnd(&z); }
  GzipInput(const GzipInput&) = delete;
  GzipInput& operator=(const GzipInput&) = delete;

  // 15 + 16: a gzip header and trailer around a deflate stream.
  bool Start() { return inflateInit2(&z, 15 + 16) == Z_OK; }

  // More input when zlib has used all it had; false at the file's end or
  // on an error of the Env (in file->error).
  bool Refill() {
    if (z.avail_in > 0) return true;
    absl::StatusOr<size_t> got = file->env->Read(file->fd, in.data(), in.size(), file->path);
    if (!got.ok()) {
      file->error = got.status();
      return false;
    }
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(*got);
    return *got > 0;
  }
};

la_ssize_t ReadGzip(struct archive*, void* client, const void** buffer) {
  GzipInput* g = static_cast<GzipInput*>(client);
  *buffer = g->out.data();
  g->z.next_out = reinterpret_cast<Bytef*>(g->out.data());
  g->z.avail_out = static_cast<uInt>(g->out.size());
  while (!g->ended && g->z.avail_out == g->out.size()) {
    if (!g->Refill()) {
      if (g->file->error.ok()) g->damage = "the gzip stream ends before its end";
      return -1;
    }
    const int rc = inflate(&g->z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      // Another member may follow (gzip concatenates them); anything else
      // after the trailer is ignored, as gzip ignores it.
      if (!g->Refill()) {
        if (!g->file->error.ok()) return -1;
        g->ended = true;
      } else if (g->z.next_in[0] == 0x1f) {
        inflateReset(&g->z);
      } else {
        g->ended = true;
      }
      continue;
    }
    if (rc != Z_OK) {
      g->damage = absl::StrCat("gzip: ", g->z.msg != nullptr ? g->z.msg : "damaged data");
      return -1;
    }
  }
  return static_cast<la_ssize_t>(g->out.size() - g->z.avail_out);
}

// The first bytes of the file open at `fd`, which is then read again from
// its start.
absl::StatusOr<std::string> Peek(Env* env, int fd, const std::string& path, size_t n) {
  std::string head(n, '\0');
  absl::StatusOr<size_t> got = env->Read(fd, head.data(), n, path);
  if (!got.ok()) return got.status();
  head.resize(*got);
  if (lseek(fd, 0, SEEK_SET) != 0) return ErrnoStatus(errno, "rewind", path);
  return head;
}

// Whether `head` begins as a zip, a tar or a compressed stream does.
bool LooksLikeAnArchive(const std::string& head) {
  for (absl::string_view magic : {absl::string_view("PK\x03\x04", 4),
                                  absl::string_view("\x1f\x8b", 2), absl::string_view("BZh", 3),
                                  absl::string_view("\xfd"
                                                    "7zXZ",
                                                    5),
                                  absl::string_view("\x28\xb5\x2f\xfd", 4)}) {
    if (absl::StartsWith(head, magic)) return true;
  }
  return head.size() >= 262 && head.compare(257, 5, "ustar") == 0;
}

// libarchive gives member names in the thread's locale: in the C locale a
// name a zip marks as UTF-8 comes back NULL. While an archive is read, the
// thread reads in C.UTF-8, where every name comes through byte for byte.
class Utf8Locale {
 public:
  Utf8Locale() : utf8_(newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0))) {
    if (utf8_ != static_cast<locale_t>(0)) previous_ = uselocale(utf8_);
  }
  ~Utf8Locale() {
    if (utf8_ == static_cast<locale_t>(0)) return;
    uselocale(previous_);
    freelocale(utf8_);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t utf8_;
  locale_t previous_ = static_cast<locale_t>(0);
};

ArchivePtr NewReader() {
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (!a) return a;
  // From the central directory only, where a zip keeps modes and symlinks:
  // a zip cut short there is damaged, not read member by member.
  archive_read_support_format_zip_seekable(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  return a;
}

// A member's name as persist uses it: "./" and a trailing "/" dropped.
std::string Normalized(std::string name) {
  while (absl::StartsWith(name, "./")) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

// The open archives from the file to the innermost one, which is
// positioned before its first member.
class ArchiveChain {
 public:
  static absl::StatusOr<std::unique_ptr<ArchiveChain>> Open(Env* env, const ArchivePath& where,
                                                            const ArchiveLimits& limits) {
    std::unique_ptr<ArchiveChain> chain(new ArchiveChain(env, where));
    // O_NONBLOCK: a fifo named as the archive must not hang the open.
    absl::StatusOr<int> fd =
        env->OpenAt(AT_FDCWD, where.archive, O_RDONLY | O_NONBLOCK, 0, where.archive);
    if (!fd.ok()) return fd.status();
    struct stat st;
    absl::Status status = env->StatAt(*fd, "", &st, where.archive);
    if (status.ok() && !S_ISREG(st.st_mode)) {
      // A fifo or a device would be read forever, or block.
      status = WithPath(absl::InvalidArgumentError(absl::StrCat(
                            PrintablePath(where.archive),
                            " is not a regular file; give the archive the vendor delivered")),
                        where.archive);
    }
    if (status.ok()) {
      chain->file_bytes_ = st.st_size;
      chain->file_mtime_ns_ = TimespecNs(st.st_mtim);
      status = chain->OpenReader(*fd, where.archive);
    } else {
      env->Close(*fd);
    }
    for (size_t i = 0; status.ok() && i < where.nested.size(); ++i) {
      status = chain->OpenNested(i, limits);
    }
    if (!status.ok()) return status;
    return chain;
  }

  ~ArchiveChain() {
    // Inner readers first: each was read through the one before it.
    while (!readers_.empty()) readers_.pop_back();
    gzips_.clear();
    for (const std::unique_ptr<FileInput>& input : inputs_) env_->Close(input->fd);
  }

  struct archive* inner() const {
    return readers_.back().get();
  }
  // Known once a member's header has been read.
  bool inner_is_zip() const {
    return (archive_format(inner()) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP;
  }
  uint64_t file_bytes() const { return file_bytes_; }
  int64_t file_mtime_ns() const { return file_mtime_ns_; }

  // The error of a failed read: the Env's, or the archive is damaged.
  absl::Status Damaged(const std::string& where_in_it) const {
    for (const std::unique_ptr<FileInput>& input : inputs_) {
      if (!input->error.ok()) return input->error;
    }
    std::string cause = ArchiveText(inner());
    for (const std::unique_ptr<GzipInput>& gzip : gzips_) {
      if (!gzip->damage.empty()) cause = gzip->damage;
    }
    return Refused(where_, absl::StrCat("is damaged or cut short (", cause, ", ", where_in_it,
                                        "); download it again, or unpack it and deploy the "
                                        "directory"));
  }

 private:
  ArchiveChain(Env* env, ArchivePath where) : env_(env), where_(std::move(where)) {}

  // Reads the archive in the file open at `fd` (which it now owns), named
  // `name` in messages.
  absl::Status OpenReader(int fd, const std::string& name) {
    inputs_.push_back(std::make_unique<FileInput>(
        FileInput{env_, fd, name, std::string(kBlock, '\0'), absl::OkStatus()}));
    FileInput* input = inputs_.back().get();
    absl::StatusOr<std::string> head = Peek(env_, fd, name, 512);
    if (!head.ok()) return head.status();
    ArchivePtr a = NewReader();
    if (!a) return absl::ResourceExhaustedError("libarchive could not start (out of memory)");
    if (absl::StartsWith(*head, "\x1f\x8b")) {
      gzips_.push_back(std::make_unique<GzipInput>(input));
      if (!gzips_.back()->Start()) return absl::ResourceExhaustedError("zlib could not start");
      archive_read_set_read_callback(a.get(), ReadGzip);
      archive_read_set_callback_data(a.get(), gzips_.back().get());
    } else {
      archive_read_set_read_callback(a.get(), ReadFile);
      archive_read_set_seek_callback(a.get(), SeekFile);
      archive_read_set_callback_data(a.get(), input);
    }
    if (archive_read_open1(a.get()) != ARCHIVE_OK) {
      readers_.push_back(std::move(a));
      if (!input->error.ok()) return input->error;
      if (LooksLikeAnArchive(*head) || !gzips_.empty()) return Damaged("at its start");
      return WithPath(
          absl::InvalidArgumentError(absl::StrCat(
              PrintablePath(name), " is not a zip or tar archive persist can read (",
              ArchiveText(inner()),
              "); give a .zip, .tar, .tar.gz, .tar.xz, .tar.bz2 or .tar.zst, or unpack it and "
              "deploy the directory")),
          where_.archive);
    }
    readers_.push_back(std::move(a));
    return absl::OkStatus();
  }

  // An unnamed file for a copy of a nested archive: beside the archive
  // (where its owner made room for it), else in the temporary directory.
  absl::StatusOr<int> OpenSpool() {
    std::string dir = SplitParent(where_.archive).first;
    if (dir.empty()) dir = "/";
    absl::StatusOr<int> fd = env_->OpenAt(AT_FDCWD, dir, O_TMPFILE | O_RDWR, 0600, dir);
    if (fd.ok()) return fd;
    const std::string fallback = TemporaryDirectory();
    return env_->OpenAt(AT_FDCWD, fallback, O_TMPFILE | O_RDWR, 0600, fallback);
  }

  absl::Status OpenNested(size_t index, const ArchiveLimits& limits) {
    const std::string& wanted = where_.nested[index];
    ArchivePath upto = where_;
    upto.nested.resize(index + 1);
    const std::string name = DescribeArchivePath(upto);
    struct archive* outer = readers_.back().get();
    while (true) {
      struct archive_entry* e = nullptr;
      const int rc = archive_read_next_header(outer, &e);
      if (rc == ARCHIVE_EOF) {
        upto.nested.resize(index);
        return Refused(upto, absl::StrCat("holds no member ", PrintablePath(wanted)));
      }
      if (rc < ARCHIVE_WARN) return Damaged("looking for " + PrintablePath(wanted));
      const char* member = archive_entry_pathname(e);
      if (member != nullptr && Normalized(member) == wanted &&
          archive_entry_filetype(e) == AE_IFREG) {
        break;
      }
    }
    absl::StatusOr<int> spool = OpenSpool();
    if (!spool.ok()) return spool.status();
    Fd file(env_, *spool, name);
    std::string buf(kBlock, '\0');
    uint64_t copied = 0;
    while (true) {
      const la_ssize_t got = archive_read_data(outer, buf.data(), buf.size());
      if (got == 0) break;
      if (got < 0) return Damaged("in " + PrintablePath(wanted));
      copied += got;
      if (copied > limits.max_bytes) {
        return Refused(where_, absl::StrCat("holds ", PrintablePath(wanted), ", larger than ",
                                            limits.max_bytes,
                                            " bytes; if that is right, raise --max-unpacked"));
      }
      absl::Status status = env_->Write(file.get(), buf.data(), got, name);
      if (!status.ok()) return status;
    }
    if (lseek(file.get(), 0, SEEK_SET) != 0) return ErrnoStatus(errno, "rewind", name);
    return OpenReader(file.Release(), name);
  }

  // First, so that it is left last: every name is read in UTF-8.
  Utf8Locale locale_;
  Env* env_;
  ArchivePath where_;
  uint64_t file_bytes_ = 0;
  int64_t file_mtime_ns_ = 0;
  std::vector<std::unique_ptr<FileInput>> inputs_;
  std::vector<std::unique_ptr<GzipInput>> gzips_;
  std::vector<ArchivePtr> readers_;
};

// ---- The rules every member passes ----

// A member as a release holds it, once the rules let it in.
struct CheckedMember {
  bool debris = false;  // __MACOSX/ or .DS_Store: left out
  std::string rel;      // "" for the archive's top ("./")
  ArchiveListing::Member member;  // its link_target and hard_link unset: below
  std::string link_target;        // a symlink's
  std::string hardlink;           // a hard link's target member
  bool setid = false;    // ReleaseMode dropped set-uid or set-gid
};

bool IsDebris(const std::string& rel) {
  for (absl::string_view part : absl::StrSplit(rel, '/')) {
    if (part == "__MACOSX") return true;
  }
  return SplitParent(rel).second == ".DS_Store";
}

// Counts members and bytes against the limits; the first excess refuses.
class LimitCounter {
 public:
  LimitCounter(const ArchivePath& where, const ArchiveLimits& limits, uint64_t file_bytes)
      : where_(where), limits_(limits), file_bytes_(file_bytes) {}

  absl::Status AddEntry() {
    if (++entries_ <= limits_.max_entries) return absl::OkStatus();
    return Refused(where_, absl::StrCat("holds more than ", limits_.max_entries,
                                        " entries; if that is right, raise --max-entries"));
  }

  absl::Status AddBytes(uint64_t n) {
    bytes_ += n;
    if (bytes_ > limits_.max_bytes) {
      return Refused(where_, absl::StrCat("unpacks to more than ", limits_.max_bytes,
                                          " bytes; if that is right, raise --max-unpacked"));
    }
    if (bytes_ > ArchiveLimits::kRatioFloor && file_bytes_ > 0 &&
        bytes_ / file_bytes_ >= limits_.max_ratio) {
      return Refused(where_, absl::StrCat("unpacks to more than ", limits_.max_ratio,
                                          " times its own size (", file_bytes_,
                                          " bytes), as a decompression bomb does; if it is "
                                          "genuine, raise --max-ratio"));
    }
    return absl::OkStatus();
  }

  uint64_t bytes() const { return bytes_; }

 private:
  const ArchivePath& where_;
  const ArchiveLimits& limits_;
  uint64_t file_bytes_;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
};

// Checks one member's header against the rules that need no other member.
absl::StatusOr<CheckedMember> CheckMember(const ArchivePath& where, struct archive_entry* e,
                                          bool from_zip, int64_t default_mtime_ns) {
  CheckedMember out;
  const char* raw = archive_entry_pathname(e);
  if (raw == nullptr || *raw == '\0') {
    return Refused(where, "holds a member without a name; it is damaged: download it again");
  }
  const std::string shown = PrintablePath(raw);
  if (raw[0] == '/') {
    return Refused(where, absl::StrCat("holds the absolute path ", shown,
                                       "; persist unpacks only relative members"));
  }
  out.rel = Normalized(raw);
  for (absl::string_view part : absl::StrSplit(out.rel, '/')) {
    if (part == "..") {
      return Refused(where, absl::StrCat("holds the member ", shown,
                                         ", which climbs out with \"..\" (a zip slip); persist "
                                         "will not unpack it"));
    }
  }
  if (out.rel.empty()) return out;
  absl::Status valid = ValidateRelativePath(out.rel);
  if (!valid.ok()) {
    return Refused(where, absl::StrCat("holds the member ", shown, ", whose name persist refuses (",
                                       valid.message(), ")"));
  }
  if (IsDebris(out.rel)) {
    out.debris = true;
    return out;
  }
  if (archive_entry_is_encrypted(e)) {
    return Refused(where, absl::StrCat("holds ", shown,
                                       " encrypted; persist takes no password: unpack it "
                                       "yourself and deploy the directory"));
  }
  ArchiveListing::Member& m = out.member;
  m.mtime_ns = archive_entry_mtime_is_set(e)
                   ? int64_t{archive_entry_mtime(e)} * 1000000000 + archive_entry_mtime_nsec(e)
                   : default_mtime_ns;
  const uint32_t perm = archive_entry_perm(e) & 07777;
  out.setid = (perm & (S_ISUID | S_ISGID)) != 0;
  if (const char* target = archive_entry_hardlink(e); target != nullptr) {
    out.hardlink = Normalized(target);
    m.type = REGULAR;
    return out;
  }
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      m.type = REGULAR;
      m.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
      m.is_archive = EndsWithArchiveSuffix(out.rel);
      break;
    case AE_IFDIR:
      m.type = DIRECTORY;
      break;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (target == nullptr || *target == '\0') {
        return Refused(
            where, absl::StrCat("holds the symlink ", shown, " without a target; it is damaged"));
      }
      m.type = SYMLINK;
      out.link_target = target;
      break;
    }
    default:
      return Refused(where, absl::StrCat("holds ", shown,
                                         ", a fifo, socket or device; a release holds files, "
                                         "directories and symlinks only"));
  }
  m.mode = m.type == SYMLINK ? 0777 : ReleaseMode(perm, from_zip);
  return out;
}

// Where a symlink member leads must lie inside the release `dir`.
absl::Status CheckSymlink(const ArchivePath& where, const std::string& rel,
                          const std::string& target, const std::string& dir) {
  const std::string resolved = target.front() == '/' ? "" : ResolveLexically(rel, target);
  const bool inside = !resolved.empty() && (dir.empty() || IsWithin(resolved, dir));
  if (inside) return absl::OkStatus();
  return Refused(
      where, absl::StrCat("holds the symlink ", PrintablePath(rel), " -> ", PrintablePath(target),
                          ", which leads out of the release; persist will not "
                          "unpack a link to outside the app"));
}

// The members of a chain's innermost archive, one by one, each checked
// by CheckMember.
class MemberReader {
 public:
  MemberReader(ArchiveChain* chain, const ArchivePath& where) : chain_(chain), where_(where) {}

  // The next member into *member; false at the end of the archive.
  absl::StatusOr<bool> Next(CheckedMember* member) {
    struct archive_entry* e = nullptr;
    const int rc = archive_read_next_header(chain_->inner(), &e);
    if (rc == ARCHIVE_EOF) return false;
    // ARCHIVE_WARN: a name not in this locale's charset, kept as bytes.
    if (rc < ARCHIVE_WARN) return chain_->Damaged(absl::StrCat("after ", count_, " entries"));
    ++count_;
    absl::StatusOr<CheckedMember> checked =
        CheckMember(where_, e, chain_->inner_is_zip(), chain_->file_mtime_ns());
    if (!checked.ok()) return checked.status();
    *member = *std::move(checked);
    return true;
  }

  // The data of the member Next gave last, chunk by chunk to its end.
  absl::Status ReadData(const std::string& rel,
                        absl::FunctionRef<absl::Status(const char* data, size_t n)> chunk) {
    std::string buf(kBlock, '\0');
    while (true) {
      const la_ssize_t got = archive_read_data(chain_->inner(), buf.data(), buf.size());
      if (got == 0) return absl::OkStatus();
      // A warning here is a checksum that does not match: damaged data.
      if (got < 0) return chain_->Damaged("in " + PrintablePath(rel));
      absl::Status status = chunk(buf.data(), got);
      if (!status.ok()) return status;
    }
  }

 private:
  ArchiveChain* chain_;
  const ArchivePath& where_;
  uint64_t count_ = 0;
};

}  // namespace

// ---- The listing ----

class ListingBuilder {
 public:
  ListingBuilder(ArchiveListing* listing, const ArchivePath& where, const ArchiveLimits& limits,
                 uint64_t file_bytes, int64_t file_mtime_ns)
      : listing_(listing),
        where_(where),
        limits_(where, limits, file_bytes),
        default_mtime_ns_(file_mtime_ns) {}

  absl::Status Add(const CheckedMember& checked) {
    absl::Status status = limits_.AddEntry();
    if (!status.ok()) return status;
    if (checked.debris) {
      ++listing_->debris_;
      return absl::OkStatus();
    }
    if (checked.rel.empty()) return absl::OkStatus();
    ArchiveListing::Member member = checked.member;
    member.link_target = listing_->names_.Keep(checked.link_target);
    if (!checked.hardlink.empty()) {
      auto target = listing_->members_.find(checked.hardlink);
      if (target == listing_->members_.end() || target->second.type != REGULAR) {
        return Refused(where_, absl::StrCat("holds ", PrintablePath(checked.rel),
                                            " as a hard link to ", PrintablePath(checked.hardlink),
                                            ", which is no file the archive holds before it"));
      }
      member = target->second;
      member.hard_link = listing_->names_.Keep(checked.hardlink);
    } else if (member.type == REGULAR) {
      status = limits_.AddBytes(member.size);
      if (!status.ok()) return status;
      ++listing_->files_;
    }
    status = AddParents(checked.rel);
    if (!status.ok()) return status;
    auto it = listing_->members_.find(checked.rel);
    const bool added = it == listing_->members_.end();
    if (added) it = listing_->members_.emplace(listing_->names_.Keep(checked.rel), member).first;
    if (!added) {
      const bool was_implied = implied_.erase(checked.rel) > 0;
      if (!was_implied || member.type != DIRECTORY) {
        return Refused(where_, absl::StrCat("holds ", PrintablePath(checked.rel),
                                            was_implied ? " both as a directory and not" : " twice",
                                            "; persist will not guess which one to keep"));
      }
      it->second = member;
    }
    if (checked.setid) listing_->setid_dropped_.push_back(checked.rel);
    return absl::OkStatus();
  }

  uint64_t bytes() const { return limits_.bytes(); }

 private:
  // The directories above `rel` must be directories; missing ones are
  // implied.
  absl::Status AddParents(const std::string& rel) {
    std::string parent = SplitParent(rel).first;
    std::vector<std::string> missing;
    for (; !parent.empty(); parent = SplitParent(parent).first) {
      auto it = listing_->members_.find(parent);
      if (it == listing_->members_.end()) {
        missing.push_back(parent);
        continue;
      }
      if (it->second.type != DIRECTORY) {
        return Refused(
            where_, absl::StrCat("holds ", PrintablePath(rel), " beneath ", PrintablePath(parent),
                                 ", which it holds as a ", FileTypeName(it->second.type),
                                 "; persist never writes through one"));
      }
      break;
    }
    for (const std::string& dir : missing) {
      ArchiveListing::Member implied;
      implied.mtime_ns = default_mtime_ns_;
      listing_->members_.emplace(listing_->names_.Keep(dir), implied);
      implied_.insert(dir);
    }
    return absl::OkStatus();
  }

 private:
  ArchiveListing* listing_;
  const ArchivePath& where_;
  LimitCounter limits_;
  // Implied directories take the archive file's mtime.
  const int64_t default_mtime_ns_;
  std::set<std::string> implied_;
};

std::string DescribeArchivePath(const ArchivePath& where) {
  std::vector<std::string> parts{PrintablePath(where.archive)};
  for (const std::string& nested : where.nested) parts.push_back(PrintablePath(nested));
  if (!where.dir.empty()) parts.push_back(PrintablePath(where.dir));
  return absl::StrJoin(parts, ": ");
}

ArchivePath ArchivePathOf(const UnpackOp& op) {
  return ArchivePath{op.archive(), {op.nested().begin(), op.nested().end()}, op.dir()};
}

ArchiveLimits ArchiveLimitsOf(const UnpackOp& op) {
  ArchiveLimits limits;
  if (op.max_entries() != 0) limits.max_entries = op.max_entries();
  if (op.max_bytes() != 0) limits.max_bytes = op.max_bytes();
  if (op.max_ratio() != 0) limits.max_ratio = op.max_ratio();
  return limits;
}

uint32_t ReleaseMode(uint32_t perm, bool from_zip) {
  uint32_t mode = perm & 07777 & ~uint32_t{S_ISUID | S_ISGID | S_IWOTH};
  if (from_zip) mode &= ~uint32_t{S_IWGRP};
  return mode;
}

absl::StatusOr<std::unique_ptr<ArchiveListing>> ScanArchive(Env* env, const ArchivePath& where,
                                                            const ArchiveLimits& limits) {
  ArchivePath whole = where;
  whole.dir.clear();
  absl::StatusOr<std::unique_ptr<ArchiveChain>> chain = ArchiveChain::Open(env, whole, limits);
  if (!chain.ok()) return chain.status();
  auto listing = std::make_unique<ArchiveListing>();
  listing->env_ = env;
  listing->limits_ = limits;
  listing->where_ = whole;
  listing->archive_bytes_ = (*chain)->file_bytes();
  ListingBuilder builder(listing.get(), whole, limits, (*chain)->file_bytes(),
                         (*chain)->file_mtime_ns());
  MemberReader members(chain->get(), whole);
  CheckedMember member;
  while (true) {
    absl::StatusOr<bool> more = members.Next(&member);
    if (!more.ok()) return more.status();
    if (!*more) break;
    absl::Status status = builder.Add(member);
    if (!status.ok()) return status;
  }  listing->bytes_ = builder.bytes();
  return listing;
}

absl::StatusOr<PathState> ArchiveListing::Observe(const std::string& rel, bool with_digest) const {
  PathState state;
  state.set_path(rel);
  if (rel.empty()) {
    state.set_type(DIRECTORY);
    state.set_mode(0755);
    return state;
  }
  auto it = members_.find(rel);
  if (it == members_.end()) {
    // Beneath a file or symlink: as a directory walk would find it.
    for (std::string parent = SplitParent(rel).first; !parent.empty();
         parent = SplitParent(parent).first) {
      auto above = members_.find(parent);
      if (above != members_.end() && above->second.type != DIRECTORY) {
        return ErrnoStatus(ENOTDIR, "look up", Name(rel));
      }
    }
    state.set_type(ABSENT);
    return state;
  }
  const Member& m = it->second;
  state.set_type(m.type);
  state.set_mode(m.mode);
  state.set_size(m.size);
  state.set_mtime_ns(m.mtime_ns);
  state.set_link_target(m.link_target.data(), m.link_target.size());
  if (with_digest && m.type == REGULAR) {
    absl::Status filled = FillDigests();
    if (!filled.ok()) return filled;
    state.set_digest(digests_[rel]);
  }
  return state;
}

absl::StatusOr<std::vector<std::string>> ArchiveListing::List(const std::string& rel) const {
  if (!rel.empty()) {
    auto it = members_.find(rel);
    if (it == members_.end() || it->second.type != DIRECTORY) {
      return ErrnoStatus(it == members_.end() ? ENOENT : ENOTDIR, "list", Name(rel));
    }
  }
  const std::string prefix = rel.empty() ? "" : rel + "/";
  std::vector<std::string> names;
  for (auto it = members_.lower_bound(prefix);
       it != members_.end() && absl::StartsWith(it->first, prefix);) {
    const absl::string_view rest = it->first.substr(prefix.size());
    const size_t slash = rest.find('/');
    const std::string name(rest.substr(0, slash));
    names.push_back(name);
    if (slash == absl::string_view::npos) {
      // "name" itself: "name.php" may come next, before what "name/" holds.
      ++it;
    } else {
      // Beneath "name/": past all of it ('0' follows '/'); whatever sorts
      // between "name" and "name/" came before.
      it = members_.lower_bound(prefix + name + "0");
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string ArchiveListing::Name(const std::string& rel) const {
  ArchivePath shown = where_;
  shown.dir = rel;
  return DescribeArchivePath(shown);
}

absl::Status ArchiveListing::CheckLinksStayIn(const std::string& dir) const {
  const std::string prefix = dir.empty() ? "" : dir + "/";
  for (auto it = members_.lower_bound(prefix);
       it != members_.end() && absl::StartsWith(it->first, prefix); ++it) {
    const Member& m = it->second;
    if (!m.hard_link.empty() && !dir.empty() && !IsWithin(m.hard_link, dir)) {
      return Refused(where_,
                     absl::StrCat("holds ", PrintablePath(it->first), " as a hard link to ",
                                  PrintablePath(m.hard_link), ", outside the app's directory ",
                                  PrintablePath(dir), "; persist will not unpack it"));
    }
    if (m.type != SYMLINK) continue;
    absl::Status status =
        CheckSymlink(where_, std::string(it->first), std::string(m.link_target), dir);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ArchiveListing::Read(const std::string& rel, size_t max_bytes) const {
  auto member = members_.find(rel);
  if (member == members_.end() || member->second.type != REGULAR) {
    return absl::NotFoundError(absl::StrCat(Name(rel), " is no file of the archive"));
  }
  if (member->second.size > max_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(Name(rel), " is larger than ", max_bytes, " bytes"));
  }
  const std::string wanted =
      member->second.hard_link.empty() ? rel : std::string(member->second.hard_link);
  absl::StatusOr<std::unique_ptr<ArchiveChain>> chain = ArchiveChain::Open(env_, where_, limits_);
  if (!chain.ok()) return chain.status();
  MemberReader members(chain->get(), where_);
  CheckedMember checked;
  while (true) {
    absl::StatusOr<bool> more = members.Next(&checked);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (checked.rel != wanted) continue;
    std::string content;
    absl::Status status = members.ReadData(wanted, [&](const char* data, size_t n) {
      if (content.size() + n > max_bytes) {
        return absl::FailedPreconditionError(
            absl::StrCat(Name(rel), " is larger than ", max_bytes, " bytes"));
      }
      content.append(data, n);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return content;
  }
  return absl::NotFoundError(absl::StrCat(Name(rel), " is no longer in the archive"));
}

absl::Status ArchiveListing::FillDigests() const {
  if (digests_filled_) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<ArchiveChain>> chain = ArchiveChain::Open(env_, where_, limits_);
  if (!chain.ok()) return chain.status();
  MemberReader members(chain->get(), where_);
  CheckedMember checked;
  while (true) {
    absl::StatusOr<bool> more = members.Next(&checked);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (checked.debris || checked.rel.empty() || checked.member.type != REGULAR) continue;
    if (!checked.hardlink.empty()) {
      digests_[checked.rel] = digests_[checked.hardlink];
      continue;
    }
    Sha256 sha;
    absl::Status status = sha.Start();
    if (status.ok()) {
      status = members.ReadData(checked.rel, [&](const char* data, size_t n) {
        sha.Update(data, n);
        return absl::OkStatus();
      });
    }
    if (!status.ok()) return status;
    digests_[checked.rel] = sha.Finish();
  }
  digests_filled_ = true;
  return absl::OkStatus();
}

// ---- Unpacking ----

namespace {

// A directory the unpack made: its final mode and mtime are set last, once
// everything in it is in place.
struct MadeDir {
  uint32_t mode = 0755;
  int64_t mtime_ns = 0;
};

struct timespec ToTimespec(int64_t ns) {
  struct timespec t;
  t.tv_sec = ns / 1000000000;
  t.tv_nsec = ns % 1000000000;
  if (t.tv_nsec < 0) {
    t.tv_nsec += 1000000000;
    --t.tv_sec;
  }
  return t;
}

class Unpacker {
 public:
  Unpacker(Env* env, ArchiveChain* chain, const ArchivePath& where, const Entry& into,
           const UnpackOptions& options)
      : env_(env),
        chain_(chain),
        where_(where),
        into_(into),
        options_(options),
        whole_{where.archive, where.nested, ""},
        limits_(whole_, options.limits, chain->file_bytes()) {}

  absl::Status Run(BackgroundWriteBack* write_back) {
    write_back_ = write_back;
    absl::Status status = MakeRoot();
    MemberReader members(chain_, whole_);
    CheckedMember member;
    while (status.ok()) {
      absl::StatusOr<bool> more = members.Next(&member);
      if (!more.ok()) return more.status();
      if (!*more) break;
      status = Member(member);
    }
    if (status.ok()) status = FixDirectories();
    return status;
  }

  const CopyStats& stats() const { return stats_; }

  // Hands the manifest over in walk order; after Run has succeeded and
  // the archive is closed, so that its central directory is freed first.
  void HandOverManifest() {
    if (options_.manifest != nullptr) manifest_.HandOver(options_.manifest);
  }

 private:
  std::string Shown(const std::string& rel) const { return JoinPath(into_.path, rel); }

  absl::Status MakeRoot() {
    if (!options_.over_existing) {
      absl::Status status = env_->MkdirAt(into_.dir_fd, into_.name, 0700, into_.path);
      if (!status.ok()) return status;
      dirs_[""] = MadeDir{0755, chain_->file_mtime_ns()};
    }
    absl::StatusOr<int> fd =
        env_->OpenAt(into_.dir_fd, into_.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, into_.path);
    if (!fd.ok()) return fd.status();
    root_ = Fd(env_, *fd, into_.path);
    return absl::OkStatus();
  }

  // Over an existing tree: what stands at `leaf` in `dir` gives way to
  // the member, unless both are directories (true then: it is kept).
  // Whole, never followed: a symlink goes, not what it leads to. A member
  // given twice is refused as in a new tree.
  absl::StatusOr<bool> GiveWay(int dir, const std::string& leaf, const std::string& rel,
                               bool member_is_dir) {
    if (!options_.over_existing) return false;
    if (!placed_.insert(rel).second && !member_is_dir) return Twice(rel);
    struct stat st;
    absl::Status status = env_->StatAt(dir, leaf, &st, Shown(rel));
    if (StatusErrno(status) == ENOENT) return false;
    if (!status.ok()) return status;
    if (S_ISDIR(st.st_mode) && member_is_dir) return true;
    status = RemoveTree(env_, Entry{dir, leaf, Shown(rel)});
    if (!status.ok()) return status;
    // The directory kept open may have been beneath what went (never the
    // one `dir` is: it holds `rel`).
    if (!cached_rel_.empty() && IsWithin(cached_rel_, rel)) {
      cached_ = Fd();
      cached_rel_.clear();
    }
    return false;
  }

  absl::Status Member(const CheckedMember& member) {
    absl::Status status = limits_.AddEntry();
    if (!status.ok()) return status;
    const CheckedMember* checked = &member;
    if (checked->debris || checked->rel.empty()) return absl::OkStatus();
    if (!where_.dir.empty() && !IsWithin(checked->rel, where_.dir)) return absl::OkStatus();
    const std::string rel = Relative(checked->rel);
    if (!options_.leave_out.empty() && rel == options_.leave_out) return absl::OkStatus();
    if (rel.empty()) {
      if (checked->member.type != DIRECTORY) {
        return Refused(whole_, absl::StrCat("holds ", PrintablePath(where_.dir),
                                            " as something other than a directory"));
      }
      // Over an existing tree, its top stays as it is: the release's own
      // directory is the base's.
      if (!options_.over_existing) {
        dirs_[""] = MadeDir{checked->member.mode, checked->member.mtime_ns};
      }
      return absl::OkStatus();
    }
    if (checked->setid) ++setid_dropped_;
    switch (checked->member.type) {
      case DIRECTORY:
        return Directory(rel, checked->member);
      case SYMLINK:
        status = CheckSymlink(whole_, checked->rel, checked->link_target, where_.dir);
        if (!status.ok()) return status;
        return Symlink(rel, checked->member, checked->link_target);
      default:
        if (!checked->hardlink.empty()) return HardLink(rel, *checked);
        return File(rel, checked->member);
    }
  }

  // `rel` (a member's name) relative to the release.
  std::string Relative(const std::string& rel) const {
    if (where_.dir.empty()) return rel;
    return rel.size() == where_.dir.size() ? "" : rel.substr(where_.dir.size() + 1);
  }

  // The directory `rel` beneath `into`, opened one component at a time
  // without following symlinks, and made (with its parents) when missing.
  absl::StatusOr<int> OpenDir(const std::string& rel, const std::string& member) {
    if (rel.empty()) return root_.get();
    if (cached_.valid() && cached_rel_ == rel) return cached_.get();
    Fd current;
    int at = root_.get();
    std::string sofar;
    for (absl::string_view part : absl::StrSplit(rel, '/')) {
      sofar = JoinPath(sofar, part);
      const std::string name(part);
      absl::StatusOr<int> fd =
          env_->OpenAt(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, Shown(sofar));
      const int err = fd.ok() ? 0 : StatusErrno(fd.status());
      if (options_.over_existing && (err == ELOOP || err == ENOTDIR) && !placed_.count(sofar)) {
        // The base's file or symlink gives way to the package's directory.
        absl::Status removed = env_->UnlinkAt(at, name, 0, Shown(sofar));
        if (!removed.ok()) return removed;
        fd = ErrnoStatus(ENOENT, "open", Shown(sofar));
      }
      if (!fd.ok() && StatusErrno(fd.status()) == ENOENT) {
        absl::Status made = env_->MkdirAt(at, name, 0700, Shown(sofar));
        if (!made.ok()) return made;
        dirs_.emplace(sofar, MadeDir{0755, chain_->file_mtime_ns()});
        fd = env_->OpenAt(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, Shown(sofar));
      }
      if (!fd.ok()) {
        const int err = StatusErrno(fd.status());
        if (err == ELOOP || err == ENOTDIR) {
          return Refused(whole_, absl::StrCat("holds ", PrintablePath(member), " beneath ",
                                              PrintablePath(JoinPath(where_.dir, sofar)),
                                              ", which it holds as a file or symlink; persist "
                                              "never writes through one"));
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

  absl::Status Directory(const std::string& rel, const ArchiveListing::Member& m) {
    if (dirs_.count(rel) == 0) {
      auto [parent, leaf] = SplitParent(rel);
      absl::StatusOr<int> dir = OpenDir(parent, JoinPath(where_.dir, rel));
      if (!dir.ok()) return dir.status();
      absl::StatusOr<bool> kept = GiveWay(*dir, leaf, rel, true);
      if (!kept.ok()) return kept.status();
      absl::Status status = *kept ? absl::OkStatus() : env_->MkdirAt(*dir, leaf, 0700, Shown(rel));
      if (!status.ok()) {
        if (StatusErrno(status) == EEXIST) return Twice(rel);
        return status;
      }
    }
    dirs_[rel] = MadeDir{m.mode, m.mtime_ns};
    return absl::OkStatus();
  }

  absl::Status Twice(const std::string& rel) {
    return Refused(whole_, absl::StrCat("holds ", PrintablePath(JoinPath(where_.dir, rel)),
                                        " both as a directory and not; persist will not guess "
                                        "which one to keep"));
  }

  absl::Status Symlink(const std::string& rel, const ArchiveListing::Member& m,
                       const std::string& target) {
    auto [parent, leaf] = SplitParent(rel);
    absl::StatusOr<int> dir = OpenDir(parent, JoinPath(where_.dir, rel));
    if (!dir.ok()) return dir.status();
    absl::StatusOr<bool> kept = GiveWay(*dir, leaf, rel, false);
    if (!kept.ok()) return kept.status();
    absl::Status status = env_->SymlinkAt(target, *dir, leaf, Shown(rel));
    if (StatusErrno(status) == EEXIST) return Twice(rel);
    if (status.ok()) status = Own(*dir, leaf, rel);
    const struct timespec times[2] = {ToTimespec(m.mtime_ns), ToTimespec(m.mtime_ns)};
    if (status.ok()) status = env_->UtimensAt(*dir, leaf, times, Shown(rel));
    if (!status.ok()) return status;
    ArchiveListing::Member made = m;
    made.link_target = target;
    Record(rel, made, "");
    return absl::OkStatus();
  }

  absl::Status Own(int dir, const std::string& leaf, const std::string& rel) {
    if (options_.uid == static_cast<uid_t>(-1) && options_.gid == static_cast<gid_t>(-1)) {
      return absl::OkStatus();
    }
    return env_->ChownAt(dir, leaf, options_.uid, options_.gid, Shown(rel));
  }

  absl::Status File(const std::string& rel, const ArchiveListing::Member& m) {
    auto [parent, leaf] = SplitParent(rel);
    absl::StatusOr<int> dir = OpenDir(parent, JoinPath(where_.dir, rel));
    if (!dir.ok()) return dir.status();
    absl::StatusOr<bool> kept = GiveWay(*dir, leaf, rel, false);
    if (!kept.ok()) return kept.status();
    absl::StatusOr<int> fd =
        env_->OpenAt(*dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, Shown(rel));
    if (!fd.ok()) {
      if (StatusErrno(fd.status()) == EEXIST) return Twice(rel);
      return fd.status();
    }
    Fd out(env_, *fd, Shown(rel));
    Sha256 sha;
    absl::Status status = sha.Start();
    if (!status.ok()) return status;
    struct archive* a = chain_->inner();
    uint64_t written = 0;
    while (true) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      const int rc = archive_read_data_block(a, &block, &size, &offset);
      if (rc == ARCHIVE_EOF) break;
      // A warning here is a checksum or size that does not match: damaged data.
      if (rc != ARCHIVE_OK)
        return chain_->Damaged("in " + PrintablePath(JoinPath(where_.dir, rel)));
      // A sparse member's holes arrive as gaps between blocks.
      while (written < static_cast<uint64_t>(offset)) {
        const size_t n = std::min<uint64_t>(offset - written, kBlock);
        const std::string zeros(n, '\0');
        status = limits_.AddBytes(n);
        if (status.ok()) status = env_->Write(out.get(), zeros.data(), n, Shown(rel));
        if (!status.ok()) return status;
        sha.Update(zeros.data(), n);
        written += n;
      }
      status = limits_.AddBytes(size);
      if (status.ok())
        status = env_->Write(out.get(), static_cast<const char*>(block), size, Shown(rel));
      if (!status.ok()) return status;
      sha.Update(static_cast<const char*>(block), size);
      written += size;
    }
    status = Own(out.get(), "", rel);
    // Owner before mode: a change of owner clears the set-user-ID bit.
    if (status.ok()) status = env_->Fchmod(out.get(), m.mode, Shown(rel));
    const struct timespec times[2] = {ToTimespec(m.mtime_ns), ToTimespec(m.mtime_ns)};
    if (status.ok()) status = env_->UtimensAt(out.get(), "", times, Shown(rel));
    struct stat st;
    if (status.ok()) status = env_->StatAt(out.get(), "", &st, Shown(rel));
    if (!status.ok()) return status;
    ArchiveListing::Member made = m;
    made.size = written;
    Record(rel, made, sha.Finish(), &st);
    ++stats_.files;
    stats_.bytes += written;
    write_back_->Copied(stats_.bytes);
    if (options_.on_file) options_.on_file(stats_.files, stats_.bytes);
    return absl::OkStatus();
  }

  absl::Status HardLink(const std::string& rel, const CheckedMember& checked) {
    const bool in_release = where_.dir.empty() || IsWithin(checked.hardlink, where_.dir);
    // Hard links are rare: the file it names is looked for among those made.
    const std::string target_rel = in_release ? Relative(checked.hardlink) : "";
    ManifestEntry made;
    if (!in_release || !manifest_.FindFile(target_rel, &made)) {
      return Refused(whole_, absl::StrCat("holds ", PrintablePath(checked.rel),
                                          " as a hard link to ", PrintablePath(checked.hardlink),
                                          ", which is no file of the release before it"));
    }
    auto [from_parent, from_leaf] = SplitParent(made.path());
    absl::StatusOr<int> from_dir = OpenDir(from_parent, checked.hardlink);
    if (!from_dir.ok()) return from_dir.status();
    // OpenDir keeps one directory open; the link's own may be another.
    absl::StatusOr<int> from_fd =
        env_->OpenAt(*from_dir, ".", O_RDONLY | O_DIRECTORY, 0, Shown(from_parent));
    if (!from_fd.ok()) return from_fd.status();
    Fd from(env_, *from_fd, Shown(from_parent));
    auto [parent, leaf] = SplitParent(rel);
    absl::StatusOr<int> dir = OpenDir(parent, checked.rel);
    if (!dir.ok()) return dir.status();
    absl::StatusOr<bool> kept = GiveWay(*dir, leaf, rel, false);
    if (!kept.ok()) return kept.status();
    absl::Status status = env_->LinkAt(from.get(), from_leaf, *dir, leaf, Shown(rel));
    if (StatusErrno(status) == EEXIST) return Twice(rel);
    if (!status.ok()) return status;
    struct stat st;
    status = env_->StatAt(*dir, leaf, &st, Shown(rel));
    if (!status.ok()) return status;
    ArchiveListing::Member m;
    m.type = REGULAR;
    m.mode = made.mode();
    m.size = made.size();
    m.mtime_ns = made.mtime_ns();
    Record(rel, m, made.digest(), &st);
    ++stats_.files;
    stats_.bytes += made.size();
    if (options_.on_file) options_.on_file(stats_.files, stats_.bytes);
    return absl::OkStatus();
  }

  // Keeps the manifest entry of what was made at `rel`.
  void Record(const std::string& rel, const ArchiveListing::Member& m, const std::string& digest,
              const struct stat* st = nullptr) {
    ManifestEntry& entry = recorded_;
    entry.Clear();
    entry.set_path(rel);
    entry.set_type(m.type);
    entry.set_mode(m.type == SYMLINK ? 0777 : m.mode);
    if (m.type == REGULAR) entry.set_size(m.size);
    entry.set_mtime_ns(m.mtime_ns);
    entry.set_link_target(m.link_target.data(), m.link_target.size());
    entry.set_digest(digest);
    if (st != nullptr) {
      entry.set_inode(st->st_ino);
      entry.set_ctime_ns(TimespecNs(st->st_ctim));
    }
    manifest_.Add(entry);
  }

  // Modes, owners and mtimes of directories, deepest first: each one's
  // entries are all in place before it may become read-only.
  absl::Status FixDirectories() {
    cached_ = Fd();
    cached_rel_.clear();
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      const std::string& rel = it->first;
      absl::StatusOr<int> dir = OpenDir(rel, JoinPath(where_.dir, rel));
      if (!dir.ok()) return dir.status();
      absl::Status status = Own(*dir, "", rel);
      if (status.ok()) status = env_->Fchmod(*dir, it->second.mode, Shown(rel));
      const struct timespec times[2] = {ToTimespec(it->second.mtime_ns),
                                        ToTimespec(it->second.mtime_ns)};
      if (status.ok()) status = env_->UtimensAt(*dir, "", times, Shown(rel));
      if (!status.ok()) return status;
      ArchiveListing::Member m;
      m.mode = it->second.mode;
      m.mtime_ns = it->second.mtime_ns;
      Record(rel, m, "");
      cached_ = Fd();
      cached_rel_.clear();
    }
    return absl::OkStatus();
  }

  Env* env_;
  ArchiveChain* chain_;
  const ArchivePath& where_;
  const Entry into_;
  const UnpackOptions& options_;
  const ArchivePath whole_;
  LimitCounter limits_;
  Fd root_;
  Fd cached_;
  std::string cached_rel_;
  std::map<std::string, MadeDir> dirs_;
  // Over an existing tree: every path a member was placed at.
  std::set<std::string> placed_;
  BackgroundWriteBack* write_back_ = nullptr;  // Run's, for the length of the unpack
  ManifestBuffer manifest_;
  ManifestEntry recorded_;  // Record's, reused
  uint64_t setid_dropped_ = 0;
  CopyStats stats_;
};

}  // namespace

absl::StatusOr<CopyStats> UnpackArchive(Env* env, const ArchivePath& where, const Entry& into,
                                        const UnpackOptions& options) {
  absl::StatusOr<std::unique_ptr<ArchiveChain>> chain =
      ArchiveChain::Open(env, where, options.limits);
  if (!chain.ok()) return chain.status();
  Unpacker unpacker(env, chain->get(), where, into, options);
  {
    BackgroundWriteBack write_back(env, into.dir_fd, options.write_back_every);
    absl::Status status = unpacker.Run(&write_back);
    if (!status.ok()) return status;
  }
  chain->reset();
  unpacker.HandOverManifest();
  return unpacker.stats();
}

}  // namespace persist
