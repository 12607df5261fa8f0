// Copyright persist authors.

#include "fsops/manifest_buffer.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "fsops/path.h"

namespace persist {

void ManifestBuffer::Add(const ManifestEntry& entry) {
  Compact c;
  c.path_size = static_cast<uint32_t>(entry.path().size());
  c.digest_size = static_cast<uint16_t>(entry.digest().size());
  c.link_target_size = static_cast<uint32_t>(entry.link_target().size());
  char* bytes = bytes_.Allocate(size_t{c.path_size} + c.digest_size + c.link_target_size);
  memcpy(bytes, entry.path().data(), c.path_size);
  memcpy(bytes + c.path_size, entry.digest().data(), c.digest_size);
  memcpy(bytes + c.path_size + c.digest_size, entry.link_target().data(), c.link_target_size);
  c.bytes = bytes;
  c.mode = entry.mode();
  c.type = static_cast<uint8_t>(entry.type());
  c.size = entry.size();
  c.mtime_ns = entry.mtime_ns();
  c.inode = entry.inode();
  c.ctime_ns = entry.ctime_ns();
  entries_.push_back(c);
}

void ManifestBuffer::Expand(const Compact& c, ManifestEntry* entry) {
  entry->Clear();
  entry->set_path(c.path().data(), c.path().size());
  entry->set_type(static_cast<FileType>(c.type));
  entry->set_mode(c.mode);
  entry->set_size(c.size);
  entry->set_digest(c.digest().data(), c.digest().size());
  entry->set_link_target(c.link_target().data(), c.link_target().size());
  entry->set_mtime_ns(c.mtime_ns);
  entry->set_inode(c.inode);
  entry->set_ctime_ns(c.ctime_ns);
}

bool ManifestBuffer::FindFile(absl::string_view path, ManifestEntry* entry) const {
  auto found = std::find_if(entries_.rbegin(), entries_.rend(), [&](const Compact& c) {
    return c.type == REGULAR && c.path() == path;
  });
  if (found == entries_.rend()) return false;
  Expand(*found, entry);
  return true;
}

void ManifestBuffer::HandOver(ManifestSink* sink) {
  std::vector<size_t> order(entries_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    return PathBefore(entries_[a].path(), entries_[b].path());
  });
  sink->Clear();
  ManifestEntry entry;
  for (size_t i : order) {
    Expand(entries_[i], &entry);
    sink->Add(entry);
  }
  entries_.clear();
  entries_.shrink_to_fit();
  bytes_.Clear();
}

}  // namespace persist
