// A fixed pool of worker threads that run one job on every thread and wait for all.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mk::detail {

class ThreadPool {
 public:
  explicit ThreadPool(std::uint32_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::uint32_t size() const noexcept { return m_size; }

  // Run job(t) for t in [0, count) on count threads (count <= size()); the calling
  // thread runs t = 0. Returns when every call has returned. One run at a time.
  void run(std::uint32_t count, const std::function<void(std::uint32_t)>& job);

 private:
  void worker_loop(std::uint32_t index);

  std::uint32_t m_size;
  std::vector<std::thread> m_workers;
  std::mutex m_run_mutex;  // serialises run() callers
  std::mutex m_mutex;
  std::condition_variable m_start;
  std::condition_variable m_finished;
  const std::function<void(std::uint32_t)>* m_job = nullptr;
  std::uint32_t m_active = 0;      // threads taking part in the current run
  std::uint32_t m_pending = 0;     // workers still running the current job
  std::uint64_t m_generation = 0;  // bumped per run so workers see each job once
  bool m_stopping = false;
};

}  // namespace mk::detail
