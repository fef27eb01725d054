// libFuzzer target: control buffer validation, readers and writers on arbitrary bytes.
#include <algorithm>
#include <vector>

#include "fuzz_util.h"

using namespace mk;
using fuzz::check;

namespace {

void fuzz_readers(ConstByteSpan control) {
  const auto header = try_validate_control(control);
  const bool valid = header.has_value();
  // Every reader validates the same way.
  check(try_read_done_count(control).has_value() == valid);
  check(try_read_epoch(control).has_value() == valid);
  check(try_read_last_fence_tag(control).has_value() == valid);
  check(try_read_fault_count(control).has_value() == valid);
  const auto observables = try_read_observables(control);
  check(observables.has_value() == valid);
  const auto metrics = try_read_metrics(control);
  check(metrics.has_value() == valid);
  if (!valid) {
    check(!header.error().message().empty() && !header.error().fix().empty());
    check(header.error().kind() == ErrorKind::Malformed);
    return;
  }
  check(header->tenant_count <= abi::MAX_TENANTS);
  check(observables->size() == header->observable_count);
  check(!try_read_observable(control, header->observable_count).has_value());
  if (header->observable_count != 0) {
    check(*try_read_observable(control, header->observable_count - 1) == observables->back());
  }
  std::uint32_t last_index = 0;
  for (std::size_t i = 0; i < metrics->size(); ++i) {
    const OpcodeCount& entry = (*metrics)[i];
    check(entry.count != 0 && entry.table_index < abi::MAX_OPCODES);
    check(i == 0 || entry.table_index > last_index);
    last_index = entry.table_index;
  }
  for (std::uint32_t tenant = 0; tenant <= abi::MAX_TENANTS; ++tenant) {
    check(try_read_tenant_counters(control, tenant).has_value() == (tenant < header->tenant_count));
  }
}

// Each writer either succeeds or leaves the buffer byte-identical.
void fuzz_writers(Bytes& control, const std::uint8_t* data, std::size_t size) {
  const std::uint32_t p0 = fuzz::tail_word(data, size, 0);
  const std::uint32_t p1 = fuzz::tail_word(data, size, 1);
  const std::uint32_t p2 = fuzz::tail_word(data, size, 2);
  const Bytes before = control;
  const bool valid = try_validate_control(control).has_value();

  const std::uint32_t tenant = p0 & 0x7F;
  const Window window{p1 & 0xFFFF, p1 >> 16};
  const std::uint64_t mask = (std::uint64_t{p2} << 32) | p0;
  if (auto status = try_set_tenant_policy(control, tenant, mask, window); status) {
    check(valid);
    const TenantCounters counters = *try_read_tenant_counters(control, tenant);
    check(counters.allowed_opcodes == mask && counters.window == window);
  } else {
    check(control == before);
  }

  const Bytes before_flags = control;
  if (auto status = try_set_tenant_flags(control, tenant, p0 & 0x100, p0 & 0x200); status) {
    check(valid);
  } else {
    check(control == before_flags);
  }

  const std::vector<std::uint32_t> words(p2 & 0x1F, p1);
  const Bytes before_obs = control;
  if (auto status = try_write_observables(control, p0 >> 20, words); status) {
    check(valid);
  } else {
    check(control == before_obs);
  }

  std::vector<std::uint32_t> ids(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
  if (p1 & 1) ids[p1 % abi::BUILTIN_OPCODES] ^= p2;  // maybe break a built-in
  for (std::uint32_t i = 0; i < (p0 >> 24) % 56; ++i) ids.push_back(i % 3 == 0 ? p2 + i : 0x100 + (p1 & 0xF) * i);
  const Bytes before_ids = control;
  if (auto status = try_stamp_opcode_table(control, ids); status) {
    check(valid && ids.size() <= abi::MAX_OPCODES);
    check(try_validate_control(control).has_value());
  } else {
    check(control == before_ids);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes control = fuzz::aligned_copy(data, size);
  fuzz_readers(control);
  fuzz_writers(control, data, size);

  fuzz::MisalignedCopy misaligned(data, size);
  const auto refused = try_validate_control(misaligned.span());
  check(!refused && refused.error().kind() == ErrorKind::Malformed);
  return 0;
}
