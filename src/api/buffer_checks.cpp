// Dispatch-time buffer validation: a backend only ever sees consistent headers.
#include "api/buffer_checks.h"

#include <string>

#include "protocol/detail.h"

namespace mk::detail {

// The protocol's decoders are the one header validator: a backend sees a buffer only
// when the same checks read_* applies accepted it.
Status validate_debug_log_words(ConstWordSpan log) {
  if (log.empty()) return {};
  auto header = debug_log_header(log);
  if (!header) return error_of(header);
  return {};
}

Status validate_io_queue_words(ConstWordSpan io) {
  if (io.empty()) return {};
  auto capacity = io_queue_capacity(io);
  if (!capacity) return error_of(capacity);
  return {};
}

Status validate_ring_words(ConstWordSpan ring, std::uint32_t slot_count) {
  const std::uint64_t need = static_cast<std::uint64_t>(slot_count) * abi::SLOT_WORDS;
  if (ring.size() != need)
    return fail(ErrorKind::InvalidArgument,
                "ring has " + std::to_string(ring.size() / abi::SLOT_WORDS) + " slots (" + std::to_string(ring.size()) +
                    " words) but the megakernel was bootstrapped for " + std::to_string(slot_count) + " slots",
                "encode the ring with encode_empty_ring(" + std::to_string(slot_count) +
                    ") or bootstrap_sharded with the ring's slot count");
  return {};
}

}  // namespace mk::detail
