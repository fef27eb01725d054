// The resume scan of an isolated live ring (live_resume.h).
#include "isolate/live_resume.h"

#include <atomic>
#include <cstdio>
#include <set>

#include "interp/wire.h"
#include "mk/abi.h"

namespace mk::isolate {
namespace {

std::uint64_t load_record(const std::uint64_t& r) {
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(r)).load(std::memory_order_acquire);
}

// The full lap whose tag is `tag` (1..WIRE_TAG_LAPS) nearest to `reference`.
std::uint32_t lap_of_tag(std::uint32_t tag, std::uint64_t reference) {
  constexpr std::int64_t LAPS = abi::WIRE_TAG_LAPS;
  const auto ref = static_cast<std::int64_t>(reference);
  const std::int64_t low = (tag - 1) & (LAPS - 1);
  std::int64_t lap = (ref & ~(LAPS - 1)) + low;
  if (lap - ref > LAPS / 2) lap -= LAPS;
  if (ref - lap > LAPS / 2) lap += LAPS;
  return static_cast<std::uint32_t>(lap < 0 ? low : lap);
}

}  // namespace

ResumeScan scan_live_ring(std::span<const std::uint32_t> ring, std::span<const std::uint64_t> completions,
                          std::uint32_t slot_count, std::uint64_t published) {
  ResumeScan scan;
  scan.first_laps.assign(slot_count, 0);
  const std::uint64_t reference = published / slot_count;
  for (std::uint32_t s = 0; s < slot_count; ++s) {
    const std::uint64_t record = load_record(completions[std::size_t{s} * abi::WIRE_COMPLETION_STRIDE]);
    const auto low = static_cast<std::uint32_t>(record);
    const std::uint32_t status = low & abi::WIRE_TAG_MASK, tag = low >> abi::WIRE_COMPLETION_TAG_SHIFT;
    const bool any = tag != 0 && (status == abi::STATUS_DONE || status == abi::STATUS_FAULT);
    const std::uint32_t next = any ? lap_of_tag(tag, reference) + 1 : 0;
    // Chunk 0 first with acquire: a producer stores it last.
    std::uint32_t w[abi::SLOT_WORDS];
    const std::uint32_t* line = ring.data() + std::size_t{s} * abi::SLOT_WORDS;
    w[0] = std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(line[0])).load(std::memory_order_acquire);
    for (std::uint32_t i = 1; i < abi::SLOT_WORDS; ++i)
      w[i] = std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(line[i])).load(std::memory_order_relaxed);
    scan.first_laps[s] = next;
    if (interp::wire_classify(w, next) == interp::WireRead::Ready)
      scan.unfinished.push_back(std::uint64_t{next} * slot_count + s);
  }
  return scan;
}

std::uint64_t mark_lost(std::span<std::uint64_t> completions, std::uint32_t slot_count, ResumeScan& scan) {
  for (const std::uint64_t p : scan.unfinished) {
    const auto slot = static_cast<std::uint32_t>(p % slot_count);
    const auto lap = static_cast<std::uint32_t>(p / slot_count);
    std::atomic_ref<std::uint64_t>(completions[std::size_t{slot} * abi::WIRE_COMPLETION_STRIDE])
        .store(interp::wire_completion(lap, abi::STATUS_FAULT, abi::FAULT_DEVICE_LOST), std::memory_order_release);
    scan.first_laps[slot] = lap + 1;
  }
  const std::uint64_t n = scan.unfinished.size();
  scan.unfinished.clear();
  return n;
}

std::string describe_unfinished(std::span<const std::uint32_t> ring, std::uint32_t slot_count, const ResumeScan& scan) {
  const std::size_t n = scan.unfinished.size();
  if (n == 0) return "no live items in flight";
  std::set<std::uint32_t> tenants;
  std::string items;
  std::size_t named = 0;
  for (const std::uint64_t p : scan.unfinished) {
    // Atomic loads: producers store these words atomically (ThreadSanitizer builds).
    const std::uint32_t* line = ring.data() + std::size_t(p % slot_count) * abi::SLOT_WORDS;
    std::uint32_t w[abi::SLOT_WORDS];
    for (std::uint32_t i = 0; i < abi::SLOT_WORDS; ++i)
      w[i] = std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(line[i])).load(std::memory_order_relaxed);
    const std::uint32_t tenant = interp::wire_tenant(w), opcode = interp::wire_opcode(w);
    tenants.insert(tenant);
    if (named++ < 4) {
      char text[96];
      std::snprintf(text, sizeof text, "position %llu (tenant %u, opcode 0x%X)", static_cast<unsigned long long>(p),
                    tenant, opcode);
      items += (items.empty() ? "" : ", ") + std::string(text);
    }
  }
  if (n > 4) items += ", ...";
  std::string who;
  for (std::uint32_t t : tenants) who += (who.empty() ? "" : ", ") + std::to_string(t);
  return std::to_string(n) + (n == 1 ? " live item" : " live items") + " in flight (" +
         (tenants.size() == 1 ? "tenant " : "tenants ") + who + "): " + items;
}

}  // namespace mk::isolate
