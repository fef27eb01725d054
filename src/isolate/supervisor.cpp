// Supervisor: the worker's life cycle (spawn, hello, canary, watch, kill, restart within
// the budget) and the request/response exchange over the channel.
#include "isolate/supervisor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <future>

#include "isolate/futex.h"
#include "isolate/live_link.h"
#include "isolate/worker_path.h"
#include "mk/protocol.h"

namespace mk::isolate {
namespace {

using Clock = std::chrono::steady_clock;

// How long a waiter spins on the response word before it sleeps on the futex: a cached
// round trip is well below this, a wake-up costs several microseconds.
constexpr auto SPIN = std::chrono::microseconds(50);
constexpr std::uint32_t CANARY_SLOTS = 64;
constexpr std::uint32_t CANARY_OBSERVABLES = 4;

std::chrono::milliseconds clamp_ms(std::chrono::milliseconds v, int lo, int hi) {
  return std::chrono::milliseconds(std::clamp<std::int64_t>(v.count(), lo, hi));
}

std::string hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llX", static_cast<unsigned long long>(v));
  return text;
}

}  // namespace

Supervisor::Supervisor(std::string backend, const BackendOptions& options, std::vector<std::string> backends)
    : m_backend(std::move(backend)), m_backends(std::move(backends)), m_options(options.isolate), m_cpu(options.cpu) {}

namespace {
std::string worker_name(const std::string& backend, pid_t pid) {
  return "isolated " + backend + " worker (pid " + std::to_string(pid) + ")";
}
}  // namespace

std::string Supervisor::name() const {
  return worker_name(m_hello.backend.empty() ? m_backend : m_hello.backend, m_pid.load(std::memory_order_relaxed));
}

Result<std::shared_ptr<Supervisor>> Supervisor::start(std::string_view backend, const BackendOptions& options,
                                                      std::vector<std::string> backends) {
  if (options.isolate.max_faults == 0 || options.isolate.watchdog_timeout.count() <= 0 ||
      options.isolate.start_timeout.count() <= 0)
    return fail(ErrorKind::InvalidArgument,
                "IsolationOptions: max_faults, watchdog_timeout and start_timeout must be positive",
                "use the defaults (3 faults, 2000 ms, 60000 ms) or other positive values");
  auto path = find_worker(options.isolate.worker_path);
  if (!path) return cuda::std::unexpected(std::move(path.error()));
  auto arena = SharedArena::create(options.isolate.max_shared_bytes);
  if (!arena) return cuda::std::unexpected(std::move(arena.error()));
  std::shared_ptr<Supervisor> s(new Supervisor(std::string(backend), options, std::move(backends)));
  s->m_worker_path = std::move(*path);
  s->m_arena = std::move(*arena);
  s->m_header = channel_header(s->m_arena->channel());
  s->m_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->m_wake_fd < 0)
    return fail(ErrorKind::Backend, std::string("eventfd failed: ") + std::strerror(errno), "free file descriptors");
  // The monitor thread spawns every worker: PR_SET_PDEATHSIG fires when the thread that
  // spawned a child exits, so the spawner must live as long as the supervisor.
  std::promise<Status> started;
  std::future<Status> ready = started.get_future();
  s->m_monitor = std::thread([raw = s.get(), p = std::move(started)]() mutable { raw->monitor(&p); });
  Status up = ready.get();
  if (!up) return cuda::std::unexpected(std::move(up.error()));  // ~Supervisor joins the thread
  return s;
}

Supervisor::~Supervisor() {
  m_stopping.store(true, std::memory_order_release);
  wake_monitor();
  m_state_cv.notify_all();
  if (m_monitor.joinable()) m_monitor.join();
  if (m_wake_fd >= 0) close(m_wake_fd);
  // What is still mapped here (the canary's segment; anything a caller leaked).
  for (Segment& s : m_segments) m_arena->release(s);
}

void Supervisor::wake_monitor() noexcept {
  const std::uint64_t one = 1;
  if (m_wake_fd >= 0) (void)!write(m_wake_fd, &one, sizeof one);
}

