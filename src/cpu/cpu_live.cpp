// The CPU backend's live engine: worker threads poll their share of a host-memory ring
// in the live wire format and run the interp/ step on private ABI slot copies.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/live_test_hooks.h"
#include "cpu/cpu_backend.h"
#include "cpu/cpu_pipeline.h"
#include "cpu/custom_ops.h"
#include "interp/live_batch.h"
#include "interp/step.h"
#include "interp/wire.h"

namespace mk::detail {
namespace {

constexpr auto SCOPE = cuda::thread_scope_system;

class CpuLiveEngine final : public LiveEngine, public detail::StallableLiveEngine {
 public:
  CpuLiveEngine(const LiveEngineConfig& config, std::shared_ptr<const ir::Program> program, std::uint32_t workers)
      : m_slot_count(config.slot_count),
        m_arena_words(config.arena_words),
        // Uninitialised: a region is written by its producer before any lane reads it.
        m_arena(config.arena_words != 0 ? static_cast<std::uint32_t*>(::operator new[](
                                              config.arena_words * sizeof(std::uint32_t), std::align_val_t{128}))
                                        : nullptr),
        m_control(config.control.begin(), config.control.end()),
        m_program(std::move(program)),
        m_max_backoff(config.max_idle_backoff),
        m_first_laps(config.first_laps.begin(), config.first_laps.end()) {
    if (!config.shared.ring.empty()) {
      // A supervised worker's shared memory (src/isolate/): the caller writes it directly.
      m_ring = reinterpret_cast<Line*>(config.shared.ring.data());
      m_completions = config.shared.completions;
    } else {
      m_own_ring = std::make_unique<Line[]>(config.slot_count);
      m_own_completions.assign(std::size_t{config.slot_count} * abi::WIRE_COMPLETION_STRIDE, 0u);
      m_ring = m_own_ring.get();
      m_completions = m_own_completions;
    }
    m_view = interp::make_view(nullptr, config.slot_count, m_control.data(), nullptr, nullptr);
    m_running.store(workers, std::memory_order_relaxed);
    m_threads.reserve(workers);
    for (std::uint32_t t = 0; t < workers; ++t) m_threads.emplace_back([this, t, workers] { run(t, workers); });
  }
  ~CpuLiveEngine() override { (void)stop(std::chrono::nanoseconds::max()); }

  WordSpan ring() noexcept override { return {m_ring[0].words, std::size_t{m_slot_count} * abi::SLOT_WORDS}; }
  std::span<std::uint64_t> completions() noexcept override { return m_completions; }
  WordSpan arena() noexcept override { return {m_arena.get(), m_arena_words}; }
  std::uint64_t wire_rejects() const noexcept override { return m_rejects.load(std::memory_order_relaxed); }
  std::uint32_t lanes() const noexcept override { return static_cast<std::uint32_t>(m_threads.size()); }
  std::uint32_t heartbeat() const noexcept override { return load(abi::CTRL_HEARTBEAT); }
  std::uint32_t done_count() const noexcept override { return load(abi::CTRL_DONE_COUNT); }
  Status read_control(WordSpan out) override {
    for (std::size_t i = 0; i < out.size() && i < m_control.size(); ++i) out[i] = load(static_cast<std::uint32_t>(i));
    return {};
  }
  Status health(bool& exited) override {
    exited = m_running.load(std::memory_order_acquire) == 0;
    return {};
  }
  void set_stalled(bool stalled) noexcept override { m_stalled.store(stalled, std::memory_order_release); }

  // Workers only block in their own back-off, so joining after SHUTDOWN is bounded.
  Status stop(std::chrono::nanoseconds) override {
    interp::Atomics<SCOPE>::store_release(m_control.data() + abi::CTRL_SHUTDOWN, 1);
    m_stalled.store(false, std::memory_order_release);
    for (auto& t : m_threads)
      if (t.joinable()) t.join();
    return {};
  }

 private:
  std::uint32_t load(std::uint32_t word) const {
    return interp::Atomics<SCOPE>::load_relaxed(const_cast<std::uint32_t*>(m_control.data()) + word);
  }

