// Test harness: hand-built ring, control and debug-log buffers driven through
// interp::step_slot with the IR evaluator (or any other Custom policy).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "interp/step.h"
#include "ir/evaluate.h"
#include "mk/abi.h"
#include "mk/ir.h"

namespace mk::ir::test {

using abi::u32;
inline constexpr cuda::thread_scope SCOPE = cuda::thread_scope_system;
inline constexpr u32 OPCODE = 4096;  // the first handler's id in most tests

struct Geometry {
  u32 slots = 8;
  u32 observables = 64;
  u32 tenants = 2;
  u32 log_capacity = 16;  // 0: no debug log at all
};

// Buffers of one launch. Vectors are sized once, so the View's pointers stay valid.
class Machine {
 public:
  explicit Machine(Geometry g = {}) : m_geometry(g) {
    m_ring.assign(std::size_t{g.slots} * abi::SLOT_WORDS, 0);
    m_control.assign(abi::CTRL_OBSERVABLES + std::size_t{g.observables}, 0);
    m_control[abi::CTRL_MAGIC] = abi::CONTROL_MAGIC;
    m_control[abi::CTRL_ABI_VERSION] = abi::ABI_VERSION;
    m_control[abi::CTRL_TENANT_COUNT] = g.tenants;
    m_control[abi::CTRL_OBSERVABLE_COUNT] = g.observables;
    for (u32 i = 0; i < abi::BUILTIN_OPCODES; ++i) m_control[abi::CTRL_OPCODE_IDS + i] = abi::BUILTIN_OPCODE_IDS[i];
    for (u32 t = 0; t < g.tenants; ++t) {
      tenant(t, abi::TENANT_FLAGS) = abi::TENANT_FLAG_ENABLED | (t == 0 ? abi::TENANT_FLAG_ADMIN : 0u);
      tenant(t, abi::TENANT_ALLOW_LO) = 0xFFFFFFFFu;
      tenant(t, abi::TENANT_ALLOW_HI) = 0xFFFFFFFFu;
      set_window(t, 0, g.observables);
    }
    if (g.log_capacity > 0) {
      m_log.assign(abi::LOG_HEADER_WORDS + std::size_t{g.log_capacity} * abi::LOG_RECORD_WORDS, 0);
      m_log[abi::LOG_MAGIC_WORD] = abi::LOG_MAGIC;
      m_log[abi::LOG_CAPACITY] = g.log_capacity;
    }
    m_view =
        interp::make_view(m_ring.data(), g.slots, m_control.data(), m_log.empty() ? nullptr : m_log.data(), nullptr);
  }

  // Stamp handler opcode ids into OPCODE_IDS[12 + k], as dispatch would.
  void stamp(const std::vector<OpcodeHandler>& handlers) {
    for (std::size_t k = 0; k < handlers.size(); ++k)
      m_control[abi::CTRL_OPCODE_IDS + abi::FIRST_CUSTOM_INDEX + k] = handlers[k].opcode;
  }

  u32& tenant(u32 t, u32 field) { return m_control[abi::tenant_word(t, field)]; }
  void set_window(u32 t, u32 base, u32 len) {
    tenant(t, abi::TENANT_WINDOW_BASE) = base;
    tenant(t, abi::TENANT_WINDOW_LEN) = len;
  }

