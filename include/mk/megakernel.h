// Megakernel: owns geometry, the opcode table and the compiled pipeline; runs dispatches.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mk/backend.h"
#include "mk/error.h"
#include "mk/io.h"
#include "mk/ir.h"
#include "mk/protocol.h"
#include "mk/resident.h"

namespace mk {

class BatchOutput;  // include/mk/bulk.h

// What one dispatch cost and did.
struct DispatchStats {
  std::uint64_t wall_ns = 0;    // host wall clock around the whole call
  std::uint64_t device_ns = 0;  // device timer, when device_ns_known
  bool device_ns_known = false;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  std::uint32_t items_done = 0;  // DONE_COUNT after minus before (DONE + FAULT)
  std::uint32_t sweeps = 0;
  std::uint32_t rounds = 1;  // dispatch rounds (dispatch_until_idle)
};

// Caller-owned output buffers: reused without reallocation when shapes repeat.
struct OutputBuffers {
  Bytes control;
  Bytes ring;
  Bytes debug_log;  // empty when none was supplied
  Bytes io_queue;   // empty when none was supplied
};

// A dispatch's buffers with its statistics (the *_observed forms).
struct Dispatched {
  OutputBuffers buffers;
  DispatchStats stats;
};

// Borrowed inputs of one dispatch; debug_log and io_queue may be empty.
struct DispatchInput {
  ConstByteSpan control;
  ConstByteSpan ring;
  ConstByteSpan debug_log;
  ConstByteSpan io_queue;
};

// Everything a dispatch produced, strictly decoded.
struct Readback {
  std::uint32_t done_count = 0;
  std::uint32_t epoch = 0;
  std::uint32_t last_fence_tag = 0;
  std::uint32_t fault_count = 0;
  std::uint32_t shutdown = 0;
  std::vector<std::uint32_t> observables;
  std::vector<OpcodeCount> metrics;
  std::vector<TenantCounters> tenants;
  std::vector<SlotView> slots;
  DebugLog debug_log;
  IoQueueView io;
  DispatchStats stats;
};

// A many-launch batch's outcome.
struct ManyStats {
  DispatchStats stats;  // the whole batch (device_ns covers every submission)
  std::uint32_t submissions = 0;
  std::uint32_t items = 0;     // items staged
  std::uint32_t rejected = 0;  // items whose target slot was still in flight (not run)
};

// Caller-owned storage for the decoded result of a many-launch batch.
struct ManyScratch {
  OutputBuffers buffers;
  Readback readback;
};

// What recover_after_device_loss() did. Unrecoverable carries the error that stopped it.
struct RecoveryReport {
  RecoveryDecision decision = RecoveryDecision::Unrecoverable;
  std::optional<Error> original;  // the DeviceLost error that led here, when one was seen
  std::optional<Error> failure;   // why recovery failed (Unrecoverable only)
};

class Megakernel {
 public:
  // 256 slots, one group of 256 lanes, built-in opcodes only.
  static Result<Megakernel> bootstrap(std::shared_ptr<Backend> backend);
  // The same geometry with custom opcodes, validated here; they take table indices 12, 13, ...
  static Result<Megakernel> bootstrap_with_opcodes(std::shared_ptr<Backend> backend,
                                                   std::vector<OpcodeHandler> opcodes);
  // slot_count slots on workgroups of workgroup_size_x lanes: slot_count must be a multiple
  // of workgroup_size_x (worker_groups_for_geometry), the rest as bootstrap_with_opcodes.
  static Result<Megakernel> bootstrap_sharded(std::shared_ptr<Backend> backend, std::uint32_t slot_count,
                                              std::uint32_t workgroup_size_x, std::vector<OpcodeHandler> opcodes = {});
  // One fused body run for every item whose opcode is the processor's.
  static Result<Megakernel> bootstrap_jit(std::shared_ptr<Backend> backend, OpcodeHandler payload_processor,
                                          std::uint32_t slot_count = 256, std::uint32_t workgroup_size_x = 256);

