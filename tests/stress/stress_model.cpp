// Stress-test workload generator and its sequential host model (see stress_model.h).
#include "stress_model.h"

#include <algorithm>
#include <sstream>

namespace mk::stress {
namespace {

std::uint64_t bit(u32 index) { return std::uint64_t{1} << index; }

struct Outcome {
  u32 status = abi::STATUS_DONE;
  u32 value = 0;
  bool racy = false;
};
Outcome done(u32 v, bool racy = false) { return Outcome{abi::STATUS_DONE, v, racy}; }
Outcome fault(u32 code) { return Outcome{abi::STATUS_FAULT, code, false}; }

bool allows(const TenantSpec& t, u32 index) { return ((t.allow >> index) & 1u) != 0; }

// One built-in memory op (table index) for tenant spec `t`, applied to the model.
Outcome exec_single(Model& m, const TenantSpec& t, u32 index, const u32* args, u32 argc) {
  const auto arg = [&](u32 i) { return i < argc ? args[i] : 0u; };
  const u32 addr = arg(0);
  if (index == abi::IDX_NOP) return done(0);
  if (addr >= t.window.len) return fault(abi::FAULT_OUT_OF_BOUNDS);
  u32& word = m.observables[t.window.base + addr];
  const bool shared = addr < ADD_REGION;  // racing ATOMIC_ADDs: previous value is order-dependent
  switch (index) {
    case abi::IDX_STORE_U32:
      word = arg(1);
      return done(0);
    case abi::IDX_ATOMIC_ADD: {
      const u32 prev = word;
      word += arg(1);
      return done(prev, shared);
    }
    case abi::IDX_LOAD_U32:
      return done(word, shared);
    case abi::IDX_COMPARE_SWAP: {
      const u32 prev = word;
      if (prev == arg(1)) word = arg(2);
      return done(prev, shared);
    }
    default:
      return fault(abi::FAULT_BAD_ARGS);  // the generator never asks for anything else
  }
}

// Inner op id -> table index as the interpreter's lookup would give with no custom ops.
u32 inner_index(u32 op) { return op <= abi::OP_BATCH_FENCE ? op : abi::NO_OPCODE_INDEX; }

Outcome exec_packed(Model& m, const TenantSpec& t, const WorkItem& item) {
  const u32* a = item.args.data();
  const u32 n_ops = a[abi::PACKED_ARG_HEADER] & 0xFFu, used = (a[abi::PACKED_ARG_HEADER] >> 8) & 0xFFu;
  u32 index[abi::PACKED_MAX_OPS], begin[abi::PACKED_MAX_OPS], end[abi::PACKED_MAX_OPS];
  for (u32 k = 0; k < n_ops; ++k) {
    begin[k] = (a[abi::PACKED_ARG_OFFSETS] >> (8 * k)) & 0xFFu;
    end[k] = k + 1 < n_ops ? (a[abi::PACKED_ARG_OFFSETS] >> (8 * (k + 1))) & 0xFFu : used;
    index[k] = inner_index((a[abi::PACKED_ARG_OPCODES] >> (8 * k)) & 0xFFu);
    if (index[k] == abi::NO_OPCODE_INDEX) return fault(abi::FAULT_UNKNOWN_OPCODE);
    if (index[k] == abi::IDX_BATCH_FENCE) return fault(abi::FAULT_BAD_ARGS);
    if (!allows(t, index[k])) return fault(abi::FAULT_UNAUTHORIZED);
  }
  Outcome last = done(0);
  for (u32 k = 0; k < n_ops; ++k) {
    last = exec_single(m, t, index[k], a + abi::PACKED_ARG_WORDS + begin[k], end[k] - begin[k]);
    if (last.status != abi::STATUS_DONE) return last;
    ++m.metrics[index[k]];
  }
  return last;
}

// Authorise and run one item, then account for it exactly as docs/reference.md sections 2 and 3 say.
Outcome predict(Model& m, const WorkItem& item) {
  Outcome out;
  const u32 index = abi::builtin_index(item.opcode);
  if (item.tenant >= TENANTS || !tenant_specs()[item.tenant].enabled) {
    out = fault(abi::FAULT_UNAUTHORIZED);
  } else if (index == abi::NO_OPCODE_INDEX) {
    out = fault(abi::FAULT_UNKNOWN_OPCODE);
  } else {
    const TenantSpec& t = tenant_specs()[item.tenant];
    if (index == abi::IDX_PACKED_SLOT) {
      out = exec_packed(m, t, item);
    } else if (!allows(t, index) || (index == abi::IDX_SHUTDOWN && !t.admin)) {
      out = fault(abi::FAULT_UNAUTHORIZED);
    } else if (index == abi::IDX_BATCH_FENCE) {
      out = fault(abi::FAULT_BAD_ARGS);  // only bad-range fences go through predict()
    } else {
      out = exec_single(m, t, index, item.args.data(), item.arg_count);
    }
  }
  ++m.done;
  if (out.status == abi::STATUS_DONE) {
    ++m.metrics[index];
    if (item.tenant < TENANTS) ++m.tenant_done[item.tenant];
  } else {
    ++m.faults;
    if (item.tenant < TENANTS) ++m.tenant_faults[item.tenant];
  }
  return out;
}

WorkItem make_item(u32 opcode, u32 tenant, std::initializer_list<u32> args) {
  WorkItem w;
  w.opcode = opcode;
  w.tenant = tenant;
  for (u32 a : args) w.args[w.arg_count++] = a;
  return w;
}

u32 pick_tenant(Rng& rng) {
  const u32 r = rng.below(100);
  if (r < 30) return 0;
  if (r < 50) return 1;
  if (r < 65) return 2;
  if (r < 85) return 3;
  if (r < 90) return 4;
  if (r < 95) return 5;
  return UNKNOWN_TENANT;
}

// The current model value of slot `slot`'s own word in `tenant`'s window (0 when the
// tenant has none: its ops never execute).
u32 own_value(const Model& m, u32 tenant, u32 slot) {
  if (tenant >= TENANTS) return 0;
  const TenantSpec& t = tenant_specs()[tenant];
  return SLOT_REGION + slot < t.window.len ? m.observables[t.window.base + SLOT_REGION + slot] : 0;
}

u32 out_of_window_addr(Rng& rng) { return rng.percent(50) ? WINDOW + rng.below(100000) : 0xFFFFFFFFu - rng.below(4); }

WorkItem random_packed(Rng& rng, const Model& m, u32 tenant, u32 slot) {
  const u32 own = SLOT_REGION + slot;
  u32 value = own_value(m, tenant, slot);  // the own word as the inner ops will see it
  std::vector<PackedOp> ops;
  const u32 n = 1 + rng.below(4);
  u32 budget = abi::PACKED_MAX_WORDS;
  for (u32 k = 0; k < n; ++k) {
    PackedOp op;
    const u32 r = rng.below(100);
    if (r < 3) {
      op = {abi::OP_BATCH_FENCE, {0, 1, 1}};  // never allowed inside a packed slot
    } else if (r < 6) {
      op = {99, {}};  // unknown inner opcode
    } else if (r < 15) {
      op = {abi::OP_STORE_U32, {out_of_window_addr(rng), 1}};
    } else if (r < 30) {
      const u32 v = rng.next();
      op = {abi::OP_STORE_U32, {own, v}};
      value = v;
    } else if (r < 45) {
      const u32 d = rng.next();
      op = {abi::OP_ATOMIC_ADD, {own, d}};
      value += d;
    } else if (r < 60) {
      op = {abi::OP_ATOMIC_ADD, {rng.below(ADD_REGION), rng.next()}};
    } else if (r < 72) {
      op = {abi::OP_LOAD_U32, {own}};
    } else if (r < 88) {
      const u32 expected = rng.percent(50) ? value : value + 1, desired = rng.next();
      op = {abi::OP_COMPARE_SWAP, {own, expected, desired}};
      if (expected == value) value = desired;
    } else {
      op = {abi::OP_NOP, {}};
    }
    if (op.args.size() > budget) op = {abi::OP_NOP, {}};
    budget -= static_cast<u32>(op.args.size());
    ops.push_back(op);
  }
  auto item = try_make_packed_item(tenant, ops);
  return item ? *item : make_item(abi::OP_NOP, tenant, {});
}

WorkItem random_item(Rng& rng, const Model& m, u32 slot) {
  const u32 tenant = pick_tenant(rng);
  const u32 own = SLOT_REGION + slot;
  const u32 r = rng.below(100);
  if (r < 28) return make_item(abi::OP_ATOMIC_ADD, tenant, {rng.below(ADD_REGION), rng.next()});
  if (r < 42) return make_item(abi::OP_STORE_U32, tenant, {own, rng.next()});
  if (r < 52) return make_item(abi::OP_LOAD_U32, tenant, {own});
  if (r < 62) {
    const u32 v = own_value(m, tenant, slot);
    return make_item(abi::OP_COMPARE_SWAP, tenant, {own, rng.percent(50) ? v : v ^ 1u, rng.next()});
  }
  if (r < 67) return make_item(abi::OP_NOP, tenant, {});
  if (r < 75) {
    static constexpr u32 ops[] = {abi::OP_STORE_U32, abi::OP_LOAD_U32, abi::OP_ATOMIC_ADD, abi::OP_COMPARE_SWAP};
    return make_item(ops[rng.below(4)], tenant, {out_of_window_addr(rng), 1, 2});
  }
  if (r < 87) return random_packed(rng, m, tenant, slot);
  if (r < 91) return make_item(UNKNOWN_OPCODE, tenant, {1, 2, 3});
  if (r < 94) {
    // Never from tenant 0, the only admin: that would stop the run.
    static constexpr u32 non_admin[] = {1, 2, 3, 4, 5, UNKNOWN_TENANT};
    return make_item(abi::OP_SHUTDOWN, non_admin[rng.below(6)], {});
  }
  if (r < 97) return make_item(abi::OP_BATCH_FENCE, 2, {0, 1, 1});  // tenant 2 may not fence
  return make_item(abi::OP_BATCH_FENCE, 0, {SLOTS - 1, 2, 1});      // range past the ring
}

WorkItem fence_item(u32 first, u32 count, u32 tag) { return make_item(abi::OP_BATCH_FENCE, 0, {first, count, tag}); }

}  // namespace

const std::array<TenantSpec, TENANTS>& tenant_specs() {
  static const std::array<TenantSpec, TENANTS> specs = [] {
    std::array<TenantSpec, TENANTS> t{};
    t[0] = TenantSpec{true, true, ~std::uint64_t{0}, Window{0, WINDOW}};
    t[1] = TenantSpec{true, false, ~(bit(abi::IDX_COMPARE_SWAP) | bit(abi::IDX_SHUTDOWN)), Window{WINDOW, WINDOW}};
    t[2] =
        TenantSpec{true, false,
                   bit(abi::IDX_NOP) | bit(abi::IDX_STORE_U32) | bit(abi::IDX_ATOMIC_ADD) | bit(abi::IDX_COMPARE_SWAP),
                   Window{2 * WINDOW, WINDOW}};
    t[3] = TenantSpec{true, false, ~std::uint64_t{0}, Window{3 * WINDOW, WINDOW}};
    t[4] = TenantSpec{false, false, ~std::uint64_t{0}, Window{0, 0}};
    t[5] = TenantSpec{true, false, 0, Window{0, WINDOW}};
    return t;
  }();
  return specs;
}

Status apply_tenants(ByteSpan control) {
  for (u32 i = 0; i < TENANTS; ++i) {
    const TenantSpec& t = tenant_specs()[i];
    MK_TRY(try_set_tenant_policy(control, i, t.allow, t.window));
    MK_TRY(try_set_tenant_flags(control, i, t.enabled, t.admin));
  }
  return {};
}

void generate_batch(Rng& rng, u32 n, Model& m, Batch& batch) {
  batch.items.assign(n, WorkItem{});
  batch.expect.assign(n, SlotExpect{});
  batch.faults = 0;

  // Fence plan: none, one at the end, one at the start (covering slots after it, so it
  // must go back to PUBLISHED first), or a nested pair at the end.
  enum { NONE, END, START, NESTED } plan = NONE;
  const u32 r = rng.below(100);
  if (n >= 4) plan = r < 55 ? NONE : r < 75 ? END : r < 85 ? START : NESTED;
  std::vector<u32> fence_slots;
  if (plan == END) {
    const u32 first = rng.below(n - 1);
    batch.items[n - 1] = fence_item(first, n - 1 - first, rng.next());
    fence_slots = {n - 1};
  } else if (plan == START) {
    batch.items[0] = fence_item(1, 1 + rng.below(n - 1), rng.next());
    fence_slots = {0};
  } else if (plan == NESTED) {
    const u32 first = rng.below(n - 2);
    batch.items[n - 2] = fence_item(first, n - 2 - first, rng.next());  // inner
    batch.items[n - 1] = fence_item(rng.below(n - 2), 0, rng.next());   // outer, covers the inner
    batch.items[n - 1].args[abi::FENCE_ARG_COUNT] = n - batch.items[n - 1].args[abi::FENCE_ARG_FIRST_SLOT];
    fence_slots = {n - 2, n - 1};
  }

  for (u32 s = 0; s < n; ++s) {
    if (std::find(fence_slots.begin(), fence_slots.end(), s) != fence_slots.end()) continue;
    batch.items[s] = random_item(rng, m, s);
    const Outcome out = predict(m, batch.items[s]);
    batch.expect[s] = SlotExpect{out.status, out.value, !out.racy};
    batch.faults += out.status == abi::STATUS_FAULT ? 1 : 0;
  }
  // Fences complete after everything they cover, in nesting order.
  for (u32 s : fence_slots) {
    ++m.done;
    ++m.metrics[abi::IDX_BATCH_FENCE];
    ++m.tenant_done[0];
    m.last_fence_tag = batch.items[s].args[abi::FENCE_ARG_TAG];
    batch.expect[s] = SlotExpect{abi::STATUS_DONE, ++m.epoch, true};
  }
}

std::string describe(const WorkItem& item) {
  std::ostringstream os;
  os << "opcode 0x" << std::hex << item.opcode << std::dec << " tenant " << item.tenant << " args [";
  for (u32 i = 0; i < abi::MAX_ARGS; ++i) os << (i ? " " : "") << item.args[i];
  os << "]";
  return os.str();
}

}  // namespace mk::stress
