// Copyright persist authors.
//
// Fd: an owned file descriptor, closed through its Env when it goes away.

#ifndef PERSIST_FSOPS_FD_H_
#define PERSIST_FSOPS_FD_H_

#include <string>
#include <utility>

#include "fsops/env.h"

namespace persist {

class Fd {
 public:
  Fd() = default;
  Fd(Env* env, int fd, std::string path) : env_(env), fd_(fd), path_(std::move(path)) {}
  Fd(Fd&& other) noexcept { *this = std::move(other); }
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      env_ = other.env_;
      fd_ = std::exchange(other.fd_, -1);
      path_ = std::move(other.path_);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // The path relative to the site root, for messages.
  const std::string& path() const { return path_; }

  // Gives up the descriptor, unclosed, to the caller.
  int Release() { return std::exchange(fd_, -1); }

  void Reset() {
    if (fd_ >= 0) env_->Close(fd_);
    fd_ = -1;
  }

 private:
  Env* env_ = nullptr;
  int fd_ = -1;
  std::string path_;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_FD_H_
