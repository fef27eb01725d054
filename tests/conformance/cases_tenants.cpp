// Conformance cases for tenants: window-relative addressing, masks over table indices,
// disabled tenants, tenants past TENANT_COUNT, the authorisation order, counters.
#include "cases.h"

namespace mk::conformance {

std::vector<Case> tenant_cases() {
  using namespace abi;
  std::vector<Case> cases;

  // A narrowed tenant: 1 with window [512, 256] storing at 3 writes observable 515.
  cases.push_back(Case("window_relative_store")
                      .tenants(2)
                      .policy(1, ALL_OPS, Window{512, 256})
                      .item(0, OP_STORE_U32, 1, {3, 7})
                      .done(0, 0)
                      .obs(515, 7));

  cases.push_back(Case("window_relative_load_add_cas")
                      .tenants(2)
                      .policy(1, ALL_OPS, Window{512, 256})
                      .init(512, {11, 22, 33})
                      .init(0, {99, 99, 99})
                      .item(0, OP_LOAD_U32, 1, {0})
                      .item(1, OP_ATOMIC_ADD, 1, {1, 5})
                      .item(2, OP_COMPARE_SWAP, 1, {2, 33, 44})
                      .done(0, 11)
                      .done(1, 22)
                      .done(2, 33)
                      .obs_range(512, {11, 27, 44}));

  // Word window.len is the first word outside; the absolute index is never reachable.
  cases.push_back(Case("window_bounds_are_relative")
                      .tenants(2)
                      .policy(1, ALL_OPS, Window{512, 256})
                      .item(0, OP_STORE_U32, 1, {255, 1})
                      .item(1, OP_STORE_U32, 1, {256, 2})
                      .item(2, OP_STORE_U32, 1, {515, 3})
                      .item(3, OP_LOAD_U32, 1, {0xFFFFFFFF})
                      .done(0, 0)
                      .fault(1, FAULT_OUT_OF_BOUNDS)
                      .fault(2, FAULT_OUT_OF_BOUNDS)
                      .fault(3, FAULT_OUT_OF_BOUNDS)
                      .obs(767, 1));

  // MEMCPY and DFA_STEP ranges are window-relative and checked whole.
  cases.push_back(Case("window_relative_memcpy")
                      .tenants(2)
                      .policy(1, ALL_OPS, Window{600, 16})
                      .init(600, {1, 2, 3, 4})
                      .item(0, OP_MEMCPY, 1, {12, 0, 4})
                      .item(1, OP_MEMCPY, 1, {13, 0, 4})  // dst [13, 17) leaves the window
                      .done(0, 4)
                      .fault(1, FAULT_OUT_OF_BOUNDS)
                      .obs_range(612, {1, 2, 3, 4}));

  {
    std::vector<u32> table(DFA_ALPHABET, 0);
    table['x'] = 1;  // state 0 -x-> 1, anything else -> 0 (a one-state-wide table + state 1 row)
    std::vector<u32> row1(DFA_ALPHABET, 1);
    cases.push_back(Case("window_relative_dfa_step")
                        .tenants(2)
                        .policy(1, ALL_OPS, Window{256, 520})
                        .init(256, table)
                        .init(256 + DFA_ALPHABET, row1)
                        .init(256 + 515, {0})
                        .item(0, OP_DFA_STEP, 1, {0, 2, 515, 2, 'a' | ('x' << 8)})
                        .item(1, OP_DFA_STEP, 1, {10, 2, 515, 1, 'x'})  // table [10, 522) leaves [0, 520)
                        .done(0, 1)
                        .fault(1, FAULT_OUT_OF_BOUNDS)
                        .obs(256 + 515, 1));
  }

  // A zero-length window: every access faults, NOP still runs.
  cases.push_back(Case("window_empty")
                      .tenants(2)
                      .policy(1, ALL_OPS, Window{100, 0})
                      .item(0, OP_LOAD_U32, 1, {0})
                      .item(1, OP_NOP, 1, {})
                      .item(2, OP_MEMCPY, 1, {0, 0, 0})
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .done(1, 0)
                      .done(2, 0));

  // Two tenants using the same relative address hit different words.
  cases.push_back(Case("tenants_isolated_windows")
                      .tenants(3)
                      .policy(1, ALL_OPS, Window{0, 100})
                      .policy(2, ALL_OPS, Window{100, 100})
                      .item(0, OP_ATOMIC_ADD, 1, {0, 5})
                      .item(1, OP_ATOMIC_ADD, 2, {0, 7})
                      .item(2, OP_ATOMIC_ADD, 1, {0, 5})
                      .item(3, OP_ATOMIC_ADD, 2, {0, 7})
                      .done_any(0)
                      .done_any(1)
                      .done_any(2)
                      .done_any(3)
                      .obs(0, 10)
                      .obs(100, 14)
                      .check(result_multiset({0, 2}, {0, 5}))
                      .check(result_multiset({1, 3}, {0, 7})));

  // Masks are over table indices: a tenant allowed only LOAD_U32 and NOP.
  cases.push_back(Case("mask_allows_listed_only")
                      .tenants(2)
                      .policy(1, bit(IDX_LOAD_U32) | bit(IDX_NOP), Window{0, 1024})
                      .init(0, {8})
                      .item(0, OP_LOAD_U32, 1, {0})
                      .item(1, OP_NOP, 1, {})
                      .item(2, OP_STORE_U32, 1, {0, 1})
                      .item(3, OP_ATOMIC_ADD, 1, {0, 1})
                      .item(4, OP_BATCH_FENCE, 1, {0, 0, 1})
                      .item(5, OP_MEMCPY, 1, {1, 0, 1})
                      .done(0, 8)
                      .done(1, 0)
                      .fault(2, FAULT_UNAUTHORIZED)
                      .fault(3, FAULT_UNAUTHORIZED)
                      .fault(4, FAULT_UNAUTHORIZED)
                      .fault(5, FAULT_UNAUTHORIZED));

  // A mask with bits only in ALLOW_HI (indices >= 32) allows no built-in.
  cases.push_back(Case("mask_high_bits_only")
                      .tenants(2)
                      .policy(1, ~std::uint64_t{0} << 32, Window{0, 1024})
                      .item(0, OP_NOP, 1, {})
                      .fault(0, FAULT_UNAUTHORIZED));

  // Authorisation order: an unknown tenant or a disabled one is UNAUTHORIZED even for
  // an unknown opcode; an enabled tenant gets UNKNOWN_OPCODE even if its mask is empty.
  cases.push_back(Case("authorisation_order")
                      .tenants(3)
                      .flags(1, false, false)
                      .policy(2, 0, Window{0, 1024})
                      .item(0, 0x4444, 1, {})  // disabled tenant, unknown opcode
                      .item(1, 0x4444, 7, {})  // tenant past TENANT_COUNT, unknown opcode
                      .item(2, 0x4444, 2, {})  // empty mask, unknown opcode
                      .item(3, OP_NOP, 2, {})  // empty mask, known opcode
                      .fault(0, FAULT_UNAUTHORIZED)
                      .fault(1, FAULT_UNAUTHORIZED)
                      .fault(2, FAULT_UNKNOWN_OPCODE)
                      .fault(3, FAULT_UNAUTHORIZED));

  // Tenants at and past TENANT_COUNT: UNAUTHORIZED, no tenant counter moves (the record
  // of tenant 2 is not part of the table), but DONE_COUNT / FAULT_COUNT do.
  cases.push_back(Case("tenant_past_tenant_count")
                      .tenants(2)
                      .item(0, OP_NOP, 2, {})
                      .item(1, OP_STORE_U32, 63, {0, 1})
                      .item(2, OP_STORE_U32, 64, {0, 1})
                      .item(3, OP_NOP, 0xFFFFFFFF, {})
                      .item(4, OP_NOP, 1, {})
                      .fault(0, FAULT_UNAUTHORIZED)
                      .fault(1, FAULT_UNAUTHORIZED)
                      .fault(2, FAULT_UNAUTHORIZED)
                      .fault(3, FAULT_UNAUTHORIZED)
                      .done(4, 0));

  // All 64 tenants, each storing into its own window.
  {
    Case c("sixty_four_tenants");
    c.tenants(64);
    for (u32 t = 0; t < 64; ++t) {
      c.policy(t, ALL_OPS, Window{t * 16, 16}).item(t * 4, OP_STORE_U32, t, {t % 16, t + 1000}).done(t * 4, 0);
      c.obs(t * 16 + t % 16, t + 1000);
    }
    cases.push_back(c);
  }

  // Disabled tenants: every opcode, SHUTDOWN and admin included, is UNAUTHORIZED.
  cases.push_back(Case("disabled_tenant")
                      .tenants(3)
                      .flags(1, false, false)
                      .flags(2, false, true)  // admin but disabled
                      .item(0, OP_NOP, 1, {})
                      .item(1, OP_STORE_U32, 1, {0, 1})
                      .item(2, OP_SHUTDOWN, 2, {})
                      .item(3, OP_NOP, 0, {})
                      .fault(0, FAULT_UNAUTHORIZED)
                      .fault(1, FAULT_UNAUTHORIZED)
                      .fault(2, FAULT_UNAUTHORIZED)
                      .done(3, 0));

  // Re-enabling a tenant restores it.
  cases.push_back(Case("tenant_reenabled")
                      .tenants(2)
                      .flags(1, false, false)
                      .flags(1, true, false)
                      .item(0, OP_STORE_U32, 1, {0, 4})
                      .done(0, 0)
                      .obs(0, 4));

  // Per-tenant DONE / FAULTS over a mixed ring (derived by the harness from the slots).
  {
    Case c("tenant_counters_mixed");
    c.geometry(512, 64).tenants(4);
    c.policy(1, ALL_OPS & ~bit(IDX_ATOMIC_ADD), Window{0, 512});
    c.policy(2, ALL_OPS, Window{512, 512});
    c.flags(3, false, false);
    for (u32 s = 0; s < 512; ++s) {
      const u32 t = s % 4;
      if (t == 3) {
        c.item(s, OP_NOP, 3, {}).fault(s, FAULT_UNAUTHORIZED);
      } else if (s % 7 == 0) {
        // Relative address 600 is inside tenant 0's window only.
        c.item(s, OP_LOAD_U32, t, {600});
        if (t == 0)
          c.done(s, 0);
        else
          c.fault(s, FAULT_OUT_OF_BOUNDS);
      } else if (t == 1 && s % 5 == 0) {
        c.item(s, OP_ATOMIC_ADD, 1, {0, 1}).fault(s, FAULT_UNAUTHORIZED);
      } else {
        c.item(s, OP_NOP, t, {}).done(s, 0);
      }
    }
    cases.push_back(c);
  }

  return cases;
}

}  // namespace mk::conformance
