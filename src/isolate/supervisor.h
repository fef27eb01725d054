// The supervisor: owns the shared arena and the worker process, sends commands over the
// channel, watches the worker (exit, heartbeat, bad replies, device errors it reports)
// and replaces it after a fault, within a restart budget.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "isolate/arena.h"
#include "isolate/channel.h"
#include "isolate/codec.h"
#include "isolate/spawn.h"
#include "mk/backend.h"

namespace mk::isolate {

class LiveLink;

// A validated answer of the worker.
struct Reply {
  std::array<std::uint64_t, CHANNEL_ARGS> value{};
  std::vector<std::byte> payload;
};

// Why a worker ended, and what it was doing.
struct WorkerFault {
  std::string cause;   // e.g. "was killed by signal 9 (SIGKILL)"
  std::string during;  // e.g. "while running a one-shot dispatch (...)"; empty when idle
  std::uint64_t generation = 0;
  pid_t pid = -1;
};

class Supervisor {
 public:
  // Spawn the first worker running backend `backend` (a registry name or "auto") and wait for
  // its canary dispatch. The worker's own error (no GPU, ...) comes back as is. `backends`:
  // the registry's names, the ones a worker's hello may carry.
  static Result<std::shared_ptr<Supervisor>> start(std::string_view backend, const BackendOptions& options,
                                                   std::vector<std::string> backends);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  const Hello& hello() const noexcept { return m_hello; }
  const IsolationOptions& options() const noexcept { return m_options; }
  SharedArena& arena() noexcept { return *m_arena; }
  // "isolated cuda worker (pid 123)" of the current worker (for messages).
  std::string name() const;

  // The command side, valid inside transact() only: one exchange at a time.
  class Link {
   public:
    // Send one command; the worker's Error, or DeviceLost when the worker dies or
    // misbehaves meanwhile (it is then killed and replaced).
    Result<Reply> request(Command command, std::initializer_list<std::uint64_t> args,
                          std::span<const std::byte> payload = {});
    // A reply that failed the caller's checks: kill the worker, return the DeviceLost error.
    Error malformed(const std::string& why);
    // The worker cannot go on (e.g. lanes that will not stop): kill it for `cause`.
    Error kill(const std::string& cause);
    std::uint64_t generation() const noexcept;
    Supervisor& supervisor() noexcept { return m_s; }

   private:
    friend class Supervisor;
    explicit Link(Supervisor& s) : m_s(s) {}
    Supervisor& m_s;
  };

  // Run `f(Link&)` with the channel to a live worker (waiting for a restart in progress,
  // bounded by start_timeout). `what` attributes a fault during it ("a one-shot dispatch
  // of pipeline 3").
  template <class F>
  auto transact(const char* what, F&& f) -> decltype(f(std::declval<Link&>()));

  // A segment every worker maps, now and after a restart.
  Result<Segment> map_segment(Link& link, std::size_t bytes, std::string_view what);
  void unmap_segment(Link& link, Segment& segment);
  // The same outside transact (destructors): waits for a restart in progress, never for
  // a worker that will not come back.
  void drop_segment(Segment& segment);
  // Forget a pipeline in the worker of `generation` (no-op when that worker is gone).
  void release_pipeline(std::uint64_t handle, std::uint64_t generation);
  // Append the items a fault hit to the last fault's description (what recover() and the
  // budget error say); returns the DeviceLost error to hand the caller.
  Error attribute(const Error& lost, const std::string& items);

  // Live sessions the supervisor resumes after a restart (weak: they unregister by dying).
  void add_live(const std::shared_ptr<LiveLink>& live);
  // True while a fault is being handled (no worker answers).
  bool restarting() const noexcept { return !m_alive.load(std::memory_order_acquire); }
  // Set once the restart budget is spent (or a restart failed for good).
  std::optional<Error> unrecoverable() const;

  // Backend::recover for the isolated backend.
  Result<RecoveryDecision> recover();
  // A restart lost device state (live control buffers); reported once by recover().
  void note_state_lost() noexcept { m_state_lost.store(true, std::memory_order_release); }

  // "the isolated cpu worker (pid 7) was killed by signal 9 (SIGKILL) while idle".
  std::string last_fault_text() const;
  // The DeviceLost error of the last fault (for callers that saw the worker go).
  Error fault_error(const WorkerFault& fault) const;

