// `megakernel run` without --json: the run's readback as aligned text.
#include <algorithm>
#include <map>
#include <iomanip>
#include <sstream>

#include "mk/abi.h"
#include "mk/protocol.h"
#include "run_report.h"

namespace mk::cli {
namespace {

std::string fmt_ns(std::uint64_t ns) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  if (ns >= 1'000'000) {
    out << static_cast<double>(ns) / 1e6 << " ms";
  } else if (ns >= 1'000) {
    out << static_cast<double>(ns) / 1e3 << " us";
  } else {
    out << ns << " ns";
  }
  return out.str();
}

void print_items(std::ostream& out, const Job& job, const Readback& readback,
                 const std::map<std::uint32_t, std::string>& io_errors) {
  std::size_t op_width = 2;
  for (const auto& item : job.items) op_width = std::max(op_width, item.label.size());
  out << "  item  slot  " << std::left << std::setw(static_cast<int>(op_width)) << "op"
      << "  " << std::setw(9) << "status"
      << "result\n";
  for (std::size_t i = 0; i < job.items.size() && i < readback.slots.size(); ++i) {
    const SlotView& slot = readback.slots[i];
    out << std::right << std::setw(6) << i << std::setw(6) << i << "  " << std::left
        << std::setw(static_cast<int>(op_width)) << job.items[i].label << "  " << std::setw(9)
        << status_name(slot.status) << slot.result;
    if (slot.status == abi::STATUS_FAULT) out << " (" << fault_name(slot.result) << ")";
    if (auto why = io_errors.find(static_cast<std::uint32_t>(i)); why != io_errors.end()) out << ": " << why->second;
    out << '\n';
  }
  out << std::right;
}

void print_faults(std::ostream& out, const Job& job, const Readback& readback) {
  out << "faults: " << readback.fault_count << '\n';
  std::size_t shown = 0;
  for (std::size_t i = 0; i < job.items.size() && i < readback.slots.size(); ++i) {
    const SlotView& slot = readback.slots[i];
    if (slot.status != abi::STATUS_FAULT) continue;
    if (shown++ == SUMMARY_MAX_FAULTS) {
      out << "  ... (first " << SUMMARY_MAX_FAULTS << " listed)\n";
      break;
    }
    out << "  item " << i << "  " << job.items[i].label << "  " << fault_name(slot.result) << '\n';
  }
}

void print_observables(std::ostream& out, const Readback& readback) {
  std::size_t non_zero = 0;
  out << "observables (" << readback.observables.size() << " words; non-zero shown):";
  for (std::size_t i = 0; i < readback.observables.size(); ++i) {
    if (readback.observables[i] == 0) continue;
    out << ((non_zero % 8 == 0) ? "\n  " : "  ") << '[' << i << "]=" << readback.observables[i];
    ++non_zero;
  }
  out << (non_zero == 0 ? " all zero\n" : "\n");
}

void print_debug_log(std::ostream& out, const DebugLog& log) {
  out << "debug log: " << log.records.size() << " record(s), " << log.dropped << " dropped\n";
  for (const auto& record : log.records) {
    out << "  #" << record.index << "  fmt " << record.fmt_id << "  tenant " << record.tenant << "  slot "
        << record.slot << "  args";
    for (const auto arg : record.args) out << ' ' << arg;
    out << '\n';
  }
}

}  // namespace

void print_run_table(std::ostream& out, const Job& job, const RunOutcome& outcome, bool summary) {
  const Readback& readback = outcome.readback;
  out << "backend " << outcome.backend << ": " << job.items.size() << " item(s) in " << job.slot_count
      << " slots, done " << readback.done_count << ", faults " << readback.fault_count << ", epoch " << readback.epoch
      << ", last fence tag " << readback.last_fence_tag << " (" << (outcome.bulk ? "compact batch" : "ring") << ")\n\n";
  if (summary)
    print_faults(out, job, readback);
  else
    print_items(out, job, readback, outcome.io_errors);

  out << "\nmetrics:";
  bool any = false;
  for (const auto& count : readback.metrics) {
    if (count.count == 0) continue;
    out << "  " << job.opcode_name(count.opcode) << ' ' << count.count;
    any = true;
  }
  out << (any ? "\n" : " none\n");

  out << "tenants:";
  const char* separator = " ";
  for (const auto& tenant : readback.tenants) {
    if (tenant.tenant >= job.tenants.size()) continue;
    out << separator << "tenant " << tenant.tenant << " done " << tenant.done << " faults " << tenant.faults;
    separator = " | ";
  }
  out << '\n';
  if (!summary) print_observables(out, readback);
  print_debug_log(out, readback.debug_log);
  if (outcome.wall_ns.size() > 1) {
    out << "timing: " << outcome.wall_ns.size() << " runs, median " << fmt_ns(median_ns(outcome.wall_ns))
        << " wall per run (last run: " << outcome.stats.rounds << " round(s))\n";
  } else if (!outcome.wall_ns.empty()) {
    out << "timing: " << fmt_ns(outcome.wall_ns.front()) << " wall, " << outcome.stats.rounds << " round(s)\n";
  }
}

}  // namespace mk::cli
