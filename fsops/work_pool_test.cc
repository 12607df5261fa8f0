// Copyright persist authors.

#include "fsops/work_pool.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace persist {
namespace {

TEST(WorkPoolTest, WaitReturnsOnceEveryTaskHasRunOnTheWorkers) {
  WorkPool pool(2, 4);
  std::atomic<int> ran{0};
  std::atomic<int> on_caller{0};
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 10000; ++i) {
    pool.Submit([&] {
      if (std::this_thread::get_id() == caller) ++on_caller;
      ++ran;
    });
  }
  pool.Wait();
  EXPECT_EQ(ran.load(), 10000);
  EXPECT_EQ(on_caller.load(), 0);
  // The pool goes on after a Wait.
  pool.Submit([&] { ++ran; });
  pool.Wait();
  EXPECT_EQ(ran.load(), 10001);
}

TEST(WorkPoolTest, SubmitBlocksWhileTheQueueIsFull) {
  WorkPool pool(1, 2);
  std::atomic<bool> release{false};
  std::atomic<int> submitted{0};
  // One task holds the only worker; two more fill the queue.
  std::thread submitter([&] {
    for (int i = 0; i < 4; ++i) {
      pool.Submit([&] {
        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
      ++submitted;
    }
  });
  // Three go in; until the first task ends, the fourth cannot be queued.
  for (int i = 0; i < 10000 && submitted.load() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(submitted.load(), 3);
  release = true;
  submitter.join();
  pool.Wait();
  EXPECT_EQ(submitted.load(), 4);
}

TEST(WorkPoolTest, WithoutThreadsATaskRunsOnTheCallerAtOnce) {
  WorkPool pool(0, 1);
  int ran = 0;
  pool.Submit([&] { ++ran; });
  EXPECT_EQ(ran, 1);
  pool.Wait();
}

TEST(WorkPoolTest, TheDestructorWaitsForQueuedTasks) {
  std::atomic<int> ran{0};
  {
    WorkPool pool(2, 64);
    for (int i = 0; i < 50; ++i) {
      pool.Submit([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace persist
