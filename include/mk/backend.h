// Backend interface: what a backend must do to run the interpreter over ABI buffers.
// The CPU backend (reference, src/cpu/) and the CUDA backend (src/cuda/) implement it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mk/backend_options.h"
#include "mk/batch.h"
#include "mk/error.h"
#include "mk/ir.h"
#include "mk/protocol.h"

namespace mk {

// Capabilities a backend may lack; callers ask before use and get Unsupported, never a
// silent fallback.
enum class Feature {
  OneShot,           // dispatch over host buffers
  IoQueue,           // LOAD_MISS through an I/O queue
  DebugLog,          // PRINTF records
  CustomOpcodes,     // IR bodies registered at bootstrap
  PayloadProcessor,  // bootstrap_jit
  DeviceTime,        // DispatchStats::device_ns from device timers
  ResidentHandles,   // device-owned ABI buffers
  ManyLaunch,        // one recorded graph for N submissions
  LiveSession,       // a kernel that keeps running while the host streams work
  Trace,             // per-slot claim/finish timestamps
  CompactBatch,      // dispatch_batch over compact records (include/mk/batch.h)
};
std::string_view to_string(Feature feature) noexcept;

// Launch shape: lanes = workgroup_size_x * worker_groups.
struct Geometry {
  std::uint32_t slot_count = 256;
  std::uint32_t workgroup_size_x = 256;
  std::uint32_t worker_groups = 1;
};

// Everything a backend needs to build a pipeline (compiled interpreter + opcodes).
struct PipelineSpec {
  Geometry geometry;
  std::vector<std::uint32_t> opcode_ids;           // the opcode table; built-ins first
  std::vector<OpcodeHandler> handlers;             // custom opcodes, table indices 12..
  std::optional<std::uint32_t> payload_processor;  // table index fused for every slot
};

// A backend's compiled form of a PipelineSpec.
class Pipeline {
 public:
  virtual ~Pipeline() = default;
  virtual std::uint64_t id() const noexcept = 0;
};

// Host buffers of one dispatch, as words. debug_log and io_queue may be empty.
struct BufferSet {
  WordSpan control;
  WordSpan ring;
  WordSpan debug_log;
  WordSpan io_queue;
};

// One per-slot span for tracing: which lane ran it and when.
struct TraceEvent {
  std::uint32_t slot = 0;
  std::uint32_t lane = 0;
  std::uint64_t claim_ns = 0;
  std::uint64_t finish_ns = 0;
  std::uint32_t status = 0;
};

struct LaunchStats {
  std::uint64_t device_ns = 0;  // 0 when the backend has no device timer
  bool device_ns_known = false;
  std::uint32_t sweeps = 0;      // interpreter passes over the ring
  std::uint64_t bytes_up = 0;    // host -> device
  std::uint64_t bytes_down = 0;  // device -> host
};

// Host words of the four ABI buffers (debug_log and io_queue may be empty).
struct HostBuffers {
  ConstWordSpan control;
  ConstWordSpan ring;
  ConstWordSpan debug_log;
  ConstWordSpan io_queue;
};

enum class BufferKind { Control, Ring, DebugLog, IoQueue };
std::string_view to_string(BufferKind kind) noexcept;

// Where one resident buffer lives, for zero-copy export (the Python package's DLPack):
// a device address, its size and the ordinal of the device that holds it.
struct DeviceRegion {
  void* data = nullptr;
  std::uint64_t size_bytes = 0;
  int device = 0;
};

// Device-owned copies of the ABI buffers, made by a backend (ResidentHandles wraps it).
class ResidentBuffers {
 public:
  virtual ~ResidentBuffers() = default;
  virtual std::uint64_t size_bytes(BufferKind kind) const noexcept = 0;
  // Overwrite bytes [offset, offset + bytes.size()) of one buffer.
  virtual Status upload(BufferKind kind, std::uint64_t offset, ConstByteSpan bytes) = 0;
  // Copy a whole buffer back (out.size() == size_bytes(kind)).
  virtual Status download(BufferKind kind, ByteSpan out) = 0;
  // The device memory of one buffer, valid until these buffers are destroyed (or lost to
  // a device recovery: DeviceLost then). Unsupported by default.
  // @warning Writes through it race with a dispatch over these buffers; resident
  // dispatches are synchronous, so touch it only between them.
  virtual Result<DeviceRegion> device_region(BufferKind kind) const;
};

// Items for ring slots [first_slot, first_slot + items.size()) of a many-launch batch.
struct Submission {
  std::uint32_t first_slot = 0;
  std::span<const WorkItem> items;
};

// Words of LiveSharedMemory::page. An engine that wants the doorbell reads it as a u64 at
// word LIVE_SHARED_DOORBELL_WORD; the other words belong to the engine.
inline constexpr std::uint32_t LIVE_SHARED_PAGE_WORDS = 64;
inline constexpr std::uint32_t LIVE_SHARED_DOORBELL_WORD = 2;

// Host memory a supervised worker process shares with its caller (src/isolate/). When
// `ring` is not empty the engine runs over these instead of allocating its own (CUDA: they
// are registered mapped already), so the caller publishes and harvests with plain memory
// accesses; they outlive the engine.
struct LiveSharedMemory {
  WordSpan ring;                         // slot_count * SLOT_WORDS words, 64-byte aligned
  std::span<std::uint64_t> completions;  // slot_count * WIRE_COMPLETION_STRIDE records
  WordSpan page;                         // LIVE_SHARED_PAGE_WORDS words
};

// How a backend should run a LiveSession's lanes (include/mk/live.h).
struct LiveEngineConfig {
  std::uint32_t slot_count = 0;
  std::uint32_t lanes = 0;  // 0: the backend's default
  std::chrono::nanoseconds max_idle_backoff{2000};
  std::uint32_t max_sms = 0;  // CUDA: most SMs the kernel may occupy; 0 = no bound
  ConstWordSpan control;      // initial control words, validated, opcode table stamped
  // Words of the compact-batch arena (a multiple of abi::LIVE_BATCH_ALIGN_WORDS; 0: none).
  std::uint64_t arena_words = 0;
  bool idempotent = false;  // LiveOptions::idempotent (an isolated engine replays in-flight items)
  LiveSharedMemory shared;  // empty: the engine allocates its ring
  // Resuming over a ring that already carries laps (a restarted worker): slot s's first
  // lap to run is first_laps[s]. Empty: every slot starts at lap 0. An engine that cannot
  // start mid-ring returns Unsupported.
  std::span<const std::uint32_t> first_laps;
};

// What an isolated engine's restarts did to a session's items (all 0 in process).
struct LiveRecoveryCounts {
  std::uint64_t restarts = 0;  // worker restarts the session lived through
  std::uint64_t lost = 0;      // items marked FAULT_DEVICE_LOST
  std::uint64_t replayed = 0;  // in-flight items run again (idempotent sessions)
  std::string last_fault;      // the last worker fault: its cause and the items it hit
};

// The backend half of a LiveSession: lanes that keep polling a ring the host writes
// directly (host memory on the CPU, mapped pinned memory on CUDA) until stop().
// Slots carry the live wire format (abi.h WIRE_*, interp/wire.h): the host publishes
// tagged 16-byte chunks, a lane runs the interpreter step on its own ABI copy of a slot
// that reads whole and current, and answers with the slot's 8-byte completion record.
// BATCH_FENCE and I/O-queue items are not run here (the session rejects fences, a lane
// faults a stray one BAD_ARGS; LOAD_MISS faults IO_QUEUE_FULL, PRINTF BAD_ARGS). A
// chunk descriptor runs the chunk's compact records from the arena with the batch path's
// semantics (interp/live_batch.h) and writes their RESULT words and fault bits back there
// before its completion record.
class LiveEngine {
 public:
  virtual ~LiveEngine() = default;
  // The ring's wire words (64-byte aligned), host-visible for the engine's whole life.
  virtual WordSpan ring() noexcept = 0;
  // Completion records (interp::wire_completion), slot s's at index
  // s * abi::WIRE_COMPLETION_STRIDE, zero before the first.
  virtual std::span<std::uint64_t> completions() noexcept = 0;
  // The compact-batch arena (config.arena_words words, 128-byte aligned, host-visible for
  // the engine's whole life): chunk descriptors (abi::OP_LIVE_BATCH_CHUNK) point into it.
  virtual WordSpan arena() noexcept = 0;
  // Ok when the engine runs compact chunks from arena(); else the error (Unsupported, with
  // its fix) that a compact submit to its session returns before reserving anything.
  virtual Status compact_support() const { return {}; }
  // Reads of a slot the lanes rejected as torn or stale (never run), so far.
  virtual std::uint64_t wire_rejects() const noexcept = 0;
  virtual std::uint32_t lanes() const noexcept = 0;
  // Cheap live reads for the watchdog (they may lag the kernel by one poll).
  virtual std::uint32_t heartbeat() const noexcept = 0;
  virtual std::uint32_t done_count() const noexcept = 0;
  // The whole control buffer now (out.size() == control words).
  virtual Status read_control(WordSpan out) = 0;
  // Ok while the lanes run or after they left cleanly (`exited` says which); the
  // error once they died (CUDA: DeviceLost with the error name).
  virtual Status health(bool& exited) = 0;
  // True when the engine wants the doorbell below: the session then publishes batches
  // in reservation order and calls published() with a watermark that only grows.
  virtual bool wants_doorbell() const noexcept { return false; }
  // Every slot of ring positions below `end` is published (release). Lets lanes read
  // only what exists, with no poll of slots that are not there.
  virtual void published(std::uint64_t end) noexcept { (void)end; }
  // Restarts survived, items lost and replayed (isolated engines; zeros otherwise).
  virtual LiveRecoveryCounts recovery_counts() const { return {}; }
  // Set SHUTDOWN and join the lanes; an error when they did not leave in `timeout`.
  virtual Status stop(std::chrono::nanoseconds timeout) = 0;
};

// Host memory the backend's device reaches fastest: page-locked on CUDA (copies from it
// need no staging), ordinary aligned memory on the CPU. Move-only RAII.
class HostMemory {
 public:
  using Free = void (*)(void*) noexcept;
  HostMemory() = default;
  HostMemory(void* data, std::size_t bytes, Free free) noexcept : m_data(data), m_bytes(bytes), m_free(free) {}
  HostMemory(HostMemory&& other) noexcept { *this = std::move(other); }
  HostMemory& operator=(HostMemory&& other) noexcept {
    if (this != &other) {
      reset();
      m_data = std::exchange(other.m_data, nullptr);
      m_bytes = std::exchange(other.m_bytes, 0);
      m_free = std::exchange(other.m_free, nullptr);
    }
    return *this;
  }
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;
  ~HostMemory() { reset(); }

