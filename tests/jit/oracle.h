// The oracle for JIT tests: a job's buffers run through interp/ on the host with the CPU
// evaluator (ir::Program + ir::CustomOps), rounds ending by the CPU backend's rule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cuda/jit/lower.h"
#include "mk/mk.h"

namespace mk::jit_test {

using u32 = std::uint32_t;

// One dispatch's buffers as words (log may be empty: no debug log).
struct Job {
  std::vector<u32> control;
  std::vector<u32> ring;
  std::vector<u32> log;
  std::vector<OpcodeHandler> handlers;

  // `tenants` tenants over `observables` words; every tenant sees everything.
  static Job make(u32 slots, u32 observables, u32 tenants, u32 log_records, std::vector<OpcodeHandler> handlers);
  void publish(u32 slot, u32 opcode, std::vector<u32> args, u32 tenant = 0);
  void set_window(u32 tenant, u32 base, u32 len);
  void set_allow(u32 tenant, std::uint64_t mask);
  u32& observable(u32 i) { return control[abi::CTRL_OBSERVABLES + i]; }
  u32 status(u32 slot) const { return ring[slot * abi::SLOT_WORDS + abi::SLOT_STATUS]; }
  u32 result(u32 slot) const { return ring[slot * abi::SLOT_WORDS + abi::SLOT_RESULT]; }
  // Megakernel-API form (bytes) and back.
  OutputBuffers to_buffers() const;
  void from_buffers(const OutputBuffers& b);
};

// Writes the opcode table (built-ins, then the job's handlers) as dispatch does.
void stamp_opcode_table(Job& job);

// Runs the job in place with the CPU evaluator; returns the number of rounds.
u32 run_oracle(Job& job, u32 step_budget = detail::JIT_STEP_BUDGET);

// Empty when equal; else a description of the first differences. Ignores HEARTBEAT
// (counts rounds, a scheduling detail) and LAST_FAULT_SLOT when several items faulted
// (whichever faulted last); debug-log records are compared as a multiset, because their
// order is the order lanes claimed them.
std::string compare_jobs(const Job& want, const Job& got);

}  // namespace mk::jit_test
