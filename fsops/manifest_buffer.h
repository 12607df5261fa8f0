// Copyright persist authors.
//
// ManifestBuffer: manifest entries gathered in any order and handed to a
// ManifestSink in walk order. An archive's members come in the order its
// maker wrote them, so an unpack holds its whole manifest until the last
// member is in place; at 100,000 entries and more, how compactly it is held
// sets the deploy's peak memory. An entry here costs its bytes (path,
// digest, link target) and 56 more, against about 300 as a ManifestEntry
// message in a vector.

#ifndef PERSIST_FSOPS_MANIFEST_BUFFER_H_
#define PERSIST_FSOPS_MANIFEST_BUFFER_H_

#include <cstdint>
#include <deque>

#include "absl/strings/string_view.h"
#include "fsops/byte_arena.h"
#include "fsops/copy_tree.h"
#include "proto/journal.pb.h"

namespace persist {

class ManifestBuffer {
 public:
  ManifestBuffer() = default;
  ManifestBuffer(const ManifestBuffer&) = delete;
  ManifestBuffer& operator=(const ManifestBuffer&) = delete;

  // Keeps a copy of `entry`.
  void Add(const ManifestEntry& entry);

  uint64_t size() const { return entries_.size(); }

  // The entry of the regular file last added at `path` into *entry; false
  // when there is none. A scan from the newest entry: for the rare lookup
  // (an archive's hard link to a member before it).
  bool FindFile(absl::string_view path, ManifestEntry* entry) const;

  // Clears `sink`, hands it every entry sorted by path (path.h PathBefore;
  // entries at the same path in the order they were added), and empties
  // the buffer.
  void HandOver(ManifestSink* sink);

 private:
  // One entry; its path, digest and link target lie back to back at
  // `bytes`, in bytes_.
  struct Compact {
    const char* bytes;
    uint32_t path_size;
    uint32_t link_target_size;
    uint32_t mode;
    uint16_t digest_size;  // 32 for a SHA-256, 0 for no file
    uint8_t type;
    uint64_t size;
    int64_t mtime_ns;
    uint64_t inode;
    int64_t ctime_ns;

    absl::string_view path() const { return {bytes, path_size}; }
    absl::string_view digest() const { return {bytes + path_size, digest_size}; }
    absl::string_view link_target() const {
      return {bytes + path_size + digest_size, link_target_size};
    }
  };

  static void Expand(const Compact& compact, ManifestEntry* entry);

  std::deque<Compact> entries_;
  ByteArena bytes_;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_MANIFEST_BUFFER_H_
