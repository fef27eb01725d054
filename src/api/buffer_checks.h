// Validation of dispatch buffers before a backend touches them.
#pragma once

#include <vector>

#include "mk/backend.h"
#include "mk/protocol.h"

namespace mk::detail {

// Header + size checks of a debug log / I/O queue (empty spans are "none" and pass).
Status validate_debug_log_words(ConstWordSpan log);
Status validate_io_queue_words(ConstWordSpan io);
// The ring holds exactly `slot_count` slots.
Status validate_ring_words(ConstWordSpan ring, std::uint32_t slot_count);

}  // namespace mk::detail

namespace mk {
class Megakernel;
struct OutputBuffers;
namespace detail {
// Validate a dispatch's buffers for `mk` and stamp its opcode table (megakernel.cpp).
Result<BufferSet> validated_buffers(OutputBuffers& buffers, const Megakernel& mk, std::vector<TraceEvent>* trace);
}  // namespace detail
}  // namespace mk