  void* data() const noexcept { return m_data; }
  std::size_t size() const noexcept { return m_bytes; }
  Word* words() const noexcept { return static_cast<Word*>(m_data); }
  void reset() noexcept {
    if (m_data != nullptr && m_free != nullptr) m_free(m_data);
    m_data = nullptr;
    m_bytes = 0;
  }

 private:
  void* m_data = nullptr;
  std::size_t m_bytes = 0;
  Free m_free = nullptr;
};

// One compact batch for a backend (validated by the caller): control words in and out,
// records in, one RESULT word per item and the fault bitmap out. The backend zeroes the
// bitmap; `results` and `fault_bits` are host memory from allocate_host().
struct BatchLaunch {
  WordSpan control;
  BatchView batch;
  WordSpan results;     // batch.count words
  WordSpan fault_bits;  // abi::batch_fault_words(batch.count) words
};

// What happened after a sticky device error.
enum class RecoveryDecision {
  Rebuilt,           // context, module and buffers rebuilt; nothing resident was lost
  RebuiltStateLost,  // rebuilt, but resident buffers must be uploaded again
  Unrecoverable,     // see the error that comes with it
};

struct DeviceInfo {
  std::string name;
  std::string kind;                 // "cpu" or "cuda"
  std::uint32_t compute_units = 0;  // SMs or hardware threads
  std::uint64_t memory_bytes = 0;
  std::string driver;
  std::string arch;  // e.g. "sm_90"
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual bool supports(Feature feature) const noexcept = 0;
  virtual std::vector<DeviceInfo> devices() const = 0;