  // A slot a worker owns: the lap it waits for and, while an item runs over several
  // sweeps (a custom opcode's requeue), the item's ABI copy.
  struct Owned {
    std::uint32_t lap = 0;
    bool pending = false;
    std::uint32_t copy[abi::SLOT_WORDS] = {};
  };

  // Read slot `s`'s wire words: chunk 0's tag word with acquire first (the producer stores
  // chunk 0 last), then the rest.
  void read_wire(std::uint32_t s, std::uint32_t* w) const {
    std::uint32_t* line = const_cast<std::uint32_t*>(m_ring[s].words);
    w[0] = std::atomic_ref<std::uint32_t>(line[0]).load(std::memory_order_acquire);
    for (std::uint32_t i = 1; i < abi::SLOT_WORDS; ++i)
      w[i] = std::atomic_ref<std::uint32_t>(line[i]).load(std::memory_order_relaxed);
  }

  // Take slot `s` if it holds its lap's whole item, then step it; true on progress.
  template <class Acct>
  bool visit(std::uint32_t s, Owned& own, CpuCustomOps& custom, Acct& acct, interp::SweepCounts& counts) {
    if (!own.pending) {
      std::uint32_t w[abi::SLOT_WORDS];
      read_wire(s, w);
      const interp::WireRead read = interp::wire_classify(w, own.lap);
      if (read == interp::WireRead::Rejected) m_rejects.fetch_add(1, std::memory_order_relaxed);
      if (read != interp::WireRead::Ready) return false;
      interp::wire_to_slot(w, own.copy);
      own.pending = true;
    }
    std::uint32_t status = abi::STATUS_FAULT;
    if (own.copy[abi::SLOT_OPCODE] == abi::OP_LIVE_BATCH_CHUNK) {
      // A compact chunk: its records lie in the arena; the producer wrote them before the
      // descriptor's chunk 0, whose tag this worker read with acquire.
      interp::LiveChunk chunk;
      if (interp::live_chunk_decode(own.copy + abi::SLOT_ARGS, m_arena_words, chunk)) {
        alignas(16) std::uint32_t slot[abi::SLOT_WORDS];
        own.copy[abi::SLOT_RESULT] = interp::run_live_chunk<SCOPE>(m_view, chunk, m_arena.get(), slot, custom, acct);
        status = abi::STATUS_DONE;
      } else {
        own.copy[abi::SLOT_RESULT] = abi::FAULT_BAD_ARGS;
      }
    } else if (own.copy[abi::SLOT_OPCODE] == abi::OP_BATCH_FENCE) {
      // Only the session publishes here and it rejects fences; a fence would look at
      // other slots, which a private copy does not have.
      interp::Atomics<SCOPE>::fetch_add_relaxed(m_control.data() + abi::CTRL_FAULT_COUNT, 1);
      own.copy[abi::SLOT_RESULT] = abi::FAULT_BAD_ARGS;
    } else {
      interp::View view = m_view;
      view.ring = own.copy;
      view.ring_first = s;
      interp::count_step(counts, interp::step_slot<SCOPE>(view, s, custom, acct));
      status = own.copy[abi::SLOT_STATUS];
      if (status != abi::STATUS_DONE && status != abi::STATUS_FAULT) return true;  // requeued: runs again
    }
    std::atomic_ref<std::uint64_t>(m_completions[std::size_t{s} * abi::WIRE_COMPLETION_STRIDE])
        .store(interp::wire_completion(own.lap, status, own.copy[abi::SLOT_RESULT]), std::memory_order_release);
    own.pending = false;
    ++own.lap;
    return true;
  }