  void publish(u32 slot, u32 opcode, std::vector<u32> args = {}, u32 tenant_id = 0) {
    u32* s = &m_ring[std::size_t{slot} * abi::SLOT_WORDS];
    s[abi::SLOT_OPCODE] = opcode;
    s[abi::SLOT_TENANT] = tenant_id;
    s[abi::SLOT_RESULT] = 0;
    for (u32 i = 0; i < abi::MAX_ARGS; ++i) s[abi::SLOT_ARGS + i] = i < args.size() ? args[i] : 0u;
    s[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  }

  template <class Custom>
  interp::StepResult step(u32 slot, Custom& custom) {
    return interp::step_slot<SCOPE>(m_view, slot, custom);
  }
  // Sweeps until nothing makes progress; returns the number of sweeps.
  template <class Custom>
  u32 drain(Custom& custom, u32 max_sweeps = 1000) {
    for (u32 n = 1; n <= max_sweeps; ++n)
      if (interp::sweep<SCOPE>(m_view, 0, 1, custom).progress == 0) return n;
    return max_sweeps;
  }

  u32 status(u32 slot) const { return m_ring[std::size_t{slot} * abi::SLOT_WORDS + abi::SLOT_STATUS]; }
  u32 result(u32 slot) const { return m_ring[std::size_t{slot} * abi::SLOT_WORDS + abi::SLOT_RESULT]; }
  u32& obs(u32 i) { return m_control[abi::CTRL_OBSERVABLES + i]; }
  u32 ctrl(u32 word) const { return m_control[word]; }
  u32 log_word(u32 word) const { return m_log[word]; }
  const u32* record(u32 index) const {
    return &m_log[abi::LOG_HEADER_WORDS + std::size_t{index} * abi::LOG_RECORD_WORDS];
  }
  const interp::View& view() const { return m_view; }

  // Every word of every buffer, for word-for-word comparisons.
  std::vector<u32> all_words() const {
    std::vector<u32> out = m_ring;
    out.insert(out.end(), m_control.begin(), m_control.end());
    out.insert(out.end(), m_log.begin(), m_log.end());
    return out;
  }

 private:
  Geometry m_geometry;
  std::vector<u32> m_ring;
  std::vector<u32> m_control;
  std::vector<u32> m_log;
  interp::View m_view;
};

// Where a property test runs its one item: the geometry, the slot and tenant, and the
// tenant's 16-word window.
struct ItemPlace {
  Geometry geometry;
  u32 slot = 0;
  u32 tenant = 0;
  u32 window_base = 0;
};

// Runs one item of `handlers[0]` with `custom` at `at` on fresh buffers (every observable
// seeded with a pattern) and returns every word of every buffer.
template <class Custom>
std::vector<u32> run_item_words(const ItemPlace& at, const std::vector<OpcodeHandler>& handlers, Custom& custom,
                                const std::vector<u32>& args) {
  Machine m(at.geometry);
  m.stamp(handlers);
  m.set_window(at.tenant, at.window_base, 16);
  for (u32 i = 0; i < at.geometry.observables; ++i) m.obs(i) = i * 0x9E3779B9u;
  m.publish(at.slot, handlers[0].opcode, args, at.tenant);
  m.step(at.slot, custom);
  return m.all_words();
}

// A built Program plus its Custom policy, kept together so the pointer stays valid.
struct Compiled {
  std::shared_ptr<const Program> program;
  CustomOps ops;
};

inline Compiled compile(const std::vector<OpcodeHandler>& handlers, u32 budget = 1u << 16) {
  auto built = Program::build(handlers, budget);
  if (!built) ADD_FAILURE() << "Program::build failed: " << built.error().what();
  Compiled out;
  if (built) out.program = *built;
  out.ops.program = out.program.get();
  return out;
}

struct Ran {
  u32 status = 0;
  u32 result = 0;
};

// One item of a one-handler program, from PUBLISHED to its next status.
struct Single {
  std::vector<OpcodeHandler> handlers;
  Compiled compiled;
  Machine machine;

  explicit Single(Body b, Geometry g = {}, u32 budget = 1u << 16)
      : handlers{OpcodeHandler{OPCODE, "op", std::move(b)}}, compiled(compile(handlers, budget)), machine(g) {
    machine.stamp(handlers);
  }

  Ran run(std::vector<u32> args = {}, u32 tenant_id = 0, u32 slot = 0) {
    machine.publish(slot, OPCODE, std::move(args), tenant_id);
    machine.step(slot, compiled.ops);
    return {machine.status(slot), machine.result(slot)};
  }
};

// Body -> (status, result) of one run with default buffers.
inline Ran run_body(Body b, std::vector<u32> args = {}) { return Single(std::move(b)).run(std::move(args)); }

}  // namespace mk::ir::test
