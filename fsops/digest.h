// Copyright persist authors.
//
// digest: SHA-256 of files and bytes, and the one loop that reads a file to
// its end, which copying, deduplicating and verifying all share.

#ifndef PERSIST_FSOPS_DIGEST_H_
#define PERSIST_FSOPS_DIGEST_H_

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fsops/env.h"

namespace persist {

// The size of the buffers ThreadBuffer gives, and of every read.
constexpr size_t kReadBufferSize = 1 << 17;

// One of two read buffers (`which` is 0 or 1) kept by the calling thread: a
// release is mostly small files, and allocating and zeroing one for each
// cost more than hashing them.
char* ThreadBuffer(int which);

// A SHA-256 digest under way.
class Sha256 {
 public:
  Sha256();
  // Starts (or starts over); Internal when OpenSSL cannot.
  absl::Status Start();
  void Update(const char* data, size_t n);
  // The 32-byte digest of everything given since Start.
  std::string Finish();

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Reads the file open at `fd` from its current offset to its end, handing
// each chunk (in ThreadBuffer(0)) to `chunk`; the first error of either stops
// it. `expected_size` is the size a stat of the file gave, or -1: a read that
// comes up short exactly there is taken as the end, which saves the read that
// would return nothing, one per file. A file that has grown since is still
// read to its true end, and one that shrank ends at a read that returns 0.
absl::Status ReadToEnd(Env* env, int fd, int64_t expected_size, const std::string& path,
                       absl::FunctionRef<absl::Status(const char* data, size_t n)> chunk);

// The SHA-256 of everything readable from `fd` from its current offset;
// `expected_size` as for ReadToEnd.
absl::StatusOr<std::string> DigestFd(Env* env, int fd, const std::string& path,
                                     int64_t expected_size = -1);

// SHA-256 of a byte string.
std::string DigestBytes(const std::string& bytes);

// Lowercase hex of a digest.
std::string HexDigest(const std::string& digest);

}  // namespace persist

#endif  // PERSIST_FSOPS_DIGEST_H_
