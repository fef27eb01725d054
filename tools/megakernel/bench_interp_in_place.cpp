// Bench path: the interpreter draining N pre-published items via Megakernel::dispatch_in_place.
#include <chrono>

#include "bench.h"
#include "mk/megakernel.h"

namespace mk::cli {
namespace {

constexpr std::uint32_t BENCH_WORKGROUP = 64;

class InterpInPlacePath final : public BenchPath {
 public:
  InterpInPlacePath(Megakernel kernel, const BenchWorkload& workload, OutputBuffers buffers)
      : m_kernel(std::move(kernel)), m_workload(workload), m_buffers(std::move(buffers)) {}

  Result<std::uint64_t> run_sample() override {
    // Fresh control and ring each sample (untimed): the same N items PUBLISHED again.
    MK_TRY(try_encode_control_into(m_buffers.control, false, 1, m_workload.window_words));
    MK_TRY(try_encode_work_items_ring_into(m_buffers.ring, m_workload.items));
    const auto start = std::chrono::steady_clock::now();
    auto stats = m_kernel.dispatch_in_place(m_buffers);
    const auto stop = std::chrono::steady_clock::now();
    if (!stats) return cuda::std::unexpected<Error>(std::move(stats.error()));
    if (stats->items_done != m_workload.items.size()) {
      return fail(ErrorKind::Backend,
                  "the interpreter finished " + std::to_string(stats->items_done) + " of " +
                      std::to_string(m_workload.items.size()) + " bench items",
                  "run `megakernel run` on a small job with this backend to find the failing path");
    }
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
  }

  std::vector<std::uint32_t> observables() const override {
    auto words = try_read_observables(m_buffers.control);
    return words ? *words : std::vector<std::uint32_t>{};
  }

 private:
  Megakernel m_kernel;
  const BenchWorkload& m_workload;
  OutputBuffers m_buffers;
};

}  // namespace

Result<std::unique_ptr<BenchPath>> make_interp_in_place_path(const BenchEnv& env) {
  const BenchWorkload& workload = *env.workload;
  const auto slots = static_cast<std::uint32_t>(workload.items.size());
  auto kernel = Megakernel::bootstrap_sharded(env.backend, slots, BENCH_WORKGROUP);
  if (!kernel) return cuda::std::unexpected<Error>(std::move(kernel.error()));
  OutputBuffers buffers;
  auto control = try_encode_control(false, 1, workload.window_words);
  if (!control) return cuda::std::unexpected<Error>(std::move(control.error()));
  buffers.control = std::move(*control);
  auto ring = try_encode_empty_ring(slots);
  if (!ring) return cuda::std::unexpected<Error>(std::move(ring.error()));
  buffers.ring = std::move(*ring);
  return std::unique_ptr<BenchPath>(
      std::make_unique<InterpInPlacePath>(std::move(*kernel), workload, std::move(buffers)));
}

}  // namespace mk::cli
