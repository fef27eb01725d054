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
  // Also the number of the slot's items that have their results, so their sum re-bases
  // DONE_COUNT.
  std::vector<std::uint32_t> first_laps;
  // Positions whose item is published whole but has no completion record: the dead worker
  // may have run them, partly or fully. At most one per slot (a slot is rewritten only
  // after its previous item was collected and reclaimed), ascending by slot.
  std::vector<std::uint64_t> unfinished;
};

// Per slot, from the tags alone: the completion record says the last finished lap L (none:
// -1), the wire slot says whether lap L + 1 is published whole (Ready), not yet (Idle) or
// being written (torn: not published, so not started). Tags carry a lap modulo 32768;
// `published` (the doorbell, within a few laps of every slot's current position) gives the
// full lap. Run after the worker is gone: nothing else writes records then.
ResumeScan scan_live_ring(std::span<const std::uint32_t> ring, std::span<const std::uint64_t> completions,
                          std::uint32_t slot_count, std::uint64_t published);

// Write FAULT / FAULT_DEVICE_LOST records for every unfinished position (release stores, so
// the session's collector reads them like any other record) and move their slots' first
// laps past them. Returns how many were marked.
std::uint64_t mark_lost(std::span<std::uint64_t> completions, std::uint32_t slot_count, ResumeScan& scan);

// "3 items (tenants 0, 2): position 17 (tenant 0, opcode 0x2), ..." from the wire slots.
std::string describe_unfinished(std::span<const std::uint32_t> ring, std::uint32_t slot_count, const ResumeScan& scan);

}  // namespace mk::isolate