// --- the monitor thread -----------------------------------------------------------------

void Supervisor::monitor(std::promise<Status>* started) {
  m_monitor_id = std::this_thread::get_id();
  Status up;
  {
    std::lock_guard<std::mutex> lock(m_command_mutex);
    up = bring_up(false);
  }
  started->set_value(up);
  if (!up) return;
  const auto period = clamp_ms(m_options.watchdog_timeout / 4, 1, 100);
  while (!m_stopping.load(std::memory_order_acquire)) {
    pollfd fds[2] = {{m_wake_fd, POLLIN, 0}, {m_worker.pidfd(), POLLIN, 0}};
    (void)poll(fds, m_worker.pidfd() >= 0 ? 2 : 1, static_cast<int>(period.count()));
    std::uint64_t drained = 0;
    while (read(m_wake_fd, &drained, sizeof drained) > 0) {}
    if (m_stopping.load(std::memory_order_acquire)) break;
    if (auto cause = check_worker()) {
      on_fault(std::move(*cause));
      if (unrecoverable()) break;  // no worker any more; recover() reports why
    }
  }
  // Shutdown: ask the worker to leave, then make sure it did. (It also gets SIGKILL from
  // PR_SET_PDEATHSIG when this thread exits.)
  std::lock_guard<std::mutex> lock(m_command_mutex);
  if (m_worker) {
    Request quit{};
    quit.seq = ++m_seq;
    quit.command = static_cast<std::uint32_t>(Command::Quit);
    std::memcpy(&m_header->request, &quit, sizeof quit);
    m_header->request_seq.store(quit.seq, std::memory_order_seq_cst);
    futex_wake(m_header->request_seq);
    if (!m_worker.wait_exit(std::chrono::milliseconds(500))) m_worker.kill_and_reap();
  }
  m_alive.store(false, std::memory_order_release);
}

std::optional<std::string> Supervisor::check_worker() {
  if (m_worker.wait_exit(std::chrono::milliseconds(0))) return m_worker.exit_description();
  {
    std::lock_guard<std::mutex> state(m_state_mutex);
    if (m_kill_request) {
      std::string reason = std::move(*m_kill_request);
      m_kill_request.reset();
      m_worker.kill_and_reap();
      return reason;
    }
    if (m_in_flight != nullptr && m_options.command_timeout.count() > 0 &&
        Clock::now() - m_in_flight_since > m_options.command_timeout) {
      m_worker.kill_and_reap();
      return std::string("hung: ") + m_in_flight + " ran past IsolationOptions::command_timeout (" +
             std::to_string(m_options.command_timeout.count()) + " ms)";
    }
  }
  const auto now = Clock::now();
  const std::uint64_t beat = m_header->heartbeat.load(std::memory_order_relaxed);
  if (beat != m_heartbeat_seen) {
    m_heartbeat_seen = beat;
    m_heartbeat_at = now;
  } else if (now - m_heartbeat_at > m_options.watchdog_timeout) {
    m_worker.kill_and_reap();
    return "hung: its heartbeat did not change for " +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - m_heartbeat_at).count()) +
           " ms (IsolationOptions::watchdog_timeout)";
  }
  std::vector<std::shared_ptr<LiveLink>> lives;
  {
    std::lock_guard<std::mutex> lock(m_state_mutex);
    for (const auto& weak : m_lives)
      if (auto live = weak.lock()) lives.push_back(std::move(live));
  }
  for (const auto& live : lives) {
    if (auto reason = live->relay_failure()) {
      m_worker.kill_and_reap();
      return reason;
    }
  }
  return std::nullopt;
}

Error Supervisor::budget_error() const {
  return Error(ErrorKind::DeviceLost,
               "the " + worker_name(m_hello.backend, m_last_fault->pid) + " failed " +
                   std::to_string(m_options.max_faults) + " times within " +
                   std::to_string(m_options.fault_window.count()) +
                   " s (its restart budget, IsolationOptions::max_faults): the last time it " + m_last_fault->cause +
                   (m_last_fault->during.empty() ? "" : " " + m_last_fault->during),
               "something keeps killing the worker: check the device (nvidia-smi, Xid lines in the kernel log) "
               "and the work named above, then create a new backend");
}

