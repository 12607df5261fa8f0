// Copyright persist authors.
//
// write_back: flushing what a staged release has written so far while it
// is still being written, so that the sync before its rename waits for the
// last few megabytes only.

#ifndef PERSIST_FSOPS_WRITE_BACK_H_
#define PERSIST_FSOPS_WRITE_BACK_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "fsops/env.h"

namespace persist {

// Flushes the filesystem a copy or an unpack writes to from a thread of its
// own, each time it has written `step` more bytes (0: never): a staged
// release is synced before it is renamed into place, and a syncfs that finds
// 100 MB dirty waits for all of it, with nothing else to do. The thread
// starts at the first step, so a small copy has none.
class BackgroundWriteBack {
 public:
  BackgroundWriteBack(Env* env, int fd, uint64_t step)
      : env_(env), fd_(fd), step_(step), due_(step) {}
  ~BackgroundWriteBack() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // The copy or unpack has written `total` bytes so far.
  void Copied(uint64_t total) {
    if (step_ == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    total_ = total;
    if (total_ < due_) return;
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { Loop(); });
    } else {
      wake_.notify_one();
    }
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      wake_.wait(lock, [this] { return stop_ || total_ >= due_; });
      if (stop_) return;
      due_ = total_ + step_;
      lock.unlock();
      env_->WriteBack(fd_);
      lock.lock();
    }
  }

  Env* const env_;
  const int fd_;
  const uint64_t step_;
  std::mutex mu_;
  std::condition_variable wake_;
  uint64_t total_ = 0;
  uint64_t due_;  // the total at which to flush next
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace persist

#endif  // PERSIST_FSOPS_WRITE_BACK_H_
