// Copyright persist authors.

#include "fsops/work_pool.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace persist {

WorkPool::WorkPool(int threads, size_t max_queued) : max_queued_(std::max<size_t>(1, max_queued)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkPool::~WorkPool() {
  Wait();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkPool::Submit(std::function<void()> task) {
  if (threads_.empty()) {
    task();
    return;
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [this] { return queue_.size() < max_queued_; });
    queue_.push_back(std::move(task));
  }
  work_.notify_one();
}

void WorkPool::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void WorkPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    room_.notify_one();
    task();
    task = nullptr;  // what it holds goes before Wait() can return
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

int DefaultCopyWorkers() {
  if (const char* set = std::getenv("PERSIST_COPY_WORKERS")) {
    const int n = std::atoi(set);
    if (n >= 1 && n <= 64) return n;
  }
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores, 2, 8);
}

}  // namespace persist
