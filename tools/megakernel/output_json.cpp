// `megakernel run --json`: the run's readback as one JSON object, written as it goes:
// the per-item list and the observables stream out, the small parts are a DOM.
#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>
#include <unordered_map>

#include "mk/abi.h"
#include "mk/protocol.h"
#include "run_report.h"

namespace mk::cli {
namespace {

using Json = nlohmann::json;

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Buffered text into an ostream: one write per 64 KiB, not one per token.
class JsonOut {
 public:
  explicit JsonOut(std::ostream& out) : m_out(out) { m_buffer.reserve(CAPACITY + 256); }
  ~JsonOut() { flush(); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  void raw(std::string_view text) {
    m_buffer.append(text);
    if (m_buffer.size() >= CAPACITY) flush();
  }
  void number(std::uint64_t value) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    raw(std::string_view(text, static_cast<std::size_t>(end - text)));
  }
  void flush() {
    m_out.write(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
    m_buffer.clear();
  }

 private:
  static constexpr std::size_t CAPACITY = 64 * 1024;
  std::ostream& m_out;
  std::string m_buffer;
};

// Each label's JSON text once per opcode, not once per item.
class LabelTexts {
 public:
  explicit LabelTexts(const JobItems& items) : m_items(items) {}
  const std::string& operator()(std::uint32_t opcode) {
    auto it = m_texts.find(opcode);
    if (it == m_texts.end()) {
      const std::string_view label = m_items.label_of(opcode);
      it = m_texts.emplace(opcode, dump(label.empty() ? m_items.names().name_of(opcode) : std::string(label))).first;
    }
    return it->second;
  }

 private:
  const JobItems& m_items;
  std::unordered_map<std::uint32_t, std::string> m_texts;
};

// The JSON text of a status or fault name, made once per value.
class NameTexts {
 public:
  explicit NameTexts(std::string_view (*name)(std::uint32_t) noexcept) : m_name(name) {}
  const std::string& operator()(std::uint32_t value) {
    auto it = m_texts.find(value);
    if (it == m_texts.end()) it = m_texts.emplace(value, dump(std::string(m_name(value)))).first;
    return it->second;
  }

 private:
  std::string_view (*m_name)(std::uint32_t) noexcept;
  std::unordered_map<std::uint32_t, std::string> m_texts;
};

// The "items" array, keys in the order nlohmann's sorted objects print them.
void write_items(JsonOut& out, const Job& job, const RunOutcome& outcome) {
  LabelTexts labels(job.items);
  NameTexts statuses(&status_name);
  NameTexts faults(&fault_name);
  out.raw("[");
  std::size_t i = 0;
  for (auto it = job.items.begin(); i < job.items.size() && i < outcome.item_count(); ++it, ++i) {
    const std::uint32_t status = outcome.item_status(i);
    const std::uint32_t result = outcome.item_result(i);
    out.raw(i == 0 ? "{" : ",{");
    if (status == abi::STATUS_FAULT) {
      out.raw("\"fault\":");
      out.raw(faults(result));
      out.raw(",");
    }
    out.raw("\"index\":");
    out.number(i);
    if (auto why = outcome.io_errors.find(static_cast<std::uint32_t>(i)); why != outcome.io_errors.end()) {
      out.raw(",\"io_error\":");
      out.raw(dump(why->second));
    }
    out.raw(",\"op\":");
    out.raw(labels((*it).opcode));
    out.raw(",\"result\":");
    out.number(result);
    out.raw(",\"slot\":");
    out.number(i);
    out.raw(",\"status\":");
    out.raw(statuses(status));
    out.raw("}");
  }
  out.raw("]");
}

void write_words(JsonOut& out, const std::vector<std::uint32_t>& words) {
  out.raw("[");
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i != 0) out.raw(",");
    out.number(words[i]);
  }
  out.raw("]");
}

// Faulted items, in item order, at most SUMMARY_MAX_FAULTS of them.
Json faults_json(const Job& job, const RunOutcome& outcome) {
  Json faults = Json::array();
  std::size_t i = 0;
  for (auto it = job.items.begin(); i < job.items.size() && i < outcome.item_count(); ++it, ++i) {
    if (outcome.item_status(i) != abi::STATUS_FAULT) continue;
    if (faults.size() == SUMMARY_MAX_FAULTS) break;
    faults.push_back({{"index", i},
                      {"op", std::string(job.items.label_of((*it).opcode))},
                      {"fault", std::string(fault_name(outcome.item_result(i)))}});
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

void write_run_report_json(std::ostream& stream, const Job& job, const RunOutcome& outcome, bool summary) {
  const Readback& readback = outcome.readback;
  // The small members as a DOM; the two that grow with the job (items, observables) are
  // placeholders, written in their place below.
  Json head = {{"backend", outcome.backend},
               {"done_count", readback.done_count},
               {"epoch", readback.epoch},
               {"last_fence_tag", readback.last_fence_tag},
               {"fault_count", readback.fault_count},
               {"shutdown", readback.shutdown},
               {"metrics", metrics_json(job, readback)},
               {"tenants", tenants_json(job, readback)},
               {"timing", timing_json(outcome)}};
  if (summary) {
    head["items"] = job.items.size();
    head["faults"] = faults_json(job, outcome);
  } else {
    head["items"] = nullptr;
    head["observables"] = nullptr;
    head["debug_log"] = debug_log_json(readback.debug_log);
  }
  JsonOut out(stream);
  out.raw("{");
  bool first = true;
  for (const auto& [key, value] : head.items()) {  // sorted, as dump() prints them
    out.raw(first ? "\"" : ",\"");
    out.raw(key);
    out.raw("\":");
    first = false;
    if (!summary && key == "items") {
      write_items(out, job, outcome);
    } else if (!summary && key == "observables") {
      write_words(out, readback.observables);
    } else {
      out.raw(dump(value));
    }
  }
  out.raw("}");
}

nlohmann::json run_report_json(const Job& job, const RunOutcome& outcome, bool summary) {
  std::ostringstream text;
  write_run_report_json(text, job, outcome, summary);
  return Json::parse(text.str());
}

}  // namespace mk::cli
