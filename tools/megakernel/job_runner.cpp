// Job runner: dispatch_until_idle over fresh buffers, N times, then a strict readback.
#include "job_runner.h"

#include <algorithm>
#include <chrono>

namespace mk::cli {

std::uint64_t median_ns(std::vector<std::uint64_t> samples) {
  if (samples.empty()) return 0;
  const auto middle = samples.begin() + static_cast<std::ptrdiff_t>((samples.size() - 1) / 2);
  std::nth_element(samples.begin(), middle, samples.end());
  return *middle;
}

Result<RunOutcome> run_job(const Job& job, std::shared_ptr<Backend> backend, std::uint32_t repeat) {
  RunOutcome outcome;
  outcome.backend = std::string(backend->name());
  auto kernel = bootstrap_job(job, std::move(backend));
  if (!kernel) return cuda::std::unexpected<Error>(std::move(kernel.error()));
  auto sources = build_job_io_sources(job);
  if (!sources) return cuda::std::unexpected<Error>(std::move(sources.error()));

  OutputBuffers buffers;
  for (std::uint32_t run = 0; run < std::max(repeat, 1u); ++run) {
    auto fresh = build_job_buffers(job);
    if (!fresh) return cuda::std::unexpected<Error>(std::move(fresh.error()));
    buffers = std::move(*fresh);
    const auto start = std::chrono::steady_clock::now();
    auto stats = kernel->dispatch_until_idle(buffers, *sources);
    const auto stop = std::chrono::steady_clock::now();
    if (!stats) return cuda::std::unexpected<Error>(std::move(stats.error()));
    outcome.stats = *stats;
    outcome.wall_ns.push_back(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count()));
  }
  MK_TRY(try_decode_readback(buffers, outcome.readback));
  return outcome;
}

}  // namespace mk::cli
