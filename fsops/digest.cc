// Copyright persist authors.

#include "fsops/digest.h"

#include <algorithm>

namespace persist {
namespace {

// SHA-256, fetched from OpenSSL once rather than for every file.
const EVP_MD* Sha256Method() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

}  // namespace

char* ThreadBuffer(int which) {
  static thread_local std::unique_ptr<char[]> buffers[2];
  if (!buffers[which]) buffers[which].reset(new char[kReadBufferSize]);
  return buffers[which].get();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {}

absl::Status Sha256::Start() {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), Sha256Method(), nullptr) != 1) {
    return absl::InternalError("OpenSSL could not start a SHA-256 digest");
  }
  return absl::OkStatus();
}

void Sha256::Update(const char* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

absl::Status ReadToEnd(Env* env, int fd, int64_t expected_size, const std::string& path,
                       absl::FunctionRef<absl::Status(const char* data, size_t n)> chunk) {
  char* buf = ThreadBuffer(0);
  const uint64_t expected = static_cast<uint64_t>(expected_size);
  uint64_t total = 0;
  while (true) {
    // Near the expected end, ask for one byte more than is left: a full
    // answer means the file has grown, a short one that it ends there.
    size_t want = kReadBufferSize;
    if (expected_size >= 0 && total <= expected && expected - total < kReadBufferSize) {
      want = static_cast<size_t>(expected - total) + 1;
    }
    absl::StatusOr<size_t> got = env->Read(fd, buf, want, path);
    if (!got.ok()) return got.status();
    if (*got == 0) return absl::OkStatus();
    absl::Status status = chunk(buf, *got);
    if (!status.ok()) return status;
    total += *got;
    if (expected_size >= 0 && *got < want && total == expected) return absl::OkStatus();
  }
}

absl::StatusOr<std::string> DigestFd(Env* env, int fd, const std::string& path,
                                     int64_t expected_size) {
  Sha256 sha;
  absl::Status status = sha.Start();
  if (!status.ok()) return status;
  status = ReadToEnd(env, fd, expected_size, path, [&](const char* data, size_t n) {
    sha.Update(data, n);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return sha.Finish();
}

std::string DigestBytes(const std::string& bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, Sha256Method(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string HexDigest(const std::string& digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char c : digest) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace persist