  // Worker groups for a ring; QueueFull unless slot_count maps to whole groups.
  static Result<std::uint32_t> worker_groups_for_geometry(std::uint32_t slot_count, std::uint32_t workgroup_size_x);

  // The compiled pipeline's id: unique among the pipelines this backend built (a recovery
  // builds a new one).
  std::uint64_t pipeline_id() const noexcept;
  std::uint32_t slot_count() const noexcept { return m_geometry.slot_count; }
  std::uint32_t workgroup_size_x() const noexcept { return m_geometry.workgroup_size_x; }
  std::uint32_t worker_groups() const noexcept { return m_geometry.worker_groups; }
  const Geometry& geometry() const noexcept { return m_geometry; }
  // Opcode table: built-ins at 0..11, then custom opcodes in registration order.
  std::span<const std::uint32_t> opcode_table() const noexcept { return m_opcode_ids; }
  // Table index of an opcode id (custom or built-in), or NO_OPCODE_INDEX.
  std::uint32_t opcode_index(std::uint32_t opcode) const noexcept;
  const std::vector<OpcodeHandler>& handlers() const noexcept { return m_handlers; }
  Backend& backend() const noexcept { return *m_backend; }
  std::shared_ptr<Backend> backend_ptr() const noexcept { return m_backend; }
  // The compiled pipeline (what a LiveSession runs).
  std::shared_ptr<const Pipeline> pipeline() const noexcept { return m_pipeline; }

  // --- One-shot dispatch: the interpreter drains every runnable slot, then returns.
  // Borrowed inputs are copied; owned inputs are run in place and handed back.
  Result<OutputBuffers> dispatch(ConstByteSpan control, ConstByteSpan ring) const;
  Result<OutputBuffers> dispatch(Bytes&& control, Bytes&& ring) const;
  // As dispatch, with DispatchStats.
  Result<Dispatched> dispatch_observed(ConstByteSpan control, ConstByteSpan ring) const;
  Result<Dispatched> dispatch_observed(Bytes&& control, Bytes&& ring) const;
  // Into caller-owned buffers: no allocation when shapes repeat.
  Result<DispatchStats> dispatch_into(ConstByteSpan control, ConstByteSpan ring, OutputBuffers& out) const;

  // The same with a debug log (PRINTF) and an I/O queue (LOAD_MISS); either may be empty.
  // One round: a LOAD_MISS parks in WAIT_IO until the host serves the queue and
  // dispatches again (dispatch_until_idle does both).
  Result<OutputBuffers> dispatch_with_io_queue(ConstByteSpan control, ConstByteSpan ring, ConstByteSpan debug_log,
                                               ConstByteSpan io_queue) const;
  Result<OutputBuffers> dispatch_with_io_queue(Bytes&& control, Bytes&& ring, Bytes&& debug_log,
                                               Bytes&& io_queue) const;
  Result<Dispatched> dispatch_with_io_queue_observed(ConstByteSpan control, ConstByteSpan ring, ConstByteSpan debug_log,
                                                     ConstByteSpan io_queue) const;
  Result<DispatchStats> dispatch_with_io_queue_into(ConstByteSpan control, ConstByteSpan ring, ConstByteSpan debug_log,
                                                    ConstByteSpan io_queue, OutputBuffers& out) const;

  // General form every dispatch above reduces to.
  Result<DispatchStats> dispatch_input_into(const DispatchInput& input, OutputBuffers& out,
                                            std::vector<TraceEvent>* trace = nullptr) const;
  // Run in place over caller-owned buffers (validated first).
  Result<DispatchStats> dispatch_in_place(OutputBuffers& buffers, std::vector<TraceEvent>* trace = nullptr) const;

