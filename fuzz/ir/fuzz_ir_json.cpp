// libFuzzer: arbitrary bytes -> handlers_from_json -> validate_handlers -> Program::build
// -> two runs of every handler (small and edge-pattern arguments, so typed bodies meet
// NaNs, INT_MIN and u64 carries). Nothing may crash, and the invariants below must hold.
// Seeds: fuzz/corpus/fuzz_ir_json/ (u32 bodies and typed_*.json for the typed IR).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "interp/step.h"
#include "ir/evaluate.h"
#include "mk/ir.h"

namespace {

using mk::abi::u32;

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

// One slot, 16 observables, one tenant, a 4-record debug log.
void run_each(const std::vector<mk::OpcodeHandler>& handlers, const mk::ir::Program& program) {
  namespace abi = mk::abi;
  constexpr u32 OBSERVABLES = 16;
  std::vector<u32> ring(abi::SLOT_WORDS, 0);
  std::vector<u32> control(abi::CTRL_OBSERVABLES + OBSERVABLES, 0);
  std::vector<u32> log(abi::LOG_HEADER_WORDS + 4 * abi::LOG_RECORD_WORDS, 0);
  control[abi::CTRL_MAGIC] = abi::CONTROL_MAGIC;
  control[abi::CTRL_ABI_VERSION] = abi::ABI_VERSION;
  control[abi::CTRL_TENANT_COUNT] = 1;
  control[abi::CTRL_OBSERVABLE_COUNT] = OBSERVABLES;
  control[abi::tenant_word(0, abi::TENANT_FLAGS)] = abi::TENANT_FLAG_ENABLED;
  control[abi::tenant_word(0, abi::TENANT_ALLOW_LO)] = 0xFFFFFFFFu;
  control[abi::tenant_word(0, abi::TENANT_ALLOW_HI)] = 0xFFFFFFFFu;
  control[abi::tenant_word(0, abi::TENANT_WINDOW_LEN)] = OBSERVABLES;
  log[abi::LOG_MAGIC_WORD] = abi::LOG_MAGIC;
  log[abi::LOG_CAPACITY] = 4;
  for (std::size_t k = 0; k < handlers.size(); ++k)
    control[abi::CTRL_OPCODE_IDS + abi::FIRST_CUSTOM_INDEX + k] = handlers[k].opcode;
  const mk::interp::View view = mk::interp::make_view(ring.data(), 1, control.data(), log.data(), nullptr);
  mk::ir::CustomOps ops{&program};
  // Small words (addresses inside the window), then edge patterns that typed bodies read
  // as f32 (NaN payloads, -inf, a subnormal, -0), i32 (INT_MIN, -1) and u64 halves.
  static constexpr u32 EDGES[abi::MAX_ARGS] = {0x7FC12345u, 0xFF800000u, 0x00000001u, 0x80000000u,
                                               0xFFFFFFFFu, 0x3FC00000u, 0x4F800000u, 2,
                                               14,          0xCF000001u, 0x7F7FFFFFu, 1};
  for (const mk::OpcodeHandler& h : handlers) {
    for (int pass = 0; pass < 2; ++pass) {
      ring[abi::SLOT_OPCODE] = h.opcode;
      for (u32 i = 0; i < abi::MAX_ARGS; ++i) ring[abi::SLOT_ARGS + i] = pass == 0 ? i * 3 : EDGES[i];
      ring[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
      mk::interp::step_slot<cuda::thread_scope_thread>(view, 0, ops);
      const u32 status = ring[abi::SLOT_STATUS];
      check(status == abi::STATUS_DONE || status == abi::STATUS_FAULT || status == abi::STATUS_REQUEUE);
      if (status == abi::STATUS_FAULT) check(ring[abi::SLOT_RESULT] < abi::FAULT_CODE_COUNT);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto handlers = mk::ir::handlers_from_json(text);
  if (!handlers) {
    check(handlers.error().kind() == mk::ErrorKind::Malformed);
    return 0;
  }
  // Whatever the reader accepts, the writer writes back to an equal tree.
  auto again = mk::ir::handlers_from_json(mk::ir::handlers_to_json(*handlers));
  check(again.has_value() && again->size() == handlers->size());
  for (std::size_t k = 0; k < handlers->size(); ++k) check(mk::ir::equal((*again)[k].body, (*handlers)[k].body));

  const mk::Status valid = mk::ir::validate_handlers(*handlers);
  // A small budget keeps every run short; loops nest up to 65536^depth otherwise.
  auto program = mk::ir::Program::build(*handlers, 256);
  check(valid.has_value() == program.has_value());
  if (!program) {
    check(program.error().kind() == mk::ErrorKind::InvalidArgument);
    return 0;
  }
  run_each(*handlers, **program);
  return 0;
}
