// A tiny fork/join thread pool: the calling thread and (threads - 1) workers pull task
// indices from one atomic counter. Workers spin briefly after a job, then sleep on a
// condition variable, so a run of small kernels does not pay a wake-up each time while an
// idle pool costs no CPU (the machine is shared).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace llmk {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { resize(threads); }
  ~ThreadPool() { stop(); }

  int threads() const { return threads_; }

  void resize(int threads) {
    if (threads < 1) threads = 1;
    stop();
    threads_ = threads;
    quit_ = false;
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this] { loop(); });
  }

  // Runs fn(i) for i in [0, n); returns when all are done. Not reentrant.
  void run(long n, const std::function<void(long)>& fn) {
    if (n <= 0) return;
    if (threads_ == 1 || n == 1) {
      for (long i = 0; i < n; i++) fn(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &fn;
      total_ = n;
      next_.store(0, std::memory_order_relaxed);
      done_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work(&fn, n);
    // Wait for the workers' tasks (they are short, so spin, yielding), then for every worker
    // that joined this job to leave it, so none can touch the next job's counter with this one.
    while (done_.load(std::memory_order_acquire) < n) std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = nullptr;
    }
    while (active_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  }

 private:
  void work(const std::function<void(long)>* fn, long n) {
    for (;;) {
      long i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) break;
      (*fn)(i);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void loop() {
    unsigned long seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Spin for a short while in case another kernel follows at once.
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (generation_.load(std::memory_order_acquire) == seen && !quit_.load() &&
             std::chrono::steady_clock::now() < until) {
        std::this_thread::yield();
      }
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return quit_.load() || generation_.load(std::memory_order_acquire) != seen; });
      if (quit_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      if (job_ == nullptr) continue;
      const std::function<void(long)>* fn = job_;
      long n = total_;
      active_.fetch_add(1, std::memory_order_acq_rel);
      lock.unlock();
      work(fn, n);
      active_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> quit_{false};
  std::atomic<unsigned long> generation_{0};
  std::atomic<long> next_{0};
  std::atomic<long> done_{0};
  std::atomic<int> active_{0};
  const std::function<void(long)>* job_ = nullptr;
  long total_ = 0;
};

}  // namespace llmk
