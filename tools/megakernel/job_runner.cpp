// Job runner: dispatch_until_idle over fresh buffers, N times, within the whole-job bounds.
#include "job_runner.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "job_bulk.h"
#include "job_sources.h"

namespace mk::cli {

std::uint64_t median_ns(std::vector<std::uint64_t> samples) {
  if (samples.empty()) return 0;
  const auto middle = samples.begin() + static_cast<std::ptrdiff_t>((samples.size() - 1) / 2);
  std::nth_element(samples.begin(), middle, samples.end());
  return *middle;
}

Result<RunOutcome> run_job(const Job& job, std::shared_ptr<Backend> backend, const IoSources& sources,
                           std::uint32_t repeat, const RunBounds& bounds, RunPath path) {
  std::string why;
  if (path == RunPath::Batch || (path == RunPath::Auto && job_runs_as_batch(job, bounds, why)))
    return run_job_as_batch(job, std::move(backend), repeat, bounds);
  RunOutcome outcome;
  outcome.backend = std::string(backend->name());
  auto kernel = bootstrap_job(job, std::move(backend));
  if (!kernel) return cuda::std::unexpected<Error>(std::move(kernel.error()));

  DispatchLimits limits;
  if (bounds.timeout) {
    limits.deadline = std::chrono::steady_clock::now() +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(*bounds.timeout);
  }
  OutputBuffers buffers;
  for (std::uint32_t run = 0; run < std::max(repeat, 1u); ++run) {
    auto fresh = build_job_buffers(job);
    if (!fresh) return cuda::std::unexpected<Error>(std::move(fresh.error()));
    buffers = std::move(*fresh);
    // The sweep budget covers every repeat together.
    limits.max_sweeps = bounds.max_sweeps == 0 ? 0 : bounds.max_sweeps - outcome.sweeps_total;
    const auto start = std::chrono::steady_clock::now();
    auto ran = dispatch_until_idle(*kernel, buffers, sources, limits);
    const auto stop = std::chrono::steady_clock::now();
    if (!ran) return cuda::std::unexpected<Error>(std::move(ran.error()));
    outcome.stats = ran->stats;
    outcome.sweeps_total += ran->stats.sweeps;
    outcome.wall_ns.push_back(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count()));
    outcome.stop = ran->stop;
    if (outcome.stop != DispatchStop::Idle) break;
    if (bounds.max_sweeps != 0 && outcome.sweeps_total >= bounds.max_sweeps && run + 1 < std::max(repeat, 1u)) {
      outcome.stop = DispatchStop::SweepBudget;
      break;
    }
  }
  MK_TRY(try_decode_readback(buffers, outcome.readback));
  explain_io_errors(job, sources, outcome);
  return outcome;
}

void explain_io_errors(const Job& job, const IoSources& sources, RunOutcome& outcome) {
  const Readback& r = outcome.readback;
  std::uint32_t i = 0;
  for (auto it = job.items.begin(); i < job.items.size() && i < outcome.item_count(); ++it, ++i) {
    const JobItemRef item = *it;
    if (outcome.item_status(i) != abi::STATUS_FAULT || outcome.item_result(i) != abi::FAULT_IO_ERROR ||
        item.opcode != abi::OP_LOAD_MISS)
      continue;
    // Argument words past the item's own read as 0, as in its slot.
    std::array<std::uint32_t, abi::MAX_ARGS> args{};
    std::copy_n(item.args.begin(), std::min<std::size_t>(item.args.size(), abi::MAX_ARGS), args.begin());
    // The request the item posted: its destination is relative to its tenant's window.
    IoRequest request;
    request.op = abi::IO_OP_READ;
    request.source = args[abi::LOAD_MISS_ARG_SOURCE];
    request.offset = (std::uint64_t{args[abi::LOAD_MISS_ARG_OFFSET_HI]} << 32) | args[abi::LOAD_MISS_ARG_OFFSET_LO];
    request.byte_count = args[abi::LOAD_MISS_ARG_BYTE_COUNT];
    const std::uint32_t base = item.tenant < r.tenants.size() ? r.tenants[item.tenant].window.base : 0;
    request.dest = base + args[abi::LOAD_MISS_ARG_DEST];
    std::string why = io_request_problem(request, sources, static_cast<std::uint32_t>(r.observables.size()));
    outcome.io_errors[i] = why.empty() ? "reading I/O source " + std::to_string(request.source) + " failed" : why;
  }
}

Result<RunOutcome> run_job(const Job& job, std::shared_ptr<Backend> backend, std::uint32_t repeat) {
  auto sources = open_job_io_sources(job, IoPolicy{});
  if (!sources) {
    return cuda::std::unexpected<Error>(Error(ErrorKind::InvalidArgument, sources.error().line(), sources.error().fix));
  }
  return run_job(job, std::move(backend), *sources, repeat);
}

}  // namespace mk::cli
