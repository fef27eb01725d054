// libFuzzer target for the interpreter step: random non-admin tenants (windows, masks,
// flags), random items (built-ins, packed headers, custom IR opcodes, unknown ids) run
// through the CPU backend until idle; check_interp_run must hold after every run.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "interp_invariants.h"
#include "mk/mk.h"

using namespace mk;

namespace {

constexpr std::uint32_t SLOTS = 64;
constexpr std::uint32_t MAX_DEPTH = 3;

std::shared_ptr<Backend> backend() {
  // One deterministic CPU backend for every input: one thread, slots in order, so a
  // crash reproduces from its input alone.
  static std::shared_ptr<Backend> cpu = make_cpu_backend({.deterministic = true});
  return cpu;
}

// A small address or value most of the time, so accesses land near the windows.
std::uint32_t near_word(FuzzedDataProvider& in, std::uint32_t observables) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return in.ConsumeIntegral<std::uint32_t>();
    case 1:
      return 0xFFFFFFFFu - in.ConsumeIntegralInRange<std::uint32_t>(0, 4);
    default:
      return in.ConsumeIntegralInRange<std::uint32_t>(0, observables + 8);
  }
}

ir::Expr gen_expr(FuzzedDataProvider& in, std::uint32_t depth, std::uint32_t observables) {
  using namespace ir;
  const int pick = in.ConsumeIntegralInRange<int>(0, depth >= MAX_DEPTH ? 3 : 11);
  switch (pick) {
    case 0:
      return c(near_word(in, observables));
    case 1:
      return arg(in.ConsumeIntegralInRange<std::uint32_t>(0, abi::MAX_ARGS - 1));
    case 2:
      return tenant();
    case 3:
      return slot();
    case 4:
      return load(gen_expr(in, depth + 1, observables));
    case 5:
      return atomic_add(gen_expr(in, depth + 1, observables), gen_expr(in, depth + 1, observables));
    case 6:
      return cas(gen_expr(in, depth + 1, observables), gen_expr(in, depth + 1, observables),
                 gen_expr(in, depth + 1, observables));
    case 7:
      return gen_expr(in, depth + 1, observables) / gen_expr(in, depth + 1, observables);
    case 8:
      return gen_expr(in, depth + 1, observables) % gen_expr(in, depth + 1, observables);
    case 9:
      return select(gen_expr(in, depth + 1, observables), gen_expr(in, depth + 1, observables),
                    gen_expr(in, depth + 1, observables));
    case 10:
      return gen_expr(in, depth + 1, observables) + gen_expr(in, depth + 1, observables);
    default:
      return lt(gen_expr(in, depth + 1, observables), gen_expr(in, depth + 1, observables));
  }
}

ir::Body gen_body(FuzzedDataProvider& in, std::uint32_t depth, std::uint32_t observables);

ir::Stmt gen_stmt(FuzzedDataProvider& in, std::uint32_t depth, std::uint32_t observables) {
  using namespace ir;
  const int pick = in.ConsumeIntegralInRange<int>(0, depth >= MAX_DEPTH ? 4 : 7);
  switch (pick) {
    case 0:
      return store(gen_expr(in, depth + 1, observables), gen_expr(in, depth + 1, observables));
    case 1:
      return result(gen_expr(in, depth + 1, observables));
    case 2:
      return fault(in.ConsumeIntegralInRange<std::uint32_t>(1, 9));
    case 3:
      return requeue();
    case 4:
      return printf(in.ConsumeIntegralInRange<std::uint32_t>(0, 3), {gen_expr(in, depth + 1, observables)});
    case 5:
      return if_(gen_expr(in, depth + 1, observables), gen_body(in, depth + 1, observables),
                 gen_body(in, depth + 1, observables));
    default:
      return for_("i" + std::to_string(depth), c(0), c(in.ConsumeIntegralInRange<std::uint32_t>(0, 6)),
                  gen_body(in, depth + 1, observables));
  }
}