  // Dispatch, then decode every buffer strictly.
  Result<Readback> dispatch_readback(ConstByteSpan control, ConstByteSpan ring) const;
  Result<Readback> dispatch_with_io_queue_readback(ConstByteSpan control, ConstByteSpan ring, ConstByteSpan debug_log,
                                                   ConstByteSpan io_queue) const;
  Status dispatch_readback_into(const DispatchInput& input, OutputBuffers& scratch, Readback& out) const;

  // --- Bulk (Feature::CompactBatch): every item of a compact batch runs once through
  // the interpreter step, as if each had its own ring slot numbered by its index. The
  // batch and the control buffer are validated whole before any byte moves. The CUDA
  // backend copies records in chunks on several streams so upload, execution and
  // result download overlap, and brings back only RESULT words, the fault bitmap and
  // the control buffer (out.control()). Records in page-locked memory (BatchBuilder's)
  // are copied by DMA directly; others are staged through reused pinned buffers.
  Result<DispatchStats> dispatch_batch(ConstByteSpan control, const BatchView& batch, BatchOutput& out) const;

  // --- Resident: device-owned buffers (Feature::ResidentHandles); never host bytes.
  // The initial buffers are validated like a dispatch's and the opcode table stamped.
  Result<ResidentHandles> create_resident_handles(const DispatchInput& initial) const;
  // Drain the resident ring in place; nothing is copied back.
  Result<DispatchStats> dispatch_persistent_handles(ResidentHandles& handles) const;
  // The same call (the vyre family's name; both return DispatchStats).
  Result<DispatchStats> dispatch_persistent_handles_observed(ResidentHandles& handles) const;
  // Dispatch, then copy every buffer back into out.
  Result<DispatchStats> dispatch_persistent_handles_into(ResidentHandles& handles, OutputBuffers& out) const;

  // Many small submissions, each published into its slots and drained in order, run as
  // one CUDA graph per batch shape (Feature::ManyLaunch). Validated whole first.
  Result<ManyStats> dispatch_persistent_handles_many_observed(ResidentHandles& handles,
                                                              std::span<const Submission> submissions) const;
  Result<ManyStats> dispatch_persistent_handles_many_into(ResidentHandles& handles,
                                                          std::span<const Submission> submissions,
                                                          OutputBuffers& out) const;
  // As _into, then decoded into scratch.readback; no allocation when shapes repeat.
  Result<ManyStats> dispatch_persistent_handles_many_with_scratch(ResidentHandles& handles,
                                                                  std::span<const Submission> submissions,
                                                                  ManyScratch& scratch) const;

  // After a DeviceLost error: rebuild the backend's context and this megakernel's
  // pipeline. Resident handles created before come back empty (RebuiltStateLost).
  RecoveryReport recover_after_device_loss();

  // Alternate dispatch rounds and I/O service until nothing is PUBLISHED or WAIT_IO
  // (or a round makes no progress). Buffers are updated in place.
  Result<DispatchStats> dispatch_until_idle(OutputBuffers& buffers, const IoSources& sources,
                                            std::uint32_t max_rounds = 1u << 20) const;

 private:
  Megakernel(std::shared_ptr<Backend> backend, PipelineSpec spec, std::shared_ptr<const Pipeline> pipeline);
  static Result<Megakernel> build(std::shared_ptr<Backend> backend, Geometry geometry,
                                  std::vector<OpcodeHandler> handlers, std::optional<std::uint32_t> processor);

  std::shared_ptr<Backend> m_backend;
  Geometry m_geometry;
  std::vector<OpcodeHandler> m_handlers;
  std::vector<std::uint32_t> m_opcode_ids;
  std::shared_ptr<const Pipeline> m_pipeline;
  PipelineSpec m_spec;  // to rebuild the pipeline after device loss
  // The last DeviceLost error a dispatch returned (shared by copies of this object).
  struct LossRecord;
  std::shared_ptr<LossRecord> m_loss;
  template <class T>
  Result<T> note_loss(Result<T> result) const;
};

// Decode a dispatch's buffers strictly (every header validated).
Status try_decode_readback(const OutputBuffers& buffers, Readback& out);

}  // namespace mk
