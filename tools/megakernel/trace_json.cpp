// Chrome/Perfetto trace JSON writer (Trace Event Format, "X" complete events per lane).
#include "trace_json.h"

#include <algorithm>
#include <set>

#include "mk/protocol.h"

namespace mk::cli {

nlohmann::json trace_json(const Job& job, const std::string& backend, const std::vector<RoundTraceEvent>& events) {
  using Json = nlohmann::json;
  constexpr int PID = 1;
  std::uint64_t origin = events.empty() ? 0 : events.front().event.claim_ns;
  std::set<std::uint32_t> lanes;
  for (const auto& e : events) {
    origin = std::min(origin, e.event.claim_ns);
    lanes.insert(e.event.lane);
  }

  Json list = Json::array();
  list.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", PID}, {"args", {{"name", "megakernel " + backend}}}});
  for (const auto lane : lanes) {
    list.push_back({{"name", "thread_name"},
                    {"ph", "M"},
                    {"pid", PID},
                    {"tid", lane},
                    {"args", {{"name", "lane " + std::to_string(lane)}}}});
  }
  std::vector<const RoundTraceEvent*> ordered;
  for (const auto& e : events) ordered.push_back(&e);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto* a, const auto* b) { return a->event.claim_ns < b->event.claim_ns; });
  for (const auto* e : ordered) {
    const TraceEvent& t = e->event;
    const std::uint64_t duration = t.finish_ns > t.claim_ns ? t.finish_ns - t.claim_ns : 0;
    const std::string name = t.slot < job.items.size() ? job.items[t.slot].label : "slot " + std::to_string(t.slot);
    list.push_back({{"name", name},
                    {"cat", "slot"},
                    {"ph", "X"},
                    {"pid", PID},
                    {"tid", t.lane},
                    {"ts", static_cast<double>(t.claim_ns - origin) / 1000.0},
                    {"dur", static_cast<double>(duration) / 1000.0},
                    {"args", {{"slot", t.slot}, {"status", std::string(status_name(t.status))}, {"round", e->round}}}});
  }
  return {{"traceEvents", std::move(list)},
          {"displayTimeUnit", "ns"},
          {"otherData",
           {{"tool", "megakernel trace"},
            {"backend", backend},
            {"job", job.source.string()},
            {"slot_count", job.slot_count},
            {"lanes_seen", lanes.size()}}}};
}

}  // namespace mk::cli
