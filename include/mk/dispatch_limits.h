// Whole-dispatch bounds: a wall-clock deadline and a sweep budget for dispatch_until_idle.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mk/error.h"
#include "mk/io.h"
#include "mk/megakernel.h"

namespace mk {

// Bounds on one dispatch_until_idle call, all rounds together. The per-item step budget
// (STEP_BUDGET) bounds one run of one item; these bound the whole job.
struct DispatchLimits {
  // Stop once the wall clock passes this point.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Stop once this many interpreter sweeps over the ring ran (0: no budget). A sweep runs
  // each runnable slot at most once, and one run is bounded by the per-item step budget,
  // so the whole job does at most max_sweeps x slot_count item runs.
  std::uint64_t max_sweeps = 0;
};

enum class DispatchStop {
  Idle,         // nothing runnable is left (the plain dispatch_until_idle outcome)
  Deadline,     // DispatchLimits::deadline passed
  SweepBudget,  // DispatchLimits::max_sweeps ran
};
std::string_view to_string(DispatchStop stop) noexcept;

struct BoundedDispatch {
  DispatchStats stats;
  DispatchStop stop = DispatchStop::Idle;
};

// dispatch_until_idle with whole-job bounds. When a bound trips, the buffers hold the
// state at the stop (items not yet run stay PUBLISHED or REQUEUE, stores already made
// stay) and `stop` says which bound; that is a result, not an error.
// On the CPU backend a bound also ends a running dispatch at its next sweep boundary:
// a host thread sets SHUTDOWN in the control buffer and clears it again before this
// returns. Other backends copy the buffers to the device, so there the bounds are
// checked between dispatch rounds only.
Result<BoundedDispatch> dispatch_until_idle(const Megakernel& mk, OutputBuffers& buffers, const IoSources& sources,
                                            const DispatchLimits& limits, std::uint32_t max_rounds = 1u << 20);

}  // namespace mk
