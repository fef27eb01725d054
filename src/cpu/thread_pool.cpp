// ThreadPool: workers park on a condition variable between runs.
#include "cpu/thread_pool.h"

namespace mk::detail {

ThreadPool::ThreadPool(std::uint32_t threads) : m_size(threads == 0 ? 1 : threads) {
  for (std::uint32_t i = 1; i < m_size; ++i) m_workers.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopping = true;
  }
  m_start.notify_all();
  for (auto& w : m_workers) w.join();
}

void ThreadPool::run(std::uint32_t count, const std::function<void(std::uint32_t)>& job) {
  std::lock_guard<std::mutex> serial(m_run_mutex);
  if (count > m_size) count = m_size;
  if (count <= 1) {
    job(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_job = &job;
    m_active = count;
    m_pending = count - 1;
    ++m_generation;
  }
  m_start.notify_all();
  job(0);
  std::unique_lock<std::mutex> lock(m_mutex);
  m_finished.wait(lock, [this] { return m_pending == 0; });
  m_job = nullptr;
}

void ThreadPool::worker_loop(std::uint32_t index) {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(std::uint32_t)>* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_start.wait(lock, [&] { return m_stopping || m_generation != seen; });
      if (m_stopping) return;
      seen = m_generation;
      if (index >= m_active) continue;
      job = m_job;
    }
    (*job)(index);
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (--m_pending == 0) m_finished.notify_one();
    }
  }
}

}  // namespace mk::detail
