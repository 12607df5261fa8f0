// Copyright persist authors.
//
// ByteArena: copies of many small byte strings (paths, digests) that live
// as long as the arena and never move. One malloc per 64 KiB instead of one
// per string: at 100,000 paths and more, the per-allocation overhead and a
// std::string's own 32 bytes are a good part of a listing's memory.

#ifndef PERSIST_FSOPS_BYTE_ARENA_H_
#define PERSIST_FSOPS_BYTE_ARENA_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"

namespace persist {

class ByteArena {
 public:
  ByteArena() = default;
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;

  // A copy of `bytes`, valid until Clear or the arena's end.
  absl::string_view Keep(absl::string_view bytes);
  // Room for `n` bytes, valid as long as Keep's copies.
  char* Allocate(size_t n);
  // Frees every block.
  void Clear();

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_BYTE_ARENA_H_
