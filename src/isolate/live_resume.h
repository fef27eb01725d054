// Resuming an isolated live session on a restarted worker: which ring positions the dead
// worker left unfinished, where each slot's lanes start again, and marking items lost.
// Pure functions over the shared ring's completion records (unit-tested without a worker).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mk::isolate {

struct ResumeScan {
  // Slot s's first lap to run: the unfinished item's lap (to replay it) or the next one.
  std::vector<std::uint32_t> first_laps;
  // Positions below `published` without a completion record of their lap, ascending by slot.
  std::vector<std::uint64_t> unfinished;
};

// Every position below `published` (all published) is finished unless its slot's record
// lacks its lap. At most one position per slot can be unfinished: a slot is rewritten only
// after its previous item was collected and reclaimed.
ResumeScan scan_live_ring(std::span<const std::uint64_t> completions, std::uint32_t slot_count,
                          std::uint64_t published);

// Write FAULT / FAULT_DEVICE_LOST records for every unfinished position (release stores, so
// the session's collector reads them like any other record) and move their slots' first
// laps past them. Returns how many were marked.
std::uint64_t mark_lost(std::span<std::uint64_t> completions, std::uint32_t slot_count, ResumeScan& scan);

// "3 items (tenants 0, 2): position 17 (tenant 0, opcode 0x2), ..." from the wire slots.
std::string describe_unfinished(std::span<const std::uint32_t> ring, std::uint32_t slot_count, const ResumeScan& scan);

}  // namespace mk::isolate
