// The bulk path for large jobs (see job_bulk.h).
#include "job_bulk.h"

#include <algorithm>
#include <chrono>

#include "mk/bulk.h"

namespace mk::cli {

bool job_runs_as_batch(const Job& job, const RunBounds& bounds, std::string& why) {
  if (job.items.size() < BULK_MIN_ITEMS) {
    why = "fewer than " + std::to_string(BULK_MIN_ITEMS) + " items";
    return false;
  }
  if (!job.opcodes.empty() && (bounds.timeout || bounds.max_sweeps != 0)) {
    why = "custom opcodes under --timeout or --max-sweeps";
    return false;
  }
  std::size_t i = 0;
  for (const JobItemRef item : job.items) {
    const bool known = abi::builtin_index(item.opcode) != abi::NO_OPCODE_INDEX ||
                       std::any_of(job.opcodes.begin(), job.opcodes.end(),
                                   [&](const OpcodeHandler& h) { return h.opcode == item.opcode; });
    if (item.kind == JobItemKind::Fence || abi::batch_refuses_opcode(item.opcode) || !known ||
        item.tenant >= job.tenants.size() || (item.opcode == abi::OP_PRINTF && job.debug_log_records != 0)) {
      why = "item " + std::to_string(i) + " needs the slot path";
      return false;
    }
    ++i;
  }
  return true;
}

Result<RunOutcome> run_job_as_batch(const Job& job, std::shared_ptr<Backend> backend, std::uint32_t repeat,
                                    const RunBounds& bounds) {
  RunOutcome outcome;
  outcome.backend = std::string(backend->name());
  auto kernel = bootstrap_job(job, std::move(backend));
  if (!kernel) return cuda::std::unexpected<Error>(std::move(kernel.error()));
  // One shared opcode and tenant when every item has them; records as short as the
  // longest argument list.
  const JobItemRef first = *job.items.begin();
  std::uint32_t args = 0;
  bool uniform = true;
  for (const JobItemRef item : job.items) {
    args = std::max(args, static_cast<std::uint32_t>(item.args.size()));
    uniform &= item.opcode == first.opcode && item.tenant == first.tenant;
  }
  const BatchShape shape = uniform ? BatchShape::uniform(first.opcode, first.tenant, args) : BatchShape::mixed(args);
  const auto count = static_cast<std::uint32_t>(job.items.size());
  auto builder = BatchBuilder::make(*kernel, shape, count);
  if (!builder) return cuda::std::unexpected<Error>(std::move(builder.error()));
  // Straight from the job's records into the batch's (no WorkItem per item).
  Word* record = builder->append(count);
  for (const JobItemRef item : job.items) {
    if (!uniform) {
      *record++ = item.opcode;
      *record++ = item.tenant;
    }
    record = std::copy(item.args.begin(), item.args.end(), record);
    record = std::fill_n(record, args - item.args.size(), Word{0});
  }

  auto buffers = build_job_control(job);
  if (!buffers) return cuda::std::unexpected<Error>(std::move(buffers.error()));
  const auto deadline =
      bounds.timeout ? std::optional(std::chrono::steady_clock::now() + *bounds.timeout) : std::nullopt;
  BatchOutput out;
  for (std::uint32_t run = 0; run < std::max(repeat, 1u); ++run) {
    // Each batch runs to its end: the deadline is checked between repeats.
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
      outcome.stop = DispatchStop::Deadline;
      break;
    }
    const auto start = std::chrono::steady_clock::now();
    auto ran = kernel->dispatch_batch(buffers->control, builder->view(), out);
    if (!ran) return cuda::std::unexpected<Error>(std::move(ran.error()));
    outcome.wall_ns.push_back(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count()));
    outcome.stats = *ran;
    outcome.sweeps_total += ran->sweeps;
  }
  if (out.size() == 0 && !job.items.empty()) return outcome;  // stopped before the first run
  OutputBuffers result;
  result.control = out.control();
  MK_TRY(try_decode_readback(result, outcome.readback));
  outcome.batch = std::move(out);  // the items' results stay compact (RunOutcome::item_status)
  outcome.readback.stats = outcome.stats;
  outcome.bulk = true;
  return outcome;
}

}  // namespace mk::cli
