// Copyright persist authors.
//
// WorkPool: a fixed set of threads running queued tasks, for copying the
// files of a tree while its walk goes on.

#ifndef PERSIST_FSOPS_WORK_POOL_H_
#define PERSIST_FSOPS_WORK_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace persist {

class WorkPool {
 public:
  // With threads == 0, Submit runs each task at once on the caller's thread.
  // At most max_queued tasks wait; Submit blocks beyond that, so a walk that
  // outruns the copying cannot hold the whole tree in memory.
  WorkPool(int threads, size_t max_queued);
  // Waits for every submitted task.
  ~WorkPool();

  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Submit(std::function<void()> task);

  // Returns once every task submitted so far has run.
  void Wait();

 private:
  void Work();

  const size_t max_queued_;
  std::mutex mu_;
  // Each waits for one thing, so that a finished task wakes nobody who could
  // not go on: workers wait for work, Submit for room, Wait for idleness.
  std::condition_variable work_, room_, idle_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Threads for copying files: PERSIST_COPY_WORKERS when it is set to 1 to 64
// (1: the calling thread alone), else the machine's cores, at least two (a
// copy waits on the disk as much as on the CPU) and at most eight.
int DefaultCopyWorkers();

}  // namespace persist

#endif  // PERSIST_FSOPS_WORK_POOL_H_
