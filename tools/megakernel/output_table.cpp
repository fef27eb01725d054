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

void print_items(std::ostream& out, const Job& job, const RunOutcome& outcome) {
  std::size_t op_width = 2;
  for (const JobItemRef item : job.items) op_width = std::max(op_width, job.items.label_of(item.opcode).size());
  out << "  item  slot  " << std::left << std::setw(static_cast<int>(op_width)) << "op"
      << "  " << std::setw(9) << "status"
      << "result\n";
  std::size_t i = 0;
  for (auto it = job.items.begin(); i < job.items.size() && i < outcome.item_count(); ++it, ++i) {
    const std::uint32_t status = outcome.item_status(i);
    const std::uint32_t result = outcome.item_result(i);
    out << std::right << std::setw(6) << i << std::setw(6) << i << "  " << std::left
        << std::setw(static_cast<int>(op_width)) << job.items.label_of((*it).opcode) << "  " << std::setw(9)
        << status_name(status) << result;
    if (status == abi::STATUS_FAULT) out << " (" << fault_name(result) << ")";
    if (auto why = outcome.io_errors.find(static_cast<std::uint32_t>(i)); why != outcome.io_errors.end())
      out << ": " << why->second;
    out << '\n';
  }
  out << std::right;
}

void print_faults(std::ostream& out, const Job& job, const RunOutcome& outcome) {
  out << "faults: " << outcome.readback.fault_count << '\n';
  std::size_t shown = 0;
  std::size_t i = 0;
  for (auto it = job.items.begin(); i < job.items.size() && i < outcome.item_count(); ++it, ++i) {
    if (outcome.item_status(i) != abi::STATUS_FAULT) continue;
    if (shown++ == SUMMARY_MAX_FAULTS) {
      out << "  ... (first " << SUMMARY_MAX_FAULTS << " listed)\n";
      break;
    }
    out << "  item " << i << "  " << job.items.label_of((*it).opcode) << "  " << fault_name(outcome.item_result(i))
        << '\n';
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
    print_faults(out, job, outcome);
  else
    print_items(out, job, outcome);

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