  virtual Result<std::shared_ptr<const Pipeline>> build_pipeline(const PipelineSpec& spec) = 0;

  // Run the interpreter until a full sweep finds nothing runnable, or SHUTDOWN is set.
  // Buffers were validated by the caller. `trace`, when not null, receives one event
  // per executed step (Feature::Trace).
  virtual Result<LaunchStats> launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                              std::vector<TraceEvent>* trace = nullptr) = 0;

  // --- Resident buffers (Feature::ResidentHandles / ManyLaunch). Defaults: Unsupported.
  virtual Result<std::unique_ptr<ResidentBuffers>> create_resident(const HostBuffers& initial);
  // One drain of the resident ring, touching no host bytes.
  virtual Result<LaunchStats> launch_resident(const Pipeline& pipeline, ResidentBuffers& buffers);
  // Publish and drain each submission in order, recorded as one CUDA graph per batch
  // shape. `rejected` receives the number of items whose target slot was in flight.
  virtual Result<LaunchStats> launch_resident_many(const Pipeline& pipeline, ResidentBuffers& buffers,
                                                   std::span<const Submission> submissions, std::uint32_t* rejected);

  // Run every item of a compact batch once (Feature::CompactBatch).
  virtual Result<LaunchStats> launch_batch(const Pipeline& pipeline, const BatchLaunch& launch);
  // Host memory for batches and results (the default: aligned ordinary memory).
  virtual Result<HostMemory> allocate_host(std::size_t bytes);

