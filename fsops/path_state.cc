// Copyright persist authors.

#include "fsops/path_state.h"

#include <fcntl.h>
#include <openssl/evp.h>

#include <memory>

#include "fsops/errno_status.h"
#include "fsops/fd.h"

namespace persist {
namespace {

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return REGULAR;
  if (S_ISDIR(mode)) return DIRECTORY;
  if (S_ISLNK(mode)) return SYMLINK;
  return OTHER;
}

struct EvpDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

int64_t TimespecNs(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

void FillFromStat(const struct stat& st, PathState* state) {
  state->set_type(TypeOf(st.st_mode));
  state->set_mode(st.st_mode & 07777);
  state->set_size(S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0);
  state->set_mtime_ns(TimespecNs(st.st_mtim));
  state->set_inode(st.st_ino);
  state->set_dev(st.st_dev);
}

absl::StatusOr<PathState> ObservePath(Env* env, int dir_fd, const std::string& name,
                                      const std::string& path, bool with_digest) {
  PathState state;
  state.set_path(path);
  struct stat st;
  absl::Status status = env->StatAt(dir_fd, name, &st, path);
  if (!status.ok()) {
    if (StatusErrno(status) == ENOENT) {
      state.set_type(ABSENT);
      return state;
    }
    return status;
  }
  FillFromStat(st, &state);
  if (state.type() == SYMLINK) {
    absl::StatusOr<std::string> target = env->ReadLinkAt(dir_fd, name, path);
    if (!target.ok()) return target.status();
    state.set_link_target(*target);
  } else if (state.type() == REGULAR && with_digest) {
    absl::StatusOr<int> fd = env->OpenAt(dir_fd, name, O_RDONLY, 0, path);
    if (!fd.ok()) return fd.status();
    Fd owned(env, *fd, path);
    absl::StatusOr<std::string> digest = DigestFd(env, owned.get(), path);
    if (!digest.ok()) return digest.status();
    state.set_digest(*digest);
  }
  return state;
}

absl::StatusOr<std::string> DigestFd(Env* env, int fd, const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, EvpDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("OpenSSL could not start a SHA-256 digest");
  }
  // One buffer per thread: deploys hash thousands of small files, and
  // allocating and zeroing one for each cost more than hashing them.
  constexpr size_t kBufferSize = 1 << 17;
  static thread_local std::unique_ptr<char[]> buf(new char[kBufferSize]);
  while (true) {
    absl::StatusOr<size_t> got = env->Read(fd, buf.get(), kBufferSize, path);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.get(), *got);
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string DigestBytes(const std::string& bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, EVP_sha256(), nullptr);
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

const char* FileTypeName(FileType type) {
  switch (type) {
    case ABSENT:
      return "absent";
    case REGULAR:
      return "file";
    case DIRECTORY:
      return "directory";
    case SYMLINK:
      return "symlink";
    default:
      return "other";
  }
}

}  // namespace persist
