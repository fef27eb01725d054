// Chrome/Perfetto trace JSON from per-slot TraceEvents: one track per lane, one "X" event per step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "job.h"
#include "mk/backend.h"

namespace mk::cli {

// A traced step and the dispatch round (dispatch_in_place call) it ran in.
struct RoundTraceEvent {
  TraceEvent event;
  std::uint32_t round = 0;
};

// {"traceEvents": [...], "displayTimeUnit": "ns", "otherData": {...}}: metadata events
// naming the process and each lane's track, then "X" complete events named by opcode
// with args slot, status, round. Timestamps are microseconds from the first claim.
nlohmann::json trace_json(const Job& job, const std::string& backend, const std::vector<RoundTraceEvent>& events);

}  // namespace mk::cli
