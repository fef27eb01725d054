// The invariants of an interpreter run by non-admin tenants, checked from the buffers alone.
#include "interp_invariants.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "mk/abi.h"

namespace mk::fuzz {
namespace {

std::uint32_t word(ConstByteSpan bytes, std::uint64_t index) {
  std::uint32_t v = 0;
  if ((index + 1) * 4 <= bytes.size()) std::memcpy(&v, bytes.data() + index * 4, 4);
  return v;
}

struct Tenant {
  bool enabled = false;
  bool admin = false;
  std::uint64_t mask = 0;
  std::uint64_t begin = 0, end = 0;  // window clamped to the observable region
};

std::optional<std::uint32_t> table_index(std::span<const std::uint32_t> table, std::uint32_t opcode) {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i] == opcode) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

bool allowed(const Tenant& t, std::optional<std::uint32_t> index) {
  return index && *index < 64 && ((t.mask >> *index) & 1u) != 0;
}

}  // namespace

std::string check_interp_run(const InterpRun& run) {
  const std::uint32_t tenant_count = std::min(word(run.control_before, abi::CTRL_TENANT_COUNT), abi::MAX_TENANTS);
  const std::uint32_t observables = word(run.control_before, abi::CTRL_OBSERVABLE_COUNT);
  if (run.control_after.size() != run.control_before.size()) return "the control buffer changed size";
  if (run.ring_after.size() != run.ring_before.size()) return "the ring changed size";
  std::vector<Tenant> tenants(tenant_count);
  for (std::uint32_t t = 0; t < tenant_count; ++t) {
    const std::uint32_t flags = word(run.control_before, abi::tenant_word(t, abi::TENANT_FLAGS));
    Tenant& out = tenants[t];
    out.enabled = (flags & abi::TENANT_FLAG_ENABLED) != 0;
    out.admin = (flags & abi::TENANT_FLAG_ADMIN) != 0;
    out.mask = word(run.control_before, abi::tenant_word(t, abi::TENANT_ALLOW_LO)) |
               std::uint64_t{word(run.control_before, abi::tenant_word(t, abi::TENANT_ALLOW_HI))} << 32;
    const std::uint64_t base = word(run.control_before, abi::tenant_word(t, abi::TENANT_WINDOW_BASE));
    const std::uint64_t len = word(run.control_before, abi::tenant_word(t, abi::TENANT_WINDOW_LEN));
    out.begin = std::min<std::uint64_t>(base, observables);
    out.end = std::min<std::uint64_t>(base + len, observables);
    if (out.admin) return "tenant " + std::to_string(t) + " is admin; the run must have none";
  }

  // Which tenants issued items; what every slot ended as.
  std::vector<bool> issued(tenant_count, false);
  const std::uint64_t slots = run.ring_before.size() / abi::SLOT_BYTES;
  std::uint64_t done = 0, faulted = 0;
  for (std::uint64_t s = 0; s < slots; ++s) {
    const std::uint64_t at = s * abi::SLOT_WORDS;
    const std::uint32_t status_before = word(run.ring_before, at + abi::SLOT_STATUS);
    const std::uint32_t opcode = word(run.ring_before, at + abi::SLOT_OPCODE);
    const std::uint32_t tenant = word(run.ring_before, at + abi::SLOT_TENANT);
    const std::uint32_t status = word(run.ring_after, at + abi::SLOT_STATUS);
    const std::uint32_t result = word(run.ring_after, at + abi::SLOT_RESULT);
    const std::string where = "slot " + std::to_string(s) + ": ";
    if (status_before != abi::STATUS_EMPTY && tenant < tenant_count) issued[tenant] = true;
    if (status >= abi::STATUS_COUNT) return where + "unknown STATUS " + std::to_string(status);
    if (status == abi::STATUS_CLAIMED) return where + "left CLAIMED";
    if (status == abi::STATUS_WAIT_IO && run.settled) return where + "left WAIT_IO after the dispatch settled";
    if (status == abi::STATUS_FAULT) {
      ++faulted;
      if (result < abi::FAULT_UNKNOWN_OPCODE || result > abi::FAULT_DIVIDE_BY_ZERO)
        return where + "FAULT with invalid fault code " + std::to_string(result);
    }
    if (status != abi::STATUS_DONE) continue;
    ++done;
    if (tenant >= tenant_count || !tenants[tenant].enabled)
      return where + "DONE for a disabled or unknown tenant " + std::to_string(tenant);
    const Tenant& t = tenants[tenant];
    if (opcode == abi::OP_SHUTDOWN) return where + "SHUTDOWN ended DONE for non-admin tenant " + std::to_string(tenant);
    if (opcode == abi::OP_PACKED_SLOT) {
      const std::uint32_t count = word(run.ring_before, at + abi::SLOT_ARGS + abi::PACKED_ARG_HEADER) & 0xFFu;
      const std::uint32_t ids = word(run.ring_before, at + abi::SLOT_ARGS + abi::PACKED_ARG_OPCODES);
      for (std::uint32_t k = 0; k < count && k < abi::PACKED_MAX_OPS; ++k) {
        const std::uint32_t inner = (ids >> (8 * k)) & 0xFFu;
        if (!allowed(t, table_index(run.opcode_table, inner)))
          return where + "packed slot DONE with inner opcode " + std::to_string(inner) + " outside tenant " +
                 std::to_string(tenant) + "'s mask";
      }
      continue;
    }
    if (!allowed(t, table_index(run.opcode_table, opcode)))
      return where + "opcode " + std::to_string(opcode) + " ended DONE outside tenant " + std::to_string(tenant) +
             "'s mask";
  }

  if (word(run.control_after, abi::CTRL_SHUTDOWN) != 0) return "SHUTDOWN was set by a non-admin run";
  if (word(run.control_after, abi::CTRL_DONE_COUNT) - word(run.control_before, abi::CTRL_DONE_COUNT) != done + faulted)
    return "DONE_COUNT moved by " +
           std::to_string(word(run.control_after, abi::CTRL_DONE_COUNT) -
                          word(run.control_before, abi::CTRL_DONE_COUNT)) +
           " but " + std::to_string(done + faulted) + " slots ended DONE or FAULT";
  if (word(run.control_after, abi::CTRL_FAULT_COUNT) - word(run.control_before, abi::CTRL_FAULT_COUNT) != faulted)
    return "FAULT_COUNT does not match the " + std::to_string(faulted) + " FAULT slots";

  for (std::uint64_t w = 0; w < observables; ++w) {
    const std::uint64_t index = abi::CTRL_OBSERVABLES + w;
    if (word(run.control_before, index) == word(run.control_after, index)) continue;
    bool inside = false;
    for (std::uint32_t t = 0; t < tenant_count && !inside; ++t)
      inside = issued[t] && tenants[t].enabled && w >= tenants[t].begin && w < tenants[t].end;
    if (!inside) return "observable " + std::to_string(w) + " changed outside every issuing tenant's window";
  }
  return "";
}

}  // namespace mk::fuzz