ir::Body gen_body(FuzzedDataProvider& in, std::uint32_t depth, std::uint32_t observables) {
  ir::Body b;
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 3);
  for (std::size_t i = 0; i < n; ++i) b.push_back(gen_stmt(in, depth, observables));
  return b;
}

void put(Bytes& buffer, std::uint64_t index, std::uint32_t value) {
  std::memcpy(buffer.data() + index * abi::WORD_BYTES, &value, 4);
}

std::uint32_t consume_opcode(FuzzedDataProvider& in, const std::vector<OpcodeHandler>& custom) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0:
      return in.ConsumeIntegralInRange<std::uint32_t>(0, 7);
    case 1: {
      constexpr std::uint32_t specials[] = {abi::OP_LOAD_MISS, abi::OP_PRINTF, abi::OP_PACKED_SLOT, abi::OP_SHUTDOWN};
      return specials[in.ConsumeIntegralInRange<std::size_t>(0, 3)];
    }
    case 2:
      return abi::OP_PACKED_SLOT;
    case 3:
      if (!custom.empty()) return custom[in.ConsumeIntegralInRange<std::size_t>(0, custom.size() - 1)].opcode;
      return in.ConsumeIntegral<std::uint32_t>();
    case 4:
      return in.ConsumeIntegralInRange<std::uint32_t>(0, 300);
    default:
      return in.ConsumeIntegral<std::uint32_t>();
  }
}

