// Bench path: resident many-launch, every item its own one-item submission, one graph.
#include <chrono>

#include "bench.h"
#include "mk/megakernel.h"

namespace mk::cli {
namespace {

constexpr std::uint32_t BENCH_WORKGROUP = 64;

class ResidentManyPath final : public BenchPath {
 public:
  ResidentManyPath(Megakernel kernel, ResidentHandles handles, const BenchWorkload& workload, Bytes control)
      : m_kernel(std::move(kernel)),
        m_handles(std::move(handles)),
        m_workload(workload),
        m_control(std::move(control)) {
    for (std::size_t i = 0; i < workload.items.size(); ++i)
      m_submissions.push_back(Submission{static_cast<std::uint32_t>(i), std::span(&workload.items[i], 1)});
  }

  Result<std::uint64_t> run_sample() override {
    // Fresh control (untimed): the window starts from zero each sample.
    MK_TRY(try_encode_control_into(m_control, false, 1, m_workload.window_words));
    MK_TRY(m_handles.upload(BufferKind::Control, m_control));
    const auto start = std::chrono::steady_clock::now();
    auto many = m_kernel.dispatch_persistent_handles_many_observed(m_handles, m_submissions);
    const auto stop = std::chrono::steady_clock::now();
    if (!many) return cuda::std::unexpected<Error>(std::move(many.error()));
    if (many->rejected != 0)
      return fail(ErrorKind::Backend, std::to_string(many->rejected) + " bench items were rejected",
                  "report this: the bench ring must be free between samples");
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
  }

  std::vector<std::uint32_t> observables() const override {
    OutputBuffers out;
    if (!const_cast<ResidentHandles&>(m_handles).readback(out)) return {};
    auto words = try_read_observables(out.control);
    return words ? *words : std::vector<std::uint32_t>{};
  }

 private:
  Megakernel m_kernel;
  ResidentHandles m_handles;
  const BenchWorkload& m_workload;
  std::vector<Submission> m_submissions;
  Bytes m_control;  // re-encoded each sample, same size
};

}  // namespace

Result<std::unique_ptr<BenchPath>> make_resident_many_path(const BenchEnv& env) {
  if (!env.backend->supports(Feature::ManyLaunch))
    return cuda::std::unexpected(unsupported(*env.backend, Feature::ManyLaunch));
  const auto slots = static_cast<std::uint32_t>(env.workload->items.size());
  auto kernel = Megakernel::bootstrap_sharded(env.backend, slots, BENCH_WORKGROUP);
  if (!kernel) return cuda::std::unexpected<Error>(std::move(kernel.error()));
  auto control = try_encode_control(false, 1, env.workload->window_words);
  if (!control) return cuda::std::unexpected<Error>(std::move(control.error()));
  auto ring = try_encode_empty_ring(slots);
  if (!ring) return cuda::std::unexpected<Error>(std::move(ring.error()));
  auto handles = kernel->create_resident_handles(DispatchInput{*control, *ring, {}, {}});
  if (!handles) return cuda::std::unexpected<Error>(std::move(handles.error()));
  auto path =
      std::make_unique<ResidentManyPath>(std::move(*kernel), std::move(*handles), *env.workload, std::move(*control));
  return std::unique_ptr<BenchPath>(std::move(path));
}

}  // namespace mk::cli