// Count a fault against the budget (state mutex held); true when it is the final one.
bool Supervisor::count_fault(WorkerFault fault) {
  const auto now = Clock::now();
  m_fault_times.push_back(now);
  while (!m_fault_times.empty() && now - m_fault_times.front() > m_options.fault_window) m_fault_times.pop_front();
  ++m_fault_total;
  m_last_fault = std::move(fault);
  if (m_fault_times.size() < m_options.max_faults) return false;
  m_unrecoverable = budget_error();
  return true;
}

void Supervisor::on_fault(std::string cause) {
  bool final = false;
  {
    std::lock_guard<std::mutex> state(m_state_mutex);
    WorkerFault fault;
    fault.cause = std::move(cause);
    if (m_in_flight != nullptr) fault.during = std::string("while running ") + m_in_flight;
    fault.generation = m_generation.load(std::memory_order_relaxed);
    fault.pid = m_pid.load(std::memory_order_relaxed);
    if (m_pending_attribution && m_pending_attribution->first == fault.generation)
      fault.during += (fault.during.empty() ? "running " : ": ") + m_pending_attribution->second;
    m_pending_attribution.reset();
    final = count_fault(std::move(fault));
    m_alive.store(false, std::memory_order_release);
    m_dead.store(true, std::memory_order_release);
  }
  // A request waiting on the dead worker gives up now (with the budget error if final).
  futex_wake(m_header->response_seq);
  m_state_cv.notify_all();

  std::lock_guard<std::mutex> lock(m_command_mutex);  // that request returns first
  for (;;) {
    if (final) {
      abandon_lives(*unrecoverable());
      m_state_cv.notify_all();
      return;
    }
    if (m_stopping.load(std::memory_order_acquire)) return;  // the destructor waits: no restart
    Status up = bring_up(true);
    if (up) {
      m_state_cv.notify_all();
      return;
    }
    // The restart failed too: that is one more fault.
    std::lock_guard<std::mutex> state(m_state_mutex);
    final =
        count_fault(WorkerFault{"could not be restarted: " + up.error().message(), "",
                                m_generation.load(std::memory_order_relaxed), m_pid.load(std::memory_order_relaxed)});
  }
}

void Supervisor::abandon_lives(const Error& error) {
  std::vector<std::shared_ptr<LiveLink>> lives;
  {
    std::lock_guard<std::mutex> lock(m_state_mutex);
    for (const auto& weak : m_lives)
      if (auto live = weak.lock()) lives.push_back(std::move(live));
  }
  for (const auto& live : lives) live->abandon(error);
}

// --- bringing a worker up ----------------------------------------------------------------

