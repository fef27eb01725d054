// Conformance of the bulk path against the slot-path oracle (see compact.h).
#include "compact.h"

#include <algorithm>

#include "mk/bulk.h"

namespace mk::conformance {

bool compact_eligible(const Case& c, std::string& why) {
  if (c.log_capacity || c.io_capacity || !c.batches.empty() || c.runner == Runner::UntilIdle) {
    why = "the case uses a debug log, an I/O queue or fenced batches";
    return false;
  }
  for (const Placed& p : c.items) {
    if (abi::builtin_index(p.item.opcode) == abi::NO_OPCODE_INDEX || abi::batch_refuses_opcode(p.item.opcode)) {
      why = "slot " + std::to_string(p.slot) + " holds an opcode a compact batch refuses";
      return false;
    }
    if (p.item.tenant >= c.tenant_count) {
      why = "slot " + std::to_string(p.slot) + " names a tenant the batch path rejects";
      return false;
    }
  }
  return true;
}

void run_compact_against_oracle(const Case& c, std::shared_ptr<Backend> backend, const RunOutput& oracle,
                                Errors& errors) {
  auto mk = Megakernel::bootstrap_sharded(backend, c.slot_count, c.wg);
  if (!mk) {
    errors.push_back(std::string("bootstrap: ") + mk.error().what());
    return;
  }
  std::vector<Placed> items = c.items;
  std::sort(items.begin(), items.end(), [](const Placed& a, const Placed& b) { return a.slot < b.slot; });
  auto builder = BatchBuilder::make(*mk, BatchShape::mixed(abi::MAX_ARGS));
  if (!builder) {
    errors.push_back(std::string("BatchBuilder::make: ") + builder.error().what());
    return;
  }
  for (const Placed& p : items) {
    auto added = builder->add(p.item.opcode, p.item.tenant, p.item.args);
    if (!added) errors.push_back(std::string("BatchBuilder::add: ") + added.error().what());
  }
  BatchOutput out;
  auto ran = mk->dispatch_batch(oracle.input.control, builder->view(), out);
  if (!ran) {
    errors.push_back(std::string("dispatch_batch: ") + ran.error().what());
    return;
  }
  // Per item, against the oracle's slot.
  for (u32 i = 0; i < items.size(); ++i) {
    const u32 slot = items[i].slot;
    const SlotView& want = oracle.readback.slots.at(slot);
    const u32 got_status = out.faulted(i) ? abi::STATUS_FAULT : abi::STATUS_DONE;
    if (got_status != want.status)
      errors.push_back("item " + std::to_string(i) + " (slot " + std::to_string(slot) + "): status " +
                       std::string(status_name(got_status)) + ", slot path " + std::string(status_name(want.status)));
    else if (!c.racy_results.count(slot) && out.result(i) != want.result)
      errors.push_back("item " + std::to_string(i) + " (slot " + std::to_string(slot) + "): RESULT " +
                       std::to_string(out.result(i)) + ", slot path " + std::to_string(want.result));
  }
  // Control words.
  auto got = try_as_words(ConstByteSpan(out.control()), "control");
  auto want = try_as_words(ConstByteSpan(oracle.output.control), "control");
  if (!got || !want || got->size() != want->size()) {
    errors.push_back("control buffers differ in size");
    return;
  }
  const u32 oracle_faults = (*want)[abi::CTRL_FAULT_COUNT];
  for (u32 w = 0; w < got->size(); ++w) {
    if (w == abi::CTRL_HEARTBEAT) continue;
    if (w == abi::CTRL_LAST_FENCE_TAG && c.racy_tag) continue;
    if (w >= abi::CTRL_OBSERVABLES && c.racy_observables.count(w - abi::CTRL_OBSERVABLES)) continue;
    u32 expect = (*want)[w];
    if (w == abi::CTRL_LAST_FAULT_SLOT) {
      if (oracle_faults > 1) continue;
      // The batch names items, the slot path slots.
      for (u32 i = 0; i < items.size(); ++i)
        if (oracle_faults == 1 && items[i].slot == expect) expect = i;
    }
    if ((*got)[w] != expect)
      errors.push_back("control word " + std::to_string(w) + ": batch " + std::to_string((*got)[w]) + ", slot path " +
                       std::to_string(expect));
  }
}

}  // namespace mk::conformance
