// Copyright persist authors.
//
// release_archive: a release as the vendor delivers it, a zip or a tarball
// (.tar, .tar.gz/.tgz, .tar.xz, .tar.bz2, .tar.zst), read with libarchive
// through an Env and never unpacked anywhere but into the release.
//
// ScanArchive lists an archive without writing anything, so that the
// planner can find the app in it and plan the deploy; UnpackArchive streams
// the app's part of it into a new directory. Both apply the same rules to
// every member, so that what the plan saw is what the unpack makes, and a
// hostile or broken archive is refused by the scan, before the site
// changes:
//  - a member's name must be relative, without "..", not empty, valid as a
//    path (path.h ValidateRelativePath); a leading "./" is dropped;
//  - no member twice, nothing beneath a member that is a file or symlink;
//  - files, directories and symlinks only; a hard link only to a file the
//    archive held before it; no fifo, socket or device; nothing encrypted;
//  - a symlink of the release must lead to a path inside the release;
//  - __MACOSX/ and .DS_Store are left out (counted), as archivers' debris;
//  - limits on entries, unpacked bytes and the ratio of unpacked bytes to
//    the archive's size stop a decompression bomb, before (the sizes
//    members declare) and while (the bytes they really hold) unpacking.
// Modes are made safe for a web root (ReleaseMode): never world-writable,
// never set-uid or set-gid; a zip member made on Windows, which has no
// Unix mode, gets 0644 (0755 for a directory).
//
// An archive inside the archive (the app's own zip beside documentation/,
// as CodeCanyon packs it) is copied, compressed as it is, into an unnamed
// temporary file beside the outer one (O_TMPFILE: gone when closed), since
// a zip's modes and symlinks are in its central directory, at its end:
// ArchivePath::nested names it. Member names are read as UTF-8.

#ifndef PERSIST_FSOPS_RELEASE_ARCHIVE_H_
#define PERSIST_FSOPS_RELEASE_ARCHIVE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fsops/byte_arena.h"
#include "fsops/copy_tree.h"
#include "fsops/entry.h"
#include "fsops/env.h"
#include "fsops/source_tree.h"
#include "proto/journal.pb.h"

namespace persist {

// Where a tree lies in an archive: the archive file (absolute), the
// archives inside it to open one after the other (member names, outermost
// first), and the directory within the innermost one ("" for its top).
struct ArchivePath {
  std::string archive;
  std::vector<std::string> nested;
  std::string dir;
};

// How the operator names it: "/home/u/shop.zip: Shop/shop.zip: shop".
std::string DescribeArchivePath(const ArchivePath& where);

// The bounds that stop a decompression bomb. The defaults hold any real
// PHP app with its vendor/ and node_modules/ many times over.
struct ArchiveLimits {
  uint64_t max_entries = 1000000;
  uint64_t max_bytes = uint64_t{32} << 30;  // unpacked content
  // Unpacked bytes per byte of the archive file, checked once the content
  // passes kRatioFloor (a small archive of one zeroed file is no bomb).
  uint64_t max_ratio = 200;
  static constexpr uint64_t kRatioFloor = uint64_t{256} << 20;
};

// What an UnpackOp (journal.proto) names: where its release lies, and the
// limits it was planned with (0: the default).
ArchivePath ArchivePathOf(const UnpackOp& op);
ArchiveLimits ArchiveLimitsOf(const UnpackOp& op);

// The mode a member gets in a release: `perm` (07777) without set-uid,
// set-gid and world-write; a zip member's group-write, as libarchive gives
// every member made on Windows (0664, 0775), is dropped too.
uint32_t ReleaseMode(uint32_t perm, bool from_zip);

class ArchiveListing;
absl::StatusOr<std::unique_ptr<ArchiveListing>> ScanArchive(Env* env, const ArchivePath& where,
                                                            const ArchiveLimits& limits);

// What an archive holds, from its headers: a SourceTree of the whole
// innermost archive (directories its members imply included), with every
// rule above checked. Sizes are those the members declare.
class ArchiveListing : public SourceTree {
 public:
  // Kept for every member: an archive of 100,000 entries and more is
  // listed whole, so its strings are views into the listing's own arena.
  struct Member {
    FileType type = DIRECTORY;
    uint32_t mode = 0755;  // ReleaseMode
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    absl::string_view link_target;  // a symlink's
    absl::string_view hard_link;    // a hard link's target member
    bool is_archive = false;        // a regular file holding a zip or tarball, by name
  };
  // By name, in byte order; the names are views into the listing's arena.
  using Members = absl::btree_map<absl::string_view, Member>;

