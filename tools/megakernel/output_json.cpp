// `megakernel run --json`: the run's readback as one JSON object.
#include <algorithm>
#include <map>

#include "mk/abi.h"
#include "mk/protocol.h"
#include "run_report.h"

namespace mk::cli {
namespace {

using Json = nlohmann::json;

Json items_json(const Job& job, const Readback& readback, const std::map<std::uint32_t, std::string>& io_errors) {
  Json items = Json::array();
  for (std::size_t i = 0; i < job.items.size() && i < readback.slots.size(); ++i) {
    const SlotView& slot = readback.slots[i];
    Json item = {{"index", i},
                 {"slot", i},
                 {"op", job.items[i].label},
                 {"status", std::string(status_name(slot.status))},
                 {"result", slot.result}};
    if (slot.status == abi::STATUS_FAULT) item["fault"] = std::string(fault_name(slot.result));
    if (auto why = io_errors.find(static_cast<std::uint32_t>(i)); why != io_errors.end())
      item["io_error"] = why->second;
    items.push_back(std::move(item));
  }
  return items;
}

// Faulted items, in item order, at most SUMMARY_MAX_FAULTS of them.
Json faults_json(const Job& job, const Readback& readback) {
  Json faults = Json::array();
  for (std::size_t i = 0; i < job.items.size() && i < readback.slots.size(); ++i) {
    const SlotView& slot = readback.slots[i];
    if (slot.status != abi::STATUS_FAULT) continue;
    if (faults.size() == SUMMARY_MAX_FAULTS) break;
    faults.push_back({{"index", i}, {"op", job.items[i].label}, {"fault", std::string(fault_name(slot.result))}});
  }
  return faults;
}

Json metrics_json(const Job& job, const Readback& readback) {
  Json metrics = Json::object();
  for (const auto& count : readback.metrics) {
    if (count.count != 0) metrics[job.opcode_name(count.opcode)] = count.count;
  }
  return metrics;
}

Json tenants_json(const Job& job, const Readback& readback) {
  Json tenants = Json::array();
  for (const auto& tenant : readback.tenants) {
    if (tenant.tenant >= job.tenants.size()) continue;
    tenants.push_back({{"id", tenant.tenant}, {"done", tenant.done}, {"faults", tenant.faults}});
  }
  return tenants;
}

Json debug_log_json(const DebugLog& log) {
  Json records = Json::array();
  for (const auto& record : log.records) {
    records.push_back({{"fmt", record.fmt_id},
                       {"tenant", record.tenant},
                       {"slot", record.slot},
                       {"args", Json(std::vector<std::uint32_t>(record.args.begin(), record.args.end()))}});
  }
  return {{"records", std::move(records)}, {"dropped", log.dropped}};
}

Json timing_json(const RunOutcome& outcome) {
  const auto& wall = outcome.wall_ns;
  Json timing = {{"runs", wall.size()}, {"median_wall_ns", median_ns(wall)}};
  if (!wall.empty()) {
    timing["min_wall_ns"] = *std::min_element(wall.begin(), wall.end());
    timing["max_wall_ns"] = *std::max_element(wall.begin(), wall.end());
  }
  timing["rounds"] = outcome.stats.rounds;
  timing["sweeps"] = outcome.stats.sweeps;
  timing["path"] = outcome.bulk ? "compact batch" : "ring";
  return timing;
}

}  // namespace

nlohmann::json run_report_json(const Job& job, const RunOutcome& outcome, bool summary) {
  const Readback& readback = outcome.readback;
  if (summary)
    return Json{{"backend", outcome.backend},
                {"items", job.items.size()},
                {"done_count", readback.done_count},
                {"epoch", readback.epoch},
                {"last_fence_tag", readback.last_fence_tag},
                {"fault_count", readback.fault_count},
                {"shutdown", readback.shutdown},
                {"faults", faults_json(job, readback)},
                {"metrics", metrics_json(job, readback)},
                {"tenants", tenants_json(job, readback)},
                {"timing", timing_json(outcome)}};
  return Json{{"backend", outcome.backend},
              {"done_count", readback.done_count},
              {"epoch", readback.epoch},
              {"last_fence_tag", readback.last_fence_tag},
              {"fault_count", readback.fault_count},
              {"shutdown", readback.shutdown},
              {"items", items_json(job, readback, outcome.io_errors)},
              {"observables", readback.observables},
              {"metrics", metrics_json(job, readback)},
              {"tenants", tenants_json(job, readback)},
              {"debug_log", debug_log_json(readback.debug_log)},
              {"timing", timing_json(outcome)}};
}

}  // namespace mk::cli
