// Host side of the live wire format (interp/wire.h): publish an item's tagged 16-byte
// chunks into a ring slot, and read a slot's completion record.
#pragma once

#include <array>
#include <cstdint>

#include "mk/protocol.h"

namespace mk::detail {

using WireWords = std::array<std::uint32_t, abi::SLOT_WORDS>;

// The wire words of `item` at lap `lap` (arguments past arg_count are zero).
WireWords live_wire_words(const WorkItem& item, std::uint32_t lap);

// Publish `item` into the 64-byte-aligned `slot`: chunks 3, 2, 1, then chunk 0, each one
// aligned 16-byte store (MOVDQA: single-copy atomic on x86 CPUs with AVX, Intel SDM vol. 3A
// 9.1.1). A reader that sees chunk 0's tag on a TSO CPU sees the other chunks too; the GPU,
// whose four 16-byte loads are not ordered among themselves, checks every chunk's tag.
void live_wire_publish(std::uint32_t* slot, const WorkItem& item, std::uint32_t lap);

// Store one chunk (0..3) of `words` into `slot` with one 16-byte store (tests forge torn
// and stale slots with it).
void live_wire_store_chunk(std::uint32_t* slot, unsigned chunk, const WireWords& words);

// The slot's completion record (acquire: RESULT and STATUS come with it).
std::uint64_t live_wire_completion(const std::uint64_t* record);

}  // namespace mk::detail