  absl::StatusOr<PathState> Observe(const std::string& rel, bool with_digest) const override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel) const override;
  std::string Name(const std::string& rel) const override;
  // Reads the archive again for the member's data.
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const override;

  const ArchivePath& where() const { return where_; }
  const Members& members() const { return members_; }
  uint64_t archive_bytes() const { return archive_bytes_; }
  // Entries of regular files, and their declared bytes, in the whole archive.
  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }
  // How many __MACOSX/ and .DS_Store entries were left out.
  uint64_t debris() const { return debris_; }
  // Members whose set-uid or set-gid bit ReleaseMode dropped.
  const std::vector<std::string>& setid_dropped() const { return setid_dropped_; }

  // InvalidArgument naming the archive and member when a symlink beneath
  // `dir` leads outside `dir` (or is absolute), or a hard link beneath it
  // is to a member outside it.
  absl::Status CheckLinksStayIn(const std::string& dir) const;

 private:
  friend class ListingBuilder;
  friend absl::StatusOr<std::unique_ptr<ArchiveListing>> ScanArchive(Env* env,
                                                                     const ArchivePath& where,
                                                                     const ArchiveLimits& limits);
  // Reads the archive again to fill every regular file's digest.
  absl::Status FillDigests() const;

  Env* env_ = nullptr;
  ArchiveLimits limits_;
  ArchivePath where_;
  ByteArena names_;  // members_'s names, link targets and hard links
  Members members_;
  uint64_t archive_bytes_ = 0;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
  uint64_t debris_ = 0;
  std::vector<std::string> setid_dropped_;
  mutable std::map<std::string, std::string> digests_;
  mutable bool digests_filled_ = false;
};

// Lists the archive at where.archive (where.nested opened in turn;
// where.dir is ignored: the listing is of the whole innermost archive).
// InvalidArgument, naming the archive, the member and the reason, for
// anything the rules above refuse, and for a file that is not a zip or tar
// archive persist can read, or that is damaged or cut short.
absl::StatusOr<std::unique_ptr<ArchiveListing>> ScanArchive(Env* env, const ArchivePath& where,
                                                            const ArchiveLimits& limits);

struct UnpackOptions {
  ArchiveLimits limits;
  // Every unpacked path in walk order (path.h PathBefore), relative to the
  // release, with its digest (files hashed as they are written), handed
  // over once the whole release is in place.
  ManifestSink* manifest = nullptr;
  // Called after each regular file with the running totals.
  std::function<void(uint64_t files, uint64_t bytes)> on_file;
  // The owner given to everything created; -1 keeps the process's.
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  // Unpack over the existing tree `into` (an update package over a copy of
  // the release it updates): a member's entry replaces whatever stands at
  // its path (a directory over a directory keeps it), removed whole and
  // never followed; the manifest then holds the members only.
  bool over_existing = false;
  // A member (relative to where.dir) not to unpack; "" for none.
  std::string leave_out;
  // For an unpack the caller will sync: each time this many more bytes
  // have been written, the filesystem is flushed from another thread
  // (write_back.h). 0: never.
  uint64_t write_back_every = 0;
};

// Unpacks the members beneath where.dir into `into` (which must not exist
// unless options.over_existing),
// as a new tree with ReleaseMode modes and the members' mtimes. The rules
// above are checked again member by member (the archive may differ from
// the one scanned); the first broken one stops the unpack with the error
// ScanArchive gives. Nothing is synced. On error, what was created beneath
// `into` stays for the caller to remove.
absl::StatusOr<CopyStats> UnpackArchive(Env* env, const ArchivePath& where, const Entry& into,
                                        const UnpackOptions& options);

}  // namespace persist

#endif  // PERSIST_FSOPS_RELEASE_ARCHIVE_H_
