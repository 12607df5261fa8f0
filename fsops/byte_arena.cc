// Copyright persist authors.

#include "fsops/byte_arena.h"

#include <algorithm>
#include <cstring>

namespace persist {
namespace {

// Under malloc's mmap threshold (128 KiB): blocks reuse heap that earlier
// work freed instead of adding pages of their own.
constexpr size_t kBlockSize = 64 << 10;

}  // namespace

char* ByteArena::Allocate(size_t n) {
  if (n > left_) {
    const size_t size = std::max(n, kBlockSize);
    blocks_.push_back(std::make_unique<char[]>(size));
    next_ = blocks_.back().get();
    left_ = size;
  }
  char* out = next_;
  next_ += n;
  left_ -= n;
  return out;
}

absl::string_view ByteArena::Keep(absl::string_view bytes) {
  if (bytes.empty()) return absl::string_view();
  char* out = Allocate(bytes.size());
  memcpy(out, bytes.data(), bytes.size());
  return absl::string_view(out, bytes.size());
}

void ByteArena::Clear() {
  blocks_.clear();
  next_ = nullptr;
  left_ = 0;
}

}  // namespace persist