Status Supervisor::spawn_and_hello(bool restart) {
  // The old worker may have left anything in the channel: rewrite it whole.
  std::memset(static_cast<void*>(m_header), 0, sizeof(ChannelHeader));
  m_header->magic = CHANNEL_MAGIC;
  m_header->version = CHANNEL_VERSION;
  m_seq = 0;
  const auto heartbeat = clamp_ms(m_options.watchdog_timeout / 8, 1, 100);
  std::vector<std::string> args = {"--parent",
                                   std::to_string(getpid()),
                                   "--backend",
                                   m_backend,
                                   "--cpu-threads",
                                   std::to_string(m_cpu.threads),
                                   "--cpu-deterministic",
                                   m_cpu.deterministic ? "1" : "0",
                                   "--spin-us",
                                   std::to_string(m_options.worker_spin.count()),
                                   "--heartbeat-ms",
                                   std::to_string(heartbeat.count())};
  auto worker = WorkerProcess::spawn(m_worker_path, args, m_arena->fd());
  if (!worker) return cuda::std::unexpected(std::move(worker.error()));
  m_worker = std::move(*worker);
  m_pid.store(m_worker.pid(), std::memory_order_relaxed);

  const auto deadline = Clock::now() + m_options.start_timeout;
  std::uint32_t state = WORKER_STARTING;
  for (;;) {
    state = m_header->state.load(std::memory_order_acquire);
    if (state != WORKER_STARTING) break;
    if (m_worker.wait_exit(std::chrono::milliseconds(0)))
      return fail(ErrorKind::Backend,
                  "the worker \"" + m_worker_path + "\" " + m_worker.exit_description() + " before it was ready",
                  "run it by hand to see why (it must be the mk-worker of this build), or check MK_WORKER_PATH");
    if (Clock::now() >= deadline) {
      m_worker.kill_and_reap();
      return fail(ErrorKind::Backend,
                  "the worker did not get ready within IsolationOptions::start_timeout (" +
                      std::to_string(m_options.start_timeout.count()) + " ms)",
                  "raise start_timeout (a first CUDA context can take seconds), or check the device");
    }
    if (m_stopping.load(std::memory_order_acquire)) {
      m_worker.kill_and_reap();
      return fail(ErrorKind::Backend, "the backend was destroyed while its worker started", "none needed");
    }
    futex_wait(m_header->state, WORKER_STARTING, std::chrono::milliseconds(10));
  }
  const std::uint32_t bytes = m_header->hello_bytes;
  auto garbage = [&](const std::string& why) -> Status {
    m_worker.kill_and_reap();
    return fail(ErrorKind::Backend,
                "the worker \"" + m_worker_path + "\" sent a malformed hello (" + why + ") and was killed",
                "the worker and the library must come from the same build (check MK_WORKER_PATH)");
  };
  if (bytes > PAYLOAD_BYTES) return garbage("hello length " + std::to_string(bytes));
  std::vector<std::byte> payload(channel_payload(m_header), channel_payload(m_header) + bytes);
  if (state == WORKER_FAILED) {
    auto error = decode_error(payload);
    if (!error) return garbage(error.error().message());
    if (!m_worker.wait_exit(std::chrono::milliseconds(1000))) m_worker.kill_and_reap();
    return fail(error->kind(), "the isolated worker could not start the " + m_backend + " backend: " + error->message(),
                error->fix());
  }
  if (state != WORKER_READY) return garbage("state word " + hex(state));
  auto hello = decode_hello(payload, m_backends);
  if (!hello) return garbage(hello.error().message());
  if (restart && hello->backend != m_hello.backend)
    return garbage("backend \"" + hello->backend + "\" instead of \"" + m_hello.backend + "\"");
  // The first hello stays: Backend::name() hands out views of it, and a restarted
  // worker of the same backend has the same features.
  if (!restart) m_hello = std::move(*hello);
  return {};
}

Status Supervisor::bring_up(bool restart) {
  Status spawned = spawn_and_hello(restart);
  if (!spawned) return spawned;
  m_generation.fetch_add(1, std::memory_order_acq_rel);
  m_dead.store(false, std::memory_order_release);
  m_heartbeat_seen = m_header->heartbeat.load(std::memory_order_relaxed);
  m_heartbeat_at = Clock::now();
  Link link(*this);
  auto failed = [&](Error e) -> Status {
    m_worker.kill_and_reap();
    return cuda::std::unexpected(std::move(e));
  };
  for (const Segment& s : m_segments)
    if (auto r = link.request(Command::MapSegment, {s.offset, s.bytes}); !r) return failed(r.error());
  if (Status canary = run_canary(link); !canary) return failed(canary.error());
  if (restart) {
    std::vector<std::shared_ptr<LiveLink>> lives;
    {
      std::lock_guard<std::mutex> lock(m_state_mutex);
      std::erase_if(m_lives, [](const std::weak_ptr<LiveLink>& w) { return w.expired(); });
      for (const auto& weak : m_lives)
        if (auto live = weak.lock()) lives.push_back(std::move(live));
    }
    for (const auto& live : lives) {
      auto attributed = live->resume(link);
      if (!attributed) return failed(attributed.error());
      if (!attributed->empty()) {
        std::lock_guard<std::mutex> state(m_state_mutex);
        if (m_last_fault) m_last_fault->during += (m_last_fault->during.empty() ? "with " : ", with ") + *attributed;
      }
    }
  }
  m_heartbeat_seen = m_header->heartbeat.load(std::memory_order_relaxed);
  m_heartbeat_at = Clock::now();
  {
    std::lock_guard<std::mutex> state(m_state_mutex);
    m_kill_request.reset();
    m_alive.store(true, std::memory_order_release);
  }
  m_state_cv.notify_all();
  return {};
}