// A packed header that is valid more often than not: count 1..4, used <= 9, offsets in order.
void fill_packed_args(FuzzedDataProvider& in, std::uint32_t* args, const std::vector<OpcodeHandler>& custom) {
  if (in.ConsumeBool()) return;  // keep fully random arguments
  const std::uint32_t count = in.ConsumeIntegralInRange<std::uint32_t>(0, 5);
  const std::uint32_t used = in.ConsumeIntegralInRange<std::uint32_t>(0, 10);
  args[abi::PACKED_ARG_HEADER] =
      count | (used << 8) | (in.ConsumeIntegralInRange<std::uint32_t>(0, 8) == 0 ? 1u << 16 : 0u);
  std::uint32_t ids = 0, offsets = 0, offset = 0;
  for (std::uint32_t k = 0; k < 4; ++k) {
    std::uint32_t id = in.ConsumeIntegralInRange<std::uint32_t>(0, 7);
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0 && !custom.empty())
      id = custom[in.ConsumeIntegralInRange<std::size_t>(0, custom.size() - 1)].opcode & 0xFFu;
    ids |= id << (8 * k);
    offset = std::min<std::uint32_t>(offset + in.ConsumeIntegralInRange<std::uint32_t>(0, 3), 12);
    offsets |= offset << (8 * k);
  }
  args[abi::PACKED_ARG_OPCODES] = ids;
  args[abi::PACKED_ARG_OFFSETS] = offsets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::uint32_t observables = in.ConsumeIntegralInRange<std::uint32_t>(1, 96);
  const std::uint32_t tenant_count = in.ConsumeIntegralInRange<std::uint32_t>(1, 6);

  // Custom opcodes: ids below 256 can be packed; the rest are ordinary custom ids.
  std::vector<OpcodeHandler> custom(in.ConsumeIntegralInRange<std::size_t>(0, 3));
  for (std::size_t k = 0; k < custom.size(); ++k) {
    custom[k].opcode = in.ConsumeBool() ? 8 + static_cast<std::uint32_t>(k) : 0x1000 + static_cast<std::uint32_t>(k);
    custom[k].name = "op" + std::to_string(k);
    custom[k].body = gen_body(in, 0, observables);
  }
  auto mk = Megakernel::bootstrap_sharded(backend(), SLOTS, SLOTS, custom);
  if (!mk) return 0;  // an IR body the validator refuses: not a run

  OutputBuffers b;
  b.control = encode_control(false, tenant_count, observables);
  for (std::uint32_t t = 0; t < tenant_count; ++t) {
    // Raw policy words: windows may run past the region (the kernel clamps them).
    std::uint32_t flags = in.ConsumeIntegralInRange<int>(0, 5) == 0 ? 0u : abi::TENANT_FLAG_ENABLED;
    flags |= in.ConsumeIntegral<std::uint8_t>() & ~0x3u;  // unknown flag bits, never ADMIN
    put(b.control, abi::tenant_word(t, abi::TENANT_FLAGS), flags);
    const bool all = in.ConsumeBool();
    put(b.control, abi::tenant_word(t, abi::TENANT_ALLOW_LO), all ? 0xFFFFFFFFu : in.ConsumeIntegral<std::uint32_t>());
    put(b.control, abi::tenant_word(t, abi::TENANT_ALLOW_HI), all ? 0xFFFFFFFFu : in.ConsumeIntegral<std::uint32_t>());
    put(b.control, abi::tenant_word(t, abi::TENANT_WINDOW_BASE), near_word(in, observables));
    put(b.control, abi::tenant_word(t, abi::TENANT_WINDOW_LEN), near_word(in, observables));
  }
  for (std::uint32_t w = 0; w < observables; ++w)
    put(b.control, abi::CTRL_OBSERVABLES + w, in.ConsumeIntegral<std::uint8_t>());

  b.ring = encode_empty_ring(SLOTS);
  const std::uint32_t items = in.ConsumeIntegralInRange<std::uint32_t>(0, SLOTS);
  for (std::uint32_t s = 0; s < items; ++s) {
    const std::uint64_t at = std::uint64_t{s} * abi::SLOT_WORDS;
    std::uint32_t args[abi::MAX_ARGS];
    for (auto& a : args) a = near_word(in, observables);
    const std::uint32_t opcode = consume_opcode(in, custom);
    if (opcode == abi::OP_PACKED_SLOT) fill_packed_args(in, args, custom);
    if (opcode == abi::OP_BATCH_FENCE && in.ConsumeBool()) {
      args[abi::FENCE_ARG_FIRST_SLOT] = in.ConsumeIntegralInRange<std::uint32_t>(0, SLOTS);
      args[abi::FENCE_ARG_COUNT] = in.ConsumeIntegralInRange<std::uint32_t>(0, SLOTS);
    }
    put(b.ring, at + abi::SLOT_OPCODE, opcode);
    put(b.ring, at + abi::SLOT_TENANT, in.ConsumeIntegralInRange<std::uint32_t>(0, tenant_count));
    put(b.ring, at + abi::SLOT_RESULT, 0);
    for (std::uint32_t a = 0; a < abi::MAX_ARGS; ++a) put(b.ring, at + abi::SLOT_ARGS + a, args[a]);
    put(b.ring, at + abi::SLOT_STATUS,
        in.ConsumeIntegralInRange<int>(0, 15) == 0 ? abi::STATUS_EMPTY : abi::STATUS_PUBLISHED);
  }
  if (in.ConsumeBool()) b.debug_log = encode_empty_debug_log(in.ConsumeIntegralInRange<std::uint32_t>(1, 4));
  IoSources sources;
  if (in.ConsumeBool()) {
    b.io_queue = encode_empty_io_queue(in.ConsumeIntegralInRange<std::uint32_t>(1, 4));
    (void)sources.add_bytes(1, in.ConsumeBytes<std::byte>(in.ConsumeIntegralInRange<std::size_t>(0, 64)));
  }

  const Bytes control_before = b.control;
  const Bytes ring_before = b.ring;
  auto ran = mk->dispatch_until_idle(b, sources);
  if (!ran) return 0;  // buffers the host refuses: nothing ran
  fuzz::InterpRun run{control_before, b.control, ring_before, b.ring, mk->opcode_table(), true};
  const std::string broken = fuzz::check_interp_run(run);
  if (!broken.empty()) {
    std::fprintf(stderr, "fuzz_interp: invariant broken: %s\n", broken.c_str());
    fuzz::check(false);
  }
  return 0;
}
