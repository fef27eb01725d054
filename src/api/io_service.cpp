// Host servicing of I/O requests and the dispatch_until_idle loop.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "api/bounds_watch.h"
#include "api/clock.h"
#include "mk/dispatch_limits.h"
#include "mk/io.h"
#include "mk/megakernel.h"

namespace mk {

Result<std::vector<IoRequest>> poll_io_requests(ConstByteSpan io_queue) {
  auto view = try_read_io_requests(io_queue);
  if (!view) return cuda::std::unexpected(std::move(view.error()));
  std::vector<IoRequest> pending;
  for (const auto& r : view->requests)
    if (r.status == abi::IO_STATUS_REQUESTED) pending.push_back(r);
  std::sort(pending.begin(), pending.end(),
            [](const IoRequest& a, const IoRequest& b) { return a.ring_slot < b.ring_slot; });
  return pending;
}

std::string io_request_problem(const IoRequest& request, const IoSources& sources, std::uint32_t observable_count) {
  if (request.op != abi::IO_OP_READ)
    return "I/O op " + std::to_string(request.op) + " is not READ (only reads are served)";
  if (!sources.contains(request.source)) return "I/O source " + std::to_string(request.source) + " is not registered";
  const auto size = sources.size(request.source);
  if (size && (request.offset > *size || request.byte_count > *size - request.offset))
    return "read of " + std::to_string(request.byte_count) + " bytes at offset " + std::to_string(request.offset) +
           " runs past the end of I/O source " + std::to_string(request.source) + " (" + std::to_string(*size) +
           " bytes)";
  const std::uint64_t word_count = (static_cast<std::uint64_t>(request.byte_count) + 3) / 4;
  if (request.dest > observable_count || word_count > observable_count - request.dest)
    return std::to_string(word_count) + " destination words at observable " + std::to_string(request.dest) +
           " run past the " + std::to_string(observable_count) + " observables";
  return "";
}

Status complete_io_request(ByteSpan control, ByteSpan io_queue, const IoRequest& request, const IoSources& sources) {
  auto header = try_validate_control(control);
  if (!header) return cuda::std::unexpected(std::move(header.error()));
  auto words = try_as_words(control, "control");
  if (!words) return cuda::std::unexpected(std::move(words.error()));

  // Decide OK or ERROR; the request's fields are untrusted (written by device code).
  bool ok = io_request_problem(request, sources, header->observable_count).empty();
  const std::uint64_t word_count = (static_cast<std::uint64_t>(request.byte_count) + 3) / 4;
  std::vector<std::byte> bytes;
  if (ok) {
    bytes.resize(static_cast<std::size_t>(word_count) * 4, std::byte{0});
    ok = static_cast<bool>(sources.read(request.source, request.offset, std::span(bytes.data(), request.byte_count)));
  }
  if (ok) {
    // Little-endian words, trailing partial word zero-padded (bytes was zero-filled).
    for (std::uint64_t w = 0; w < word_count; ++w) {
      std::uint32_t v = 0;
      std::memcpy(&v, bytes.data() + w * 4, 4);
      (*words)[abi::CTRL_OBSERVABLES + request.dest + w] = v;
    }
  }
  return try_complete_io_request(io_queue, request.index, ok, ok ? request.byte_count : 0);
}

Result<std::uint32_t> complete_io_requests(ByteSpan control, ByteSpan io_queue, const IoSources& sources) {
  auto pending = poll_io_requests(io_queue);
  if (!pending) return cuda::std::unexpected(std::move(pending.error()));
  for (const auto& r : *pending) MK_TRY(complete_io_request(control, io_queue, r, sources));
  return static_cast<std::uint32_t>(pending->size());
}

namespace {

// Slots still holding work: PUBLISHED, CLAIMED, WAIT_IO, YIELD or REQUEUE.
std::uint32_t unsettled_slots(const Bytes& ring) {
  std::uint32_t n = 0;
  for (std::size_t off = 0; off + abi::SLOT_BYTES <= ring.size(); off += abi::SLOT_BYTES) {
    std::uint32_t status = 0;
    std::memcpy(&status, ring.data() + off + abi::SLOT_STATUS * abi::WORD_BYTES, 4);
    n += abi::slot_settled(status) ? 0u : 1u;
  }
  return n;
}

std::uint32_t control_word(const Bytes& control, std::uint32_t index) {
  std::uint32_t value = 0;
  if (index < control.size() / 4) std::memcpy(&value, control.data() + index * abi::WORD_BYTES, 4);
  return value;
}

void add_round(DispatchStats& total, const DispatchStats& round) {
  ++total.rounds;
  total.device_ns += round.device_ns;
  total.device_ns_known = round.device_ns_known;
  total.bytes_up += round.bytes_up;
  total.bytes_down += round.bytes_down;
  total.items_done += round.items_done;
  total.sweeps += round.sweeps;
}

// The bound that holds before a round starts (Idle: none yet).
DispatchStop bound_reached(const DispatchLimits& limits, const DispatchStats& total) {
  if (limits.deadline && std::chrono::steady_clock::now() >= *limits.deadline) return DispatchStop::Deadline;
  if (limits.max_sweeps != 0 && total.sweeps >= limits.max_sweeps) return DispatchStop::SweepBudget;
  return DispatchStop::Idle;
}

}  // namespace

std::string_view to_string(DispatchStop stop) noexcept {
  switch (stop) {
    case DispatchStop::Idle:
      return "idle";
    case DispatchStop::Deadline:
      return "deadline";
    case DispatchStop::SweepBudget:
      return "sweep budget";
  }
  return "unknown";
}

Result<BoundedDispatch> dispatch_until_idle(const Megakernel& mk, OutputBuffers& buffers, const IoSources& sources,
                                            const DispatchLimits& limits, std::uint32_t max_rounds) {
  const auto start = std::chrono::steady_clock::now();
  const bool bounded = limits.deadline.has_value() || limits.max_sweeps != 0;
  BoundedDispatch out;
  DispatchStats& total = out.stats;
  total.rounds = 0;
  while (total.rounds < max_rounds) {
    if (bounded && (out.stop = bound_reached(limits, total)) != DispatchStop::Idle) break;
    std::optional<detail::BoundsWatch> watch;
    // The watch writes SHUTDOWN into the control words the CPU backend runs over; a
    // control buffer too short for a header is refused by dispatch_in_place first.
    if (bounded && buffers.control.size() >= abi::CTRL_OBSERVABLES * abi::WORD_BYTES) {
      std::optional<std::uint64_t> left;
      if (limits.max_sweeps != 0) left = limits.max_sweeps - total.sweeps;
      watch.emplace(reinterpret_cast<std::uint32_t*>(buffers.control.data()), limits.deadline, left);
    }
    auto round = mk.dispatch_in_place(buffers);
    if (watch) out.stop = watch->finish();
    if (!round) return cuda::std::unexpected(std::move(round.error()));
    add_round(total, *round);
    if (out.stop != DispatchStop::Idle) break;
    std::uint32_t served = 0;
    if (!buffers.io_queue.empty()) {
      auto n = complete_io_requests(ByteSpan(buffers.control), ByteSpan(buffers.io_queue), sources);
      if (!n) return cuda::std::unexpected(std::move(n.error()));
      served = *n;
    }
    if (unsettled_slots(buffers.ring) == 0) break;
    // Nothing served and nothing finished: what is left can never run (a fence over a
    // fence, a shutdown, a full queue nobody drains).
    if (served == 0 && round->items_done == 0) break;
    if (control_word(buffers.control, abi::CTRL_SHUTDOWN) != 0) break;
  }
  total.wall_ns = detail::elapsed_ns(start);
  return out;
}

Result<DispatchStats> Megakernel::dispatch_until_idle(OutputBuffers& buffers, const IoSources& sources,
                                                      std::uint32_t max_rounds) const {
  auto run = mk::dispatch_until_idle(*this, buffers, sources, DispatchLimits{}, max_rounds);
  if (!run) return cuda::std::unexpected(std::move(run.error()));
  return run->stats;
}

}  // namespace mk
