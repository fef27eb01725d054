// LiveSession::submit(const BatchView&): a compact batch validated whole, cut into chunks
// that take one ring position each (a descriptor item, abi.h OP_LIVE_BATCH_CHUNK) with
// their records copied into the session's arena; and the collection of a chunk's RESULT
// words and fault bits back out of the arena into its ticket.
#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "api/live_state.h"
#include "api/live_wire.h"
#include "api/ring_cursor.h"
#include "interp/wire.h"

namespace mk::detail {
namespace {

// A batch's chunks and their arena regions, in ring order. A region never straddles the
// arena's end: one that would starts at the next lap instead (the words skipped are
// freed with it, since release goes by each region's end).
struct ChunkPlan {
  std::uint32_t count = 0;
  std::uint32_t chunk_items = 0;
  std::uint32_t stride = 0;
  std::uint64_t arena_words = 0;

  std::uint32_t chunks() const { return count / chunk_items + (count % chunk_items != 0 ? 1u : 0u); }
  std::uint32_t items(std::uint32_t k) const { return std::min(chunk_items, count - k * chunk_items); }
  std::uint64_t words(std::uint32_t k) const { return abi::live_batch_region_words(items(k), stride); }
  // Arena position where chunk k's region starts when the previous one ended at `at`.
  std::uint64_t place(std::uint64_t at, std::uint32_t k) const {
    const std::uint64_t offset = at % arena_words;
    return offset + words(k) > arena_words ? at + (arena_words - offset) : at;
  }
  // Arena position just past the last region when the first is placed at `at`.
  std::uint64_t end(std::uint64_t at) const {
    for (std::uint32_t k = 0; k < chunks(); ++k) at = place(at, k) + words(k);
    return at;
  }
  // Words of every region without the skips. Plus one full region, it bounds what the batch
  // can take (at most one skip, shorter than a region), so a batch within it always fits
  // an empty arena.
  std::uint64_t unpadded() const {
    const std::uint32_t n = chunks();
    return std::uint64_t{n - 1} * words(0) + words(n - 1);
  }
};

Status check_fits(const LiveState& s, const BatchView& batch, const ChunkPlan& plan) {
  if (plan.chunks() > s.slot_count)
    return fail(ErrorKind::InvalidArgument,
                "a compact batch of " + std::to_string(batch.count) + " items takes " + std::to_string(plan.chunks()) +
                    " chunks of at most " + std::to_string(plan.chunk_items) + " items, more than the live ring's " +
                    std::to_string(s.slot_count) + " slots",
                "split the batch, or start the session with a larger LiveOptions::slot_count");
  if (plan.unpadded() + plan.words(0) > s.arena.size())
    return fail(ErrorKind::InvalidArgument,
                "a compact batch of " + std::to_string(batch.count) + " items of " + std::to_string(plan.stride) +
                    " words needs up to " + std::to_string(plan.unpadded() + plan.words(0)) +
                    " arena words, the session's arena holds " + std::to_string(s.arena.size()),
                "split the batch, or start the session with a larger LiveOptions::compact_arena_bytes");
  return {};
}

// Items of each tenant, for the quota (the batch was validated: tenants are below 64).
std::array<std::uint32_t, abi::MAX_TENANTS> items_per_tenant(const BatchView& batch) {
  std::array<std::uint32_t, abi::MAX_TENANTS> per_tenant{};
  if (!batch.shape.per_item_tenant) {
    per_tenant[batch.shape.tenant] = batch.count;
    return per_tenant;
  }
  const std::uint32_t stride = batch.shape.stride();
  const std::uint32_t at = batch.shape.per_item_opcode ? 1u : 0u;
  for (std::uint32_t i = 0; i < batch.count; ++i) ++per_tenant[batch.records[std::size_t{i} * stride + at]];
  return per_tenant;
}

WorkItem descriptor(const BatchView& batch, std::uint32_t region, std::uint32_t items, std::uint32_t first_item) {
  WorkItem d;
  d.opcode = abi::OP_LIVE_BATCH_CHUNK;
  d.tenant = 0;
  d.arg_count = abi::LIVE_BATCH_ARG_WORDS;
  d.args[abi::LIVE_BATCH_ARG_REGION] = region;
  d.args[abi::LIVE_BATCH_ARG_COUNT] = items;
  d.args[abi::LIVE_BATCH_ARG_FLAGS] = batch.shape.flags();
  d.args[abi::LIVE_BATCH_ARG_OPCODE] = batch.shape.per_item_opcode ? 0u : batch.shape.opcode;
  d.args[abi::LIVE_BATCH_ARG_TENANT] = batch.shape.per_item_tenant ? 0u : batch.shape.tenant;
  d.args[abi::LIVE_BATCH_ARG_ARG_COUNT] = batch.shape.arg_count;
  d.args[abi::LIVE_BATCH_ARG_FIRST_ITEM] = first_item;
  return d;
}

}  // namespace

Result<std::shared_ptr<TicketState>> submit_batch_to(LiveState& s, const BatchView& batch) {
  MK_TRY(s.failure_status());
  const LiveState::SubmitScope in_submit(s.active_submits);
  MK_TRY(s.submit_open());
  // The engine says whether it runs compact chunks at all (CUDA and isolated engines: not yet).
  MK_TRY(s.engine->compact_support());
  if (s.arena.empty())
    return fail(ErrorKind::InvalidArgument, "this live session has no compact arena (compact_arena_bytes was 0)",
                "start the session with LiveOptions::compact_arena_bytes > 0 to submit compact batches");
  if (batch.count == 0)
    return fail(ErrorKind::InvalidArgument, "submit got an empty compact batch", "pass at least one item");
  // Whole, before anything is reserved: shape, count, record words, every opcode and tenant.
  MK_TRY(try_validate_batch(batch, s.opcode_table, s.tenant_count));
  const std::uint32_t stride = batch.shape.stride();
  const ChunkPlan plan{batch.count, abi::live_batch_chunk_items(stride), stride, s.arena.size()};
  MK_TRY(check_fits(s, batch, plan));
  const std::uint32_t chunks = plan.chunks();

  const bool quotas = s.quota < s.slot_count;
  std::array<std::uint32_t, abi::MAX_TENANTS> per_tenant{};
  if (quotas) {
    per_tenant = items_per_tenant(batch);
    MK_TRY(s.take_quota(per_tenant));
  }

  // Everything that can fail is done before the reservation (see submit_to).
  auto ticket = std::make_shared<TicketState>();
  ticket->owner = s.id;
  ticket->count = batch.count;
  ticket->positions = chunks;
  ticket->chunk_items = plan.chunk_items;
  ticket->stride = stride;
  ticket->remaining.store(chunks, std::memory_order_relaxed);
  ticket->batch_words =
      std::make_unique_for_overwrite<std::uint32_t[]>(std::size_t{batch.count} + abi::batch_fault_words(batch.count));
  if (quotas) ticket->quota_charge = std::make_unique<std::array<std::uint32_t, abi::MAX_TENANTS>>(per_tenant);

  // Positions and arena regions are reserved together under one lock, so regions follow
  // ring order: the harvester, walking positions in order, frees them in order.
  std::unique_lock<std::mutex> lock(s.compact_mutex);
  const std::uint64_t arena_start = s.arena_tail;
  const std::uint64_t arena_need = plan.end(arena_start) - arena_start;
  auto reserved = s.reserve(chunks, arena_need);
  if (!reserved) {
    lock.unlock();
    if (quotas) s.give_quota(per_tenant);
    return cuda::std::unexpected(std::move(reserved.error()));
  }
  s.arena_tail = arena_start + arena_need;
  lock.unlock();

  const std::uint64_t pos = *reserved;
  ticket->first = pos;
  ticket->in_flight = ticket;
  RingCursor ring_at = RingCursor::at(pos, s.slot_count);
  std::uint64_t at = arena_start;
  for (std::uint32_t k = 0; k < chunks; ++k) {
    const std::uint32_t n = plan.items(k);
    const std::uint32_t first_item = k * plan.chunk_items;
    const std::uint64_t region = plan.place(at, k);
    at = region + plan.words(k);
    const auto offset = static_cast<std::uint32_t>(region % s.arena.size());
    // Records first: the descriptor's chunk 0 is stored last, so a lane that reads the
    // descriptor whole (and acquires it) sees them.
    if (stride != 0)
      std::memcpy(s.arena.data() + offset, batch.records.data() + std::size_t{first_item} * stride,
                  std::size_t{n} * stride * sizeof(std::uint32_t));
    s.slot_ticket[ring_at.slot].store(ticket.get(), std::memory_order_relaxed);
    s.slot_tenant[ring_at.slot] = LiveState::NO_TENANT;  // the ticket's quota_charge covers every item
    s.slot_arena_end[ring_at.slot] = at;
    live_wire_publish(s.ring.data() + std::size_t{ring_at.slot} * abi::SLOT_WORDS,
                      descriptor(batch, offset, n, first_item), ring_at.lap);
    ring_at.advance();
  }
  s.ring_doorbell(pos, chunks);
  s.submitted_items.fetch_add(batch.count, std::memory_order_relaxed);
  return ticket;
}

std::uint32_t LiveState::collect_chunks(TicketState& ticket, std::uint32_t first) {
  std::uint32_t c = first, faults = 0;
  const std::uint64_t p = ticket.first + c;
  RingCursor at = RingCursor::at(p, slot_count);
  std::uint32_t* results = ticket.batch_words.get();
  std::uint32_t* fault_bits = results + ticket.count;
  while (c < ticket.positions) {
    const std::uint64_t record =
        live_wire_completion(completions.data() + std::size_t{at.slot} * abi::WIRE_COMPLETION_STRIDE);
    if (!interp::wire_completed(record, at.lap)) break;
    const std::uint32_t first_item = c * ticket.chunk_items;
    const std::uint32_t n = std::min(ticket.chunk_items, ticket.count - first_item);
    const std::uint32_t words = abi::batch_fault_words(n);
    std::uint32_t* bits = fault_bits + first_item / 32u;  // chunks hold whole fault words
    if (interp::wire_completion_status(record) == abi::STATUS_DONE) {
      // The record was read with acquire and the lane stored it after the results.
      const std::uint64_t region =
          (slot_arena_end[at.slot] - abi::live_batch_region_words(n, ticket.stride)) % arena.size();
      const std::uint32_t* from = arena.data() + region + abi::live_batch_results_offset(n, ticket.stride);
      std::memcpy(results + first_item, from, std::size_t{n} * sizeof(std::uint32_t));
      std::memcpy(bits, from + n, std::size_t{words} * sizeof(std::uint32_t));
    } else {
      // The lanes refused the descriptor itself (never one the session wrote): every item
      // of the chunk carries its fault code.
      std::fill_n(results + first_item, n, interp::wire_completion_result(record));
      for (std::uint32_t w = 0; w < words; ++w) bits[w] = n - 32u * w >= 32u ? ~0u : (1u << (n - 32u * w)) - 1u;
    }
    for (std::uint32_t w = 0; w < words; ++w) faults += static_cast<std::uint32_t>(std::popcount(bits[w]));
    ++c;
    at.advance();
  }
  publish_collected(ticket, first, c, faults);
  return c - first;
}

}  // namespace mk::detail
