// Control buffer readers: run-state counters, observables, metrics, tenant counters.
#include "detail.h"

namespace mk {

namespace {

// Counters the host polls while the kernel runs: acquire, so whatever the kernel
// published before bumping them (slot STATUS, observables) is visible after.
Result<std::uint32_t> read_counter(ConstByteSpan control, std::uint32_t word) {
  auto view = detail::control_view(control);
  if (!view) return detail::error_of(view);
  return detail::load_acquire(view->words[word]);
}

}  // namespace

Result<std::uint32_t> try_read_done_count(ConstByteSpan control) { return read_counter(control, abi::CTRL_DONE_COUNT); }
Result<std::uint32_t> try_read_epoch(ConstByteSpan control) { return read_counter(control, abi::CTRL_EPOCH); }
Result<std::uint32_t> try_read_last_fence_tag(ConstByteSpan control) {
  return read_counter(control, abi::CTRL_LAST_FENCE_TAG);
}
Result<std::uint32_t> try_read_fault_count(ConstByteSpan control) {
  return read_counter(control, abi::CTRL_FAULT_COUNT);
}

Result<std::uint32_t> try_read_observable(ConstByteSpan control, std::uint32_t index) {
  auto view = detail::control_view(control);
  if (!view) return detail::error_of(view);
  if (index >= view->header.observable_count) {
    return fail(ErrorKind::InvalidArgument,
                "observable " + std::to_string(index) + " is not below " +
                    detail::control_word_label(abi::CTRL_OBSERVABLE_COUNT) + " = " +
                    std::to_string(view->header.observable_count),
                "read an observable index below OBSERVABLE_COUNT");
  }
  return view->words[abi::CTRL_OBSERVABLES + index];
}

Result<std::vector<std::uint32_t>> try_read_observables(ConstByteSpan control) {
  auto view = detail::control_view(control);
  if (!view) return detail::error_of(view);
  const ConstWordSpan observables = view->words.subspan(abi::CTRL_OBSERVABLES);
  return std::vector<std::uint32_t>(observables.begin(), observables.end());
}

std::uint32_t read_done_count(ConstByteSpan control) { return value_or_throw(try_read_done_count(control)); }
std::uint32_t read_epoch(ConstByteSpan control) { return value_or_throw(try_read_epoch(control)); }
std::uint32_t read_last_fence_tag(ConstByteSpan control) { return value_or_throw(try_read_last_fence_tag(control)); }
std::uint32_t read_fault_count(ConstByteSpan control) { return value_or_throw(try_read_fault_count(control)); }
std::uint32_t read_observable(ConstByteSpan control, std::uint32_t index) {
  return value_or_throw(try_read_observable(control, index));
}
std::vector<std::uint32_t> read_observables(ConstByteSpan control) {
  return value_or_throw(try_read_observables(control));
}

Status try_read_metrics_into(ConstByteSpan control, std::vector<OpcodeCount>& out) {
  out.clear();
  auto view = detail::control_view(control);
  if (!view) return detail::error_of(view);
  for (std::uint32_t i = 0; i < abi::MAX_OPCODES; ++i) {
    const std::uint32_t count = view->words[abi::CTRL_OPCODE_COUNTS + i];
    if (count != 0) out.push_back(OpcodeCount{view->words[abi::CTRL_OPCODE_IDS + i], i, count});
  }
  return {};
}

Result<std::vector<OpcodeCount>> try_read_metrics(ConstByteSpan control) {
  std::vector<OpcodeCount> out;
  MK_TRY(try_read_metrics_into(control, out));
  return out;
}

std::vector<OpcodeCount> read_metrics(ConstByteSpan control) { return value_or_throw(try_read_metrics(control)); }

Result<TenantCounters> try_read_tenant_counters(ConstByteSpan control, std::uint32_t tenant) {
  auto view = detail::control_view(control);
  if (!view) return detail::error_of(view);
  MK_TRY(detail::check_tenant(view->header, tenant));
  const auto word = [&](std::uint32_t field) { return view->words[abi::tenant_word(tenant, field)]; };
  TenantCounters counters;
  counters.tenant = tenant;
  counters.flags = word(abi::TENANT_FLAGS);
  counters.allowed_opcodes =
      std::uint64_t{word(abi::TENANT_ALLOW_LO)} | (std::uint64_t{word(abi::TENANT_ALLOW_HI)} << 32);
  counters.window = Window{word(abi::TENANT_WINDOW_BASE), word(abi::TENANT_WINDOW_LEN)};
  counters.done = word(abi::TENANT_DONE);
  counters.faults = word(abi::TENANT_FAULTS);
  return counters;
}

TenantCounters read_tenant_counters(ConstByteSpan control, std::uint32_t tenant) {
  return value_or_throw(try_read_tenant_counters(control, tenant));
}

}  // namespace mk
