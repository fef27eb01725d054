// Conformance cases for PRINTF and the debug log: records as a multiset, RESULT as the
// claimed index, overflow (dropped count), and the BAD_ARGS paths.
#include <numeric>

#include "cases.h"

namespace mk::conformance {

std::vector<Case> printf_cases() {
  using namespace abi;
  std::vector<Case> cases;

  cases.push_back(Case("printf_single_record")
                      .tenants(2)
                      .debug_log(4)
                      .item(5, OP_PRINTF, 1, {42, 1, 2, 3, 4, 5})
                      .done(5, 0)
                      .record(42, 1, 5, {1, 2, 3, 4, 5})
                      .log_claimed(1, 0));

  // Fewer than five args read as 0 in the record; words past ARGS[5] are not recorded.
  cases.push_back(Case("printf_missing_args_are_zero")
                      .debug_log(1)
                      .item(0, OP_PRINTF, 0, {7, 99})
                      .done(0, 0)
                      .record(7, 0, 0, {99, 0, 0, 0, 0})
                      .log_claimed(1, 0));

  {
    // Many PRINTFs from several tenants: the records are exactly one per slot (as a
    // multiset), and the RESULTs are a permutation of 0..n-1.
    Case c("printf_many_records_multiset");
    c.tenants(4).debug_log(64);
    std::vector<u32> slots, indices;
    for (u32 k = 0; k < 40; ++k) {
      const u32 slot = k * 6 + 1, tenant = k % 4;
      c.item(slot, OP_PRINTF, tenant, {1000 + k, k, k * k, slot, tenant, 0xFFFFFFFF - k})
          .done_any(slot)
          .record(1000 + k, tenant, slot, {k, k * k, slot, tenant, 0xFFFFFFFF - k});
      slots.push_back(slot);
      indices.push_back(k);
    }
    c.log_claimed(40, 0).check(result_multiset(slots, indices));
    cases.push_back(c);
  }

  {
    // Capacity 3, ten PRINTFs: CURSOR counts all ten, seven are dropped, RESULT is the
    // claimed index even past the capacity. Which three survive is order-dependent.
    Case c("printf_overflow_counts_dropped");
    c.debug_log(3);
    std::vector<u32> slots, indices;
    for (u32 k = 0; k < 10; ++k) {
      c.item(k * 20, OP_PRINTF, 0, {5, k}).done_any(k * 20);
      slots.push_back(k * 20);
      indices.push_back(k);
    }
    c.log_claimed(10, 7).check(result_multiset(slots, indices));
    cases.push_back(c);
  }

  // A zero-capacity log still counts claims.
  cases.push_back(Case("printf_zero_capacity_log")
                      .debug_log(0)
                      .item(0, OP_PRINTF, 0, {1})
                      .item(1, OP_PRINTF, 0, {2})
                      .done_any(0)
                      .done_any(1)
                      .no_records()
                      .log_claimed(2, 2)
                      .check(result_multiset({0, 1}, {0, 1})));

  // No debug log supplied: BAD_ARGS.
  cases.push_back(Case("printf_without_debug_log").item(0, OP_PRINTF, 0, {1, 2}).fault(0, FAULT_BAD_ARGS));

  // fmt_id with the commit bit would be indistinguishable from COMMIT: BAD_ARGS, and
  // nothing is claimed. fmt 0x7FFFFFFF is the largest valid id.
  cases.push_back(Case("printf_fmt_with_high_bit")
                      .debug_log(2)
                      .item(0, OP_PRINTF, 0, {0x80000000})
                      .item(1, OP_PRINTF, 0, {0xFFFFFFFF, 1})
                      .item(2, OP_PRINTF, 0, {0x7FFFFFFF, 9})
                      .fault(0, FAULT_BAD_ARGS)
                      .fault(1, FAULT_BAD_ARGS)
                      .done(2, 0)
                      .record(0x7FFFFFFF, 0, 2, {9})
                      .log_claimed(1, 0));

  // PRINTF is authorised like any opcode: a tenant without it in its mask faults.
  cases.push_back(Case("printf_unauthorized_tenant")
                      .tenants(2)
                      .policy(1, ALL_OPS & ~bit(IDX_PRINTF), Window{0, 1024})
                      .debug_log(2)
                      .item(0, OP_PRINTF, 1, {3})
                      .item(1, OP_PRINTF, 0, {4})
                      .fault(0, FAULT_UNAUTHORIZED)
                      .done(1, 0)
                      .record(4, 0, 1, {})
                      .log_claimed(1, 0));

  return cases;
}

}  // namespace mk::conformance
