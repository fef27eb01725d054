// Helpers shared by the Megakernel API tests: small buffers and items.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "mk/mk.h"

namespace mk::test {

inline WorkItem item(std::uint32_t opcode, std::vector<std::uint32_t> args, std::uint32_t tenant = 0) {
  return value_or_throw(WorkItem::make(opcode, tenant, args));
}

// A control buffer with `tenants` tenants over `observables` words and a ring of
// `slots` slots holding `items` from slot 0.
inline OutputBuffers make_buffers(std::uint32_t slots, const std::vector<WorkItem>& items,
                                  std::uint32_t observables = 64, std::uint32_t tenants = 1) {
  OutputBuffers b;
  b.control = encode_control(false, tenants, observables);
  b.ring = encode_empty_ring(slots);
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(b.ring), items));
  return b;
}

inline Megakernel cpu_megakernel(std::uint32_t slots = 256, std::uint32_t wg = 64, std::uint32_t threads = 2) {
  return value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.threads = threads}), slots, wg));
}

}  // namespace mk::test