  // Start lanes polling a host-visible ring (Feature::LiveSession).
  virtual Result<std::unique_ptr<LiveEngine>> start_live(const Pipeline& pipeline, const LiveEngineConfig& config);

  // After a DeviceLost error: rebuild what the backend owns (Unrecoverable by default).
  virtual Result<RecoveryDecision> recover();
  // The fix unsupported() gives for a feature this backend lacks.
  virtual std::string unsupported_fix(Feature feature) const;
};

// Unsupported error for a feature this backend lacks.
Error unsupported(const Backend& backend, Feature feature);

std::shared_ptr<Backend> make_cpu_backend(CpuBackendOptions options = {});

// A backend from the registry (docs/architecture.md "Backend registry"),
// or "auto": the available backend the registry ranks first (CUDA when a device is present,
// else CPU). Unknown names are InvalidArgument listing the choices.
Result<std::shared_ptr<Backend>> make_backend(std::string_view name);
// `make_backend("cuda", {.isolation = Isolation::Process})` runs the CUDA context in a
// supervised worker process (include/mk/isolate.h); this process then never initialises CUDA.
Result<std::shared_ptr<Backend>> make_backend(std::string_view name, const BackendOptions& options);

// One registered backend, as `megakernel info`, --backend and the test suites list them.
struct BackendInfo {
  std::string name;         // what make_backend takes
  std::string description;  // one line for listings
  bool available = false;   // make_backend(name) can succeed here (a CUDA device is visible, ...)
};
// Every backend of this build's registry, in listing order ("auto" is a selector, not listed).
std::vector<BackendInfo> list_backends();
// The names of list_backends().
std::vector<std::string> backend_names();
// The backend make_backend("auto") builds in this process.
std::string auto_backend_name();

// Is a CUDA device usable here? (false when built without CUDA.)
bool cuda_available() noexcept;

}  // namespace mk
