// Strict decoding of a dispatch's buffers into a Readback.
#include "mk/megakernel.h"

namespace mk {

Status try_decode_readback(const OutputBuffers& buffers, Readback& out) {
  const ConstByteSpan control(buffers.control);
  auto header = try_validate_control(control);
  if (!header) return cuda::std::unexpected(std::move(header.error()));
  auto words = try_as_words(control, "control");
  if (!words) return cuda::std::unexpected(std::move(words.error()));
  out.done_count = (*words)[abi::CTRL_DONE_COUNT];
  out.epoch = (*words)[abi::CTRL_EPOCH];
  out.last_fence_tag = (*words)[abi::CTRL_LAST_FENCE_TAG];
  out.fault_count = (*words)[abi::CTRL_FAULT_COUNT];
  out.shutdown = (*words)[abi::CTRL_SHUTDOWN];
  auto observables = words->subspan(abi::CTRL_OBSERVABLES, header->observable_count);
  out.observables.assign(observables.begin(), observables.end());
  MK_TRY(try_read_metrics_into(control, out.metrics));
  out.tenants.clear();
  for (std::uint32_t t = 0; t < header->tenant_count; ++t) {
    auto counters = try_read_tenant_counters(control, t);
    if (!counters) return cuda::std::unexpected(std::move(counters.error()));
    out.tenants.push_back(*counters);
  }
  auto slots = try_read_slots(ConstByteSpan(buffers.ring));
  if (!slots) return cuda::std::unexpected(std::move(slots.error()));
  out.slots = std::move(*slots);
  if (!buffers.debug_log.empty()) {
    MK_TRY(try_read_debug_log_into(ConstByteSpan(buffers.debug_log), out.debug_log, DecodeMode::Strict));
  } else {
    out.debug_log = DebugLog{};
  }
  if (!buffers.io_queue.empty()) {
    auto io = try_read_io_requests(ConstByteSpan(buffers.io_queue));
    if (!io) return cuda::std::unexpected(std::move(io.error()));
    out.io = std::move(*io);
  } else {
    out.io = IoQueueView{};
  }
  return {};
}

}  // namespace mk
