// Test-only hooks into live sessions (not installed): freezing an engine's lanes, forging ring writes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "mk/abi.h"
#include "mk/backend.h"
#include "mk/device_set.h"
#include "mk/live.h"

namespace mk::detail {

// A live engine that can freeze its lanes (no heartbeat, no progress) until resumed, as a
// hung kernel would. Engines implement it beside LiveEngine; the public interface has no
// test hooks.
class StallableLiveEngine {
 public:
  virtual void set_stalled(bool stalled) noexcept = 0;

 protected:
  ~StallableLiveEngine() = default;
};

// False when `engine` has no stall hook.
inline bool set_engine_stalled(LiveEngine& engine, bool stalled) noexcept {
  auto* stallable = dynamic_cast<StallableLiveEngine*>(&engine);
  if (stallable != nullptr) stallable->set_stalled(stalled);
  return stallable != nullptr;
}

// LiveSession's friend for the hooks below.
struct LiveTestAccess {
  static void inject_stall(LiveSession& session, bool stalled);
};

// DeviceSet's friend for device_set_test_inject_stall.
struct DeviceSetTestAccess {
  static void inject_stall(DeviceSet& set, std::uint32_t member, bool stalled);
};

}  // namespace mk::detail

namespace mk {

// Stop (true) or resume (false) the kernel's lanes without stopping it, as a hung kernel
// would; HEARTBEAT and DONE_COUNT freeze so the watchdog fires.
inline void live_test_inject_stall(LiveSession& session, bool stalled) {
  detail::LiveTestAccess::inject_stall(session, stalled);
}

// live_test_inject_stall on one DeviceSet member's session, so its watchdog fires.
inline void device_set_test_inject_stall(DeviceSet& set, std::uint32_t member, bool stalled) {
  detail::DeviceSetTestAccess::inject_stall(set, member, stalled);
}

// Forge what a producer writes into the ring, chunk by chunk, to prove that torn and stale
// slots are never run.
struct LiveTestWire {
  // Reserve ring positions and register a ticket for `items` like submit, and let the
  // lanes look at them, but write nothing into the ring.
  static Result<Ticket> reserve(LiveSession& session, std::span<const WorkItem> items);
  // The 16 wire words `item` would have at ring position `position` with lap `lap`
  // (position / slot_count for a real publish; another lap forges a stale slot).
  static std::array<std::uint32_t, abi::SLOT_WORDS> words(const LiveSession& session, const WorkItem& item,
                                                          std::uint32_t lap);
  // Store chunk `chunk` (0..3) of `words` into the slot of `position` (one 16-byte store).
  static void store_chunk(LiveSession& session, std::uint64_t position, unsigned chunk,
                          const std::array<std::uint32_t, abi::SLOT_WORDS>& words);
};

}  // namespace mk