  // Test support (src/isolate/test_access.h).
  pid_t worker_pid() const;
  std::uint64_t generation() const noexcept { return m_generation.load(std::memory_order_acquire); }
  std::uint64_t fault_count() const;
  bool wait_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const;
  bool request_pending() const noexcept {
    return m_header->request_seq.load(std::memory_order_acquire) !=
           m_header->response_seq.load(std::memory_order_acquire);
  }

 private:
  Supervisor(std::string backend, const BackendOptions& options, std::vector<std::string> backends);
  void monitor(std::promise<Status>* started);
  Status bring_up(bool restart);
  Status spawn_and_hello(bool restart);
  Status run_canary(Link& link);
  std::optional<std::string> check_worker();
  void on_fault(std::string cause);
  bool count_fault(WorkerFault fault);
  Error budget_error() const;
  void abandon_lives(const Error& error);
  void request_kill(std::string reason);
  void wake_monitor() noexcept;
  Status wait_alive();
  Result<Reply> exchange(Command command, std::initializer_list<std::uint64_t> args,
                         std::span<const std::byte> payload);
  Error lost_during_request(Command command);
  Error malformed_now(bool on_monitor, const std::string& why);

  std::string m_backend;
  std::vector<std::string> m_backends;  // names a hello may carry
  IsolationOptions m_options;
  CpuBackendOptions m_cpu;
  std::string m_worker_path;
  std::unique_ptr<SharedArena> m_arena;
  ChannelHeader* m_header = nullptr;
  Hello m_hello;

  // The worker; touched by the monitor thread (and by exchange() for liveness polls).
  WorkerProcess m_worker;
  std::atomic<pid_t> m_pid{-1};
  std::uint32_t m_seq = 0;  // last request sequence (command mutex)
  std::uint64_t m_canary_handle = 0;
  Segment m_canary;  // control and ring of the canary dispatch (command mutex)

  std::thread m_monitor;
  std::thread::id m_monitor_id;
  int m_wake_fd = -1;  // eventfd: wakes the monitor
  std::atomic<bool> m_stopping{false};

  // One command at a time; the monitor holds it while it replaces a worker.
  std::mutex m_command_mutex;
  std::vector<Segment> m_segments;  // mapped in every worker (command mutex)
  std::vector<std::weak_ptr<LiveLink>> m_lives;

  // Worker state and faults.
  mutable std::mutex m_state_mutex;
  mutable std::condition_variable m_state_cv;
  std::atomic<bool> m_alive{false};
  std::atomic<bool> m_dead{false};  // the current request's worker is gone
  std::atomic<std::uint64_t> m_generation{0};
  std::optional<Error> m_unrecoverable;
  std::optional<std::string> m_kill_request;
  const char* m_in_flight = nullptr;  // what the current command does (state mutex)
  std::chrono::steady_clock::time_point m_in_flight_since{};
  std::optional<WorkerFault> m_last_fault;
  // attribute() before the monitor recorded the fault it belongs to: merged by on_fault.
  std::optional<std::pair<std::uint64_t, std::string>> m_pending_attribution;
  std::deque<std::chrono::steady_clock::time_point> m_fault_times;
  std::uint64_t m_fault_total = 0;
  std::atomic<bool> m_state_lost{false};
  std::uint64_t m_heartbeat_seen = 0;
  std::chrono::steady_clock::time_point m_heartbeat_at{};
};

template <class F>
auto Supervisor::transact(const char* what, F&& f) -> decltype(f(std::declval<Link&>())) {
  using R = decltype(f(std::declval<Link&>()));
  for (int attempt = 0;; ++attempt) {
    if (Status ready = wait_alive(); !ready) return R(cuda::std::unexpected(std::move(ready.error())));
    std::unique_lock<std::mutex> lock(m_command_mutex);
    if (!m_alive.load(std::memory_order_acquire)) {
      if (attempt < 3) continue;  // it died between the wait and the lock
      return R(cuda::std::unexpected(Error(ErrorKind::DeviceLost, "the " + name() + " is restarting",
                                           "call Megakernel::recover_after_device_loss(), then retry")));
    }
    {
      std::lock_guard<std::mutex> state(m_state_mutex);
      m_in_flight = what;
      m_in_flight_since = std::chrono::steady_clock::now();
    }
    Link link(*this);
    R result = f(link);
    std::lock_guard<std::mutex> state(m_state_mutex);
    m_in_flight = nullptr;
    return result;
  }
}

}  // namespace mk::isolate
