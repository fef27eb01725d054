// The host oracle for JIT tests and the buffer comparison that reports differences.
#include "oracle.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "interp/step.h"
#include "ir/evaluate.h"
#include "ir/program.h"

namespace mk::jit_test {
namespace {

constexpr auto SCOPE = cuda::thread_scope_system;

std::vector<u32> words_of(const Bytes& bytes) {
  std::vector<u32> w(bytes.size() / 4);
  if (!w.empty()) std::memcpy(w.data(), bytes.data(), w.size() * 4);
  return w;
}

Bytes bytes_of(const std::vector<u32>& words) {
  Bytes b(words.size() * 4);
  if (!words.empty()) std::memcpy(b.data(), words.data(), b.size());
  return b;
}

std::string control_word_name(u32 w) {
  if (w >= abi::CTRL_OBSERVABLES) return "observable " + std::to_string(w - abi::CTRL_OBSERVABLES);
  if (w >= abi::CTRL_TENANTS)
    return "tenant " + std::to_string((w - abi::CTRL_TENANTS) / abi::TENANT_WORDS) + " field " +
           std::to_string((w - abi::CTRL_TENANTS) % abi::TENANT_WORDS);
  if (w >= abi::CTRL_OPCODE_COUNTS) return "OPCODE_COUNTS[" + std::to_string(w - abi::CTRL_OPCODE_COUNTS) + "]";
  if (w >= abi::CTRL_OPCODE_IDS) return "OPCODE_IDS[" + std::to_string(w - abi::CTRL_OPCODE_IDS) + "]";
  return "control word " + std::to_string(w);
}

}  // namespace

Job Job::make(u32 slots, u32 observables, u32 tenants, u32 log_records, std::vector<OpcodeHandler> handlers) {
  Job j;
  j.control = words_of(encode_control(false, tenants, observables));
  j.ring = words_of(encode_empty_ring(slots));
  if (log_records > 0) j.log = words_of(encode_empty_debug_log(log_records));
  j.handlers = std::move(handlers);
  return j;
}

void Job::publish(u32 slot, u32 opcode, std::vector<u32> args, u32 tenant) {
  u32* s = &ring[std::size_t{slot} * abi::SLOT_WORDS];
  s[abi::SLOT_OPCODE] = opcode;
  s[abi::SLOT_TENANT] = tenant;
  s[abi::SLOT_RESULT] = 0;
  for (u32 i = 0; i < abi::MAX_ARGS; ++i) s[abi::SLOT_ARGS + i] = i < args.size() ? args[i] : 0u;
  s[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
}

void Job::set_window(u32 tenant, u32 base, u32 len) {
  control[abi::tenant_word(tenant, abi::TENANT_WINDOW_BASE)] = base;
  control[abi::tenant_word(tenant, abi::TENANT_WINDOW_LEN)] = len;
}

void Job::set_allow(u32 tenant, std::uint64_t mask) {
  control[abi::tenant_word(tenant, abi::TENANT_ALLOW_LO)] = static_cast<u32>(mask);
  control[abi::tenant_word(tenant, abi::TENANT_ALLOW_HI)] = static_cast<u32>(mask >> 32);
}

OutputBuffers Job::to_buffers() const {
  OutputBuffers b;
  b.control = bytes_of(control);
  b.ring = bytes_of(ring);
  b.debug_log = bytes_of(log);
  return b;
}

void Job::from_buffers(const OutputBuffers& b) {
  control = words_of(b.control);
  ring = words_of(b.ring);
  log = words_of(b.debug_log);
}

void stamp_opcode_table(Job& job) {
  std::vector<u32> ids(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
  for (const OpcodeHandler& h : job.handlers) ids.push_back(h.opcode);
  value_or_throw(try_stamp_opcode_table_words(WordSpan(job.control), ids));
}

u32 run_oracle(Job& job, u32 step_budget) {
  stamp_opcode_table(job);
  std::shared_ptr<const ir::Program> program = value_or_throw(ir::Program::build(job.handlers, step_budget));
  ir::CustomOps ops{program.get()};
  const interp::View view = interp::make_view(job.ring.data(), static_cast<u32>(job.ring.size() / abi::SLOT_WORDS),
                                              job.control.data(), job.log.empty() ? nullptr : job.log.data(), nullptr);
  interp::BatchedAccounting<SCOPE> acct;
  for (u32 round = 1;; ++round) {
    const interp::SweepCounts c = interp::sweep<SCOPE>(view, 0, 1, ops, acct);
    interp::heartbeat<SCOPE>(view);
    // The CPU backend's rule: stop when nothing can be runnable next round.
    if (c.progress == 0 || c.rerun() == 0 || interp::shutdown_requested<SCOPE>(view) || round > 100000) return round;
  }
}

std::string compare_jobs(const Job& want, const Job& got) {
  std::string out;
  int shown = 0;
  auto report = [&](const std::string& what, u32 w, u32 g) {
    if (shown++ < 12) out += what + ": want " + std::to_string(w) + " got " + std::to_string(g) + "\n";
  };
  if (want.ring.size() != got.ring.size() || want.control.size() != got.control.size() ||
      want.log.size() != got.log.size())
    return "buffer sizes differ\n";
  for (std::size_t i = 0; i < want.ring.size(); ++i)
    if (want.ring[i] != got.ring[i])
      report("ring slot " + std::to_string(i / abi::SLOT_WORDS) + " word " + std::to_string(i % abi::SLOT_WORDS),
             want.ring[i], got.ring[i]);
  const bool several_faults = want.control[abi::CTRL_FAULT_COUNT] > 1;
  for (u32 i = 0; i < want.control.size(); ++i) {
    if (i == abi::CTRL_HEARTBEAT || (i == abi::CTRL_LAST_FAULT_SLOT && several_faults)) continue;
    if (want.control[i] != got.control[i]) report(control_word_name(i), want.control[i], got.control[i]);
  }
  if (!want.log.empty()) {
    for (u32 i = 0; i < abi::LOG_HEADER_WORDS; ++i)
      if (want.log[i] != got.log[i]) report("debug log header word " + std::to_string(i), want.log[i], got.log[i]);
    using Record = std::array<u32, abi::LOG_RECORD_WORDS>;
    auto records = [](const std::vector<u32>& log) {
      std::vector<Record> r;
      const u32 n = std::min(log[abi::LOG_CURSOR], log[abi::LOG_CAPACITY]);
      for (u32 k = 0; k < n; ++k) {
        Record rec;
        std::copy_n(log.begin() + abi::LOG_HEADER_WORDS + std::size_t{k} * abi::LOG_RECORD_WORDS, rec.size(),
                    rec.begin());
        r.push_back(rec);
      }
      std::sort(r.begin(), r.end());
      return r;
    };
    // A log that overflowed kept whichever records were claimed first: only CURSOR is comparable.
    if (want.log[abi::LOG_CURSOR] <= want.log[abi::LOG_CAPACITY] && records(want.log) != records(got.log))
      out += "debug-log records differ (compared as a multiset)\n";
  }
  if (shown > 12) out += "... " + std::to_string(shown - 12) + " more differences\n";
  return out;
}

}  // namespace mk::jit_test
