// A tenant's policy (flags, opcode mask, window) as read from the control buffer.
#pragma once

#include "interp/atomics.h"
#include "interp/view.h"

namespace mk::interp {

// The tenant's policy as read at claim time.
struct Policy {
  u32 flags = 0;
  u32 allow_lo = 0;
  u32 allow_hi = 0;
  Window window;

  MK_HD bool allows(u32 index) const {
    return index < 32 ? ((allow_lo >> index) & 1u) != 0 : ((allow_hi >> (index - 32)) & 1u) != 0;
  }
};

template <cuda::thread_scope S>
MK_HD Policy read_policy(const View& v, u32 tenant) {
  using A = Atomics<S>;
  Policy p;
  p.flags = A::load_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_FLAGS));
  p.allow_lo = A::load_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_ALLOW_LO));
  p.allow_hi = A::load_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_ALLOW_HI));
  p.window =
      clamp_window(A::load_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_WINDOW_BASE)),
                   A::load_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_WINDOW_LEN)), v.observable_count);
  return p;
}

}  // namespace mk::interp