  void run(std::uint32_t t, std::uint32_t workers) {
    CpuCustomOps custom{m_program.get()};
    // Unordered: each copy has one owner; counters are flushed once per sweep.
    interp::BatchedAccounting<SCOPE, false> acct;
    std::vector<Owned> owned((m_slot_count - t + workers - 1) / workers);
    if (!m_first_laps.empty())
      for (std::uint32_t k = 0; k < owned.size(); ++k) owned[k].lap = m_first_laps[t + k * workers];
    std::uint32_t idle = 0;
    while (!interp::shutdown_requested<SCOPE>(m_view)) {
      if (m_stalled.load(std::memory_order_acquire)) {
        std::this_thread::yield();
        continue;
      }
      interp::SweepCounts c;
      bool progress = false;
      for (std::uint32_t k = 0; k < owned.size(); ++k) progress |= visit(t + k * workers, owned[k], custom, acct, c);
      acct.flush(m_view);
      if (t == 0) interp::heartbeat<SCOPE>(m_view);
      if (progress) {
        idle = 0;
        continue;
      }
      // Idle back-off: yield first (other workers and producers may share the core), then
      // short sleeps; the next sweep re-reads every slot either way.
      if (++idle < 64)
        std::this_thread::yield();
      else
        std::this_thread::sleep_for(std::max(m_max_backoff, std::chrono::nanoseconds(20000)));
    }
    m_running.fetch_sub(1, std::memory_order_acq_rel);
  }

  // One 64-byte line per slot: chunk stores stay inside one line.
  struct alignas(64) Line {
    std::uint32_t words[abi::SLOT_WORDS] = {};
  };

  std::uint32_t m_slot_count;
  Line* m_ring = nullptr;  // m_own_ring's, or shared memory the engine does not own
  std::span<std::uint64_t> m_completions;
  std::unique_ptr<Line[]> m_own_ring;
  std::vector<std::uint64_t> m_own_completions;
  struct AlignedDelete {
    void operator()(std::uint32_t* p) const noexcept { ::operator delete[](p, std::align_val_t{128}); }
  };
  std::uint64_t m_arena_words;
  std::unique_ptr<std::uint32_t[], AlignedDelete> m_arena;
  std::vector<std::uint32_t> m_control;
  std::atomic<std::uint64_t> m_rejects{0};
  std::shared_ptr<const ir::Program> m_program;
  std::chrono::nanoseconds m_max_backoff;
  std::vector<std::uint32_t> m_first_laps;  // empty: every slot starts at lap 0
  interp::View m_view{};
  std::atomic<bool> m_stalled{false};
  std::atomic<std::uint32_t> m_running{0};
  std::vector<std::thread> m_threads;
};

}  // namespace

Result<std::unique_ptr<LiveEngine>> CpuBackend::start_live(const Pipeline& pipeline, const LiveEngineConfig& config) {
  const auto* pipe = dynamic_cast<const CpuPipeline*>(&pipeline);
  if (pipe == nullptr)
    return fail(ErrorKind::InvalidArgument, "pipeline was built by another backend",
                "start the live session from the Megakernel that built it");
  if (!config.shared.ring.empty() &&
      (config.shared.ring.size() != std::size_t{config.slot_count} * abi::SLOT_WORDS ||
       config.shared.completions.size() != std::size_t{config.slot_count} * abi::WIRE_COMPLETION_STRIDE ||
       reinterpret_cast<std::uintptr_t>(config.shared.ring.data()) % 64 != 0))
    return fail(ErrorKind::InvalidArgument, "the shared live ring or completion records do not match slot_count",
                "pass slot_count * 16 ring words (64-byte aligned) and slot_count * 8 records");
  if (!config.first_laps.empty() && config.first_laps.size() != config.slot_count)
    return fail(ErrorKind::InvalidArgument,
                "first_laps has " + std::to_string(config.first_laps.size()) + " entries for " +
                    std::to_string(config.slot_count) + " slots",
                "pass one first lap per slot, or none");
  std::uint32_t workers = config.lanes != 0 ? config.lanes : m_pool.size();
  workers = std::max(1u, std::min(workers, config.slot_count));
  return std::unique_ptr<LiveEngine>(std::make_unique<CpuLiveEngine>(config, pipe->shared_program(), workers));
}

}  // namespace mk::detail