// A one-slot STORE_U32 through a built-in pipeline: the worker's backend runs, the shared
// memory is mapped both ways and the reply path works.
Status Supervisor::run_canary(Link& link) {
  const std::uint32_t control_words = abi::CTRL_OBSERVABLES + CANARY_OBSERVABLES;
  const std::uint32_t ring_words = CANARY_SLOTS * abi::SLOT_WORDS;
  if (!m_canary) {
    auto fresh = map_segment(link, std::size_t{control_words + ring_words} * 4, "the canary dispatch");
    if (!fresh) return cuda::std::unexpected(std::move(fresh.error()));
    m_canary = *fresh;
  }
  const Segment canary = m_canary;
  PipelineSpec spec;
  spec.geometry = Geometry{CANARY_SLOTS, CANARY_SLOTS, 1};
  spec.opcode_ids.assign(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
  const std::string json = encode_spec(spec);
  auto built = link.request(Command::BuildPipeline, {}, std::as_bytes(std::span(json)));
  if (!built) return cuda::std::unexpected(std::move(built.error()));
  m_canary_handle = built->value[0];

  auto* control = reinterpret_cast<std::uint32_t*>(canary.data);
  auto* ring = control + control_words;
  std::fill_n(control, control_words + ring_words, 0u);
  MK_TRY(try_encode_control_words_into(WordSpan(control, control_words), false, 1, CANARY_OBSERVABLES));
  MK_TRY(try_stamp_opcode_table_words(WordSpan(control, control_words), spec.opcode_ids));
  const std::uint32_t value = 0xC0DE0000u | static_cast<std::uint32_t>(m_generation.load() & 0xFFFF);
  ring[abi::SLOT_OPCODE] = abi::OP_STORE_U32;
  ring[abi::SLOT_ARGS] = 0;
  ring[abi::SLOT_ARGS + 1] = value;
  ring[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  auto ran = link.request(Command::OneShot, {m_canary_handle, canary.offset, control_words,
                                             canary.offset + std::uint64_t{control_words} * 4, ring_words, 0, 0, 0, 0});
  if (!ran) return cuda::std::unexpected(std::move(ran.error()));
  (void)link.request(Command::ReleasePipeline, {m_canary_handle});
  if (control[abi::CTRL_DONE_COUNT] != 1 || control[abi::CTRL_OBSERVABLES] != value ||
      ring[abi::SLOT_STATUS] != abi::STATUS_DONE)
    return fail(ErrorKind::DeviceLost,
                "the worker's canary dispatch (one STORE_U32 of " + hex(value) + ") came back wrong: DONE_COUNT " +
                    std::to_string(control[abi::CTRL_DONE_COUNT]) + ", observable 0 = " +
                    hex(control[abi::CTRL_OBSERVABLES]) + ", slot 0 STATUS " + std::to_string(ring[abi::SLOT_STATUS]),
                "the device computes wrong results: check it (nvidia-smi), or use another device");
  return {};
}

// --- segments and lives ------------------------------------------------------------------

Result<Segment> Supervisor::map_segment(Link& link, std::size_t bytes, std::string_view what) {
  auto segment = m_arena->allocate(bytes, what);
  if (!segment) return segment;
  if (auto r = link.request(Command::MapSegment, {segment->offset, segment->bytes}); !r) {
    m_arena->release(*segment);
    return cuda::std::unexpected(std::move(r.error()));
  }
  m_segments.push_back(*segment);
  return segment;
}

void Supervisor::unmap_segment(Link& link, Segment& segment) {
  if (!segment) return;
  std::erase_if(m_segments, [&](const Segment& s) { return s.offset == segment.offset; });
  if (m_alive.load(std::memory_order_acquire)) (void)link.request(Command::UnmapSegment, {segment.offset});
  m_arena->release(segment);
}

void Supervisor::drop_segment(Segment& segment) {
  std::lock_guard<std::mutex> lock(m_command_mutex);
  Link link(*this);
  unmap_segment(link, segment);
}

void Supervisor::release_pipeline(std::uint64_t handle, std::uint64_t generation) {
  std::lock_guard<std::mutex> lock(m_command_mutex);
  if (!m_alive.load(std::memory_order_acquire) || generation != m_generation.load(std::memory_order_acquire)) return;
  Link link(*this);
  (void)link.request(Command::ReleasePipeline, {handle});
}

void Supervisor::add_live(const std::shared_ptr<LiveLink>& live) {
  std::lock_guard<std::mutex> lock(m_state_mutex);
  std::erase_if(m_lives, [](const std::weak_ptr<LiveLink>& w) { return w.expired(); });
  m_lives.push_back(live);
}

std::optional<Error> Supervisor::unrecoverable() const {
  std::lock_guard<std::mutex> lock(m_state_mutex);
  return m_unrecoverable;
}

// --- requests -----------------------------------------------------------------------------

Status Supervisor::wait_alive() {
  std::unique_lock<std::mutex> lock(m_state_mutex);
  m_state_cv.wait_for(lock, m_options.start_timeout, [&] {
    return m_alive.load(std::memory_order_acquire) || m_unrecoverable || m_stopping.load(std::memory_order_acquire);
  });
  if (m_unrecoverable) return cuda::std::unexpected(*m_unrecoverable);
  if (!m_alive.load(std::memory_order_acquire))
    return fail(ErrorKind::DeviceLost,
                "the " + name() + " did not come back within IsolationOptions::start_timeout (" +
                    std::to_string(m_options.start_timeout.count()) + " ms) after a fault",
                "check the device (nvidia-smi), raise start_timeout, or create a new backend");
  return {};
}

void Supervisor::request_kill(std::string reason) {
  {
    std::lock_guard<std::mutex> lock(m_state_mutex);
    if (!m_kill_request) m_kill_request = std::move(reason);
    m_alive.store(false, std::memory_order_release);  // no new command reaches it
  }
  wake_monitor();
}

Error Supervisor::fault_error(const WorkerFault& fault) const {
  return Error(ErrorKind::DeviceLost,
               "the " + worker_name(m_hello.backend, fault.pid) + " " + fault.cause +
                   (fault.during.empty() ? "" : " " + fault.during) + "; it is being replaced by a new worker (up to " +
                   std::to_string(m_options.max_faults) + " faults within " +
                   std::to_string(m_options.fault_window.count()) + " s are survived)",
               "call Megakernel::recover_after_device_loss() (it says whether state was lost) and retry: the "
               "call was not retried for you");
}

std::string Supervisor::last_fault_text() const {
  std::lock_guard<std::mutex> state(m_state_mutex);
  if (!m_last_fault) return "no worker fault";
  return "the " + worker_name(m_hello.backend, m_last_fault->pid) + " " + m_last_fault->cause +
         (m_last_fault->during.empty() ? "" : " " + m_last_fault->during);
}

Error Supervisor::lost_during_request(Command command) {
  std::lock_guard<std::mutex> state(m_state_mutex);
  if (m_unrecoverable) return *m_unrecoverable;
  if (m_last_fault) return fault_error(*m_last_fault);
  return Error(ErrorKind::DeviceLost,
               "the " + name() + " was lost during command " + std::to_string(static_cast<unsigned>(command)),
               "call Megakernel::recover_after_device_loss() and retry");
}

// Called inside transact, so the fault's worker (generation) is still the current one:
// the restart waits for the command lock.
Error Supervisor::attribute(const Error& lost, const std::string& items) {
  if (items.empty()) return lost;
  {
    std::lock_guard<std::mutex> state(m_state_mutex);
    const std::uint64_t generation = m_generation.load(std::memory_order_acquire);
    if (m_last_fault && m_last_fault->generation == generation)
      m_last_fault->during += (m_last_fault->during.empty() ? "running " : ": ") + items;
    else
      m_pending_attribution.emplace(generation, items);
  }
  return Error(lost.kind(), lost.message() + " [the fault hit " + items + "]", lost.fix());
}

Result<Reply> Supervisor::exchange(Command command, std::initializer_list<std::uint64_t> args,
                                   std::span<const std::byte> payload) {
  const bool on_monitor = std::this_thread::get_id() == m_monitor_id;
  auto what = [&] { return "command " + std::to_string(static_cast<unsigned>(command)); };
  if (payload.size() > PAYLOAD_BYTES)
    return fail(ErrorKind::InvalidArgument,
                "a request of " + std::to_string(payload.size()) + " bytes exceeds the isolation channel's " +
                    std::to_string(PAYLOAD_BYTES),
                "use fewer or smaller custom opcodes");
  if (!on_monitor && m_dead.load(std::memory_order_acquire)) return cuda::std::unexpected(lost_during_request(command));
  if (!payload.empty()) std::memcpy(channel_payload(m_header), payload.data(), payload.size());
  Request request{};
  request.seq = ++m_seq;
  request.command = static_cast<std::uint32_t>(command);
  request.payload_bytes = static_cast<std::uint32_t>(payload.size());
  std::size_t i = 0;
  for (std::uint64_t a : args) request.arg[i++] = a;
  std::memcpy(&m_header->request, &request, sizeof request);
  m_header->request_seq.store(request.seq, std::memory_order_seq_cst);
  if (m_header->worker_sleeping.load(std::memory_order_seq_cst) != 0) futex_wake(m_header->request_seq);

  // Wait for the answer: spin, then sleep on the futex in short slices, re-checking that
  // the worker still lives (the monitor marks it dead; on the monitor thread itself the
  // exit status is polled here).
  const std::uint32_t previous = request.seq - 1;
  const auto start = Clock::now();
  auto bad_seq = [&](std::uint32_t seen) {
    return malformed_now(on_monitor, "response word (sequence) " + hex(seen) + " while request " +
                                         std::to_string(request.seq) + " was pending");
  };
  for (;;) {
    const std::uint32_t seen = m_header->response_seq.load(std::memory_order_acquire);
    if (seen == request.seq) break;
    if (seen != previous) return cuda::std::unexpected(bad_seq(seen));
    if (Clock::now() - start < SPIN) continue;
    m_header->supervisor_sleeping.store(1, std::memory_order_seq_cst);
    const std::uint32_t again = m_header->response_seq.load(std::memory_order_seq_cst);
    if (again == previous) futex_wait(m_header->response_seq, previous, std::chrono::milliseconds(1));
    m_header->supervisor_sleeping.store(0, std::memory_order_relaxed);
    if (on_monitor) {
      if (m_worker.wait_exit(std::chrono::milliseconds(0)))
        return fail(ErrorKind::DeviceLost, "the worker " + m_worker.exit_description() + " during " + what(),
                    "check the device and the worker (run mk-worker by hand)");
      if (Clock::now() - start > m_options.start_timeout)
        return fail(ErrorKind::DeviceLost, "the worker did not answer " + what() + " within start_timeout",
                    "check the device");
    } else if (m_dead.load(std::memory_order_acquire)) {
      return cuda::std::unexpected(lost_during_request(command));
    }
  }
  Response response;
  std::memcpy(&response, &m_header->response, sizeof response);  // one copy, then checked
  if (response.seq != request.seq)
    return cuda::std::unexpected(
        malformed_now(on_monitor, "response.seq " + hex(response.seq) + ", expected " + std::to_string(request.seq)));
  if (response.status != REPLY_OK && response.status != REPLY_ERROR)
    return cuda::std::unexpected(malformed_now(on_monitor, "response.status " + hex(response.status)));
  if (response.payload_bytes > PAYLOAD_BYTES)
    return cuda::std::unexpected(malformed_now(on_monitor, "response.payload_bytes " + hex(response.payload_bytes)));
  Reply reply;
  std::copy(std::begin(response.value), std::end(response.value), reply.value.begin());
  if (response.payload_bytes != 0)
    reply.payload.assign(channel_payload(m_header), channel_payload(m_header) + response.payload_bytes);
  if (response.status == REPLY_OK) return reply;
  auto error = decode_error(reply.payload);
  if (!error) return cuda::std::unexpected(malformed_now(on_monitor, error.error().message()));
  if (error->kind() == ErrorKind::DeviceLost && !on_monitor) {
    // A sticky device error: the worker's context is gone, so the worker goes too.
    request_kill("lost its device (" + error->message() + ")");
    return fail(ErrorKind::DeviceLost,
                "the " + name() + " lost its device: " + error->message() + "; it is being replaced by a new worker",
                "call Megakernel::recover_after_device_loss() (it says whether state was lost) and retry: the "
                "call was not retried for you");
  }
  return cuda::std::unexpected(std::move(*error));
}

Error Supervisor::malformed_now(bool on_monitor, const std::string& why) {
  if (!on_monitor) request_kill("sent a malformed reply (" + why + ")");
  return Error(ErrorKind::DeviceLost,
               "the " + name() + " sent a malformed reply (" + why +
                   ") and was killed; nothing it wrote was used, and a new worker is being started",
               "call Megakernel::recover_after_device_loss() and retry; if it repeats, the mk-worker executable "
               "does not match this library (check MK_WORKER_PATH)");
}

Result<Reply> Supervisor::Link::request(Command command, std::initializer_list<std::uint64_t> args,
                                        std::span<const std::byte> payload) {
  return m_s.exchange(command, args, payload);
}

Error Supervisor::Link::malformed(const std::string& why) {
  return m_s.malformed_now(std::this_thread::get_id() == m_s.m_monitor_id, why);
}

Error Supervisor::Link::kill(const std::string& cause) {
  if (std::this_thread::get_id() != m_s.m_monitor_id) m_s.request_kill(cause);
  return Error(ErrorKind::DeviceLost, "the " + m_s.name() + " " + cause + "; it was killed and is being replaced",
               "call Megakernel::recover_after_device_loss() and retry");
}

std::uint64_t Supervisor::Link::generation() const noexcept { return m_s.generation(); }

// --- recovery and test access --------------------------------------------------------------

Result<RecoveryDecision> Supervisor::recover() {
  for (std::uint32_t attempt = 0;; ++attempt) {
    auto canary =
        transact("the health check of recover_after_device_loss()", [&](Link& link) { return run_canary(link); });
    if (canary) break;
    if (auto final = unrecoverable()) return cuda::std::unexpected(std::move(*final));
    if (attempt + 1 >= m_options.max_faults) return cuda::std::unexpected(std::move(canary.error()));
    // The canary found the worker broken; it is being replaced: check the new one.
  }
  return m_state_lost.exchange(false, std::memory_order_acq_rel) ? RecoveryDecision::RebuiltStateLost
                                                                 : RecoveryDecision::Rebuilt;
}

pid_t Supervisor::worker_pid() const { return m_pid.load(std::memory_order_relaxed); }

std::uint64_t Supervisor::fault_count() const {
  std::lock_guard<std::mutex> lock(m_state_mutex);
  return m_fault_total;
}

bool Supervisor::wait_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(m_state_mutex);
  return m_state_cv.wait_for(lock, timeout, [&] {
    return (m_alive.load(std::memory_order_acquire) && m_generation.load(std::memory_order_acquire) >= at_least) ||
           m_unrecoverable.has_value();
  });
}

}  // namespace mk::isolate
