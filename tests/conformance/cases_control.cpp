// Conformance cases for control: BATCH_FENCE (epochs, tags, nesting, bad ranges),
// SHUTDOWN, unknown opcodes, and whole-ring shapes (empty ring, every slot used).
#include <numeric>

#include "cases.h"

namespace mk::conformance {

std::vector<Case> control_cases() {
  using namespace abi;
  std::vector<Case> cases;

  cases.push_back(Case("empty_ring").init(0, {1, 2, 3}));

  cases.push_back(Case("empty_ring_small_geometry").geometry(64, 64).tenants(4));

  {
    // Every slot of a 64-slot ring used, mixed opcodes and one fault per 16 slots.
    Case c("full_ring_mixed_ops");
    c.geometry(64, 32).whole_ring();
    for (u32 s = 0; s < 64; ++s) {
      switch (s % 4) {
        case 0:
          c.item(s, OP_STORE_U32, 0, {s, s + 1}).done(s, 0).obs(s, s + 1);
          break;
        case 1:
          c.init(100 + s, {s * 3}).item(s, OP_LOAD_U32, 0, {100 + s}).done(s, s * 3);
          break;
        case 2:
          c.item(s, OP_NOP, 0, {}).done(s, 0);
          break;
        default:
          if (s % 16 == 3) {
            c.item(s, OP_STORE_U32, 0, {5000 + s, 1}).fault(s, FAULT_OUT_OF_BOUNDS);
          } else {
            c.init(300 + s, {10}).item(s, OP_COMPARE_SWAP, 0, {300 + s, 10, s}).done(s, 10).obs(300 + s, s);
          }
      }
    }
    cases.push_back(c);
  }

  // batch_publish: items in 0..3, the fence in 4 covering exactly them.
  cases.push_back(Case("fence_after_batch")
                      .batch(0,
                             {work(OP_STORE_U32, 0, {0, 10}), work(OP_STORE_U32, 0, {1, 11}),
                              work(OP_ATOMIC_ADD, 0, {2, 5}), work(OP_NOP, 0, {})},
                             9)
                      .done(0, 0)
                      .done(1, 0)
                      .done(2, 0)
                      .done(3, 0)
                      .done(4, 1)
                      .obs_range(0, {10, 11, 5})
                      .epoch(1)
                      .fence_tag(9));

  // Two batches back to back: their fences are independent (racy order), EPOCH 2.
  cases.push_back(Case("fence_two_batches")
                      .tenants(2)
                      .batch(10, {work(OP_STORE_U32, 1, {0, 1}), work(OP_STORE_U32, 1, {1, 2})}, 21, 1)
                      .batch(13, {work(OP_STORE_U32, 0, {2, 3}), work(OP_LOAD_U32, 0, {9999})}, 22)
                      .done(10, 0)
                      .done(11, 0)
                      .done(13, 0)
                      .fault(14, FAULT_OUT_OF_BOUNDS)
                      .done_any(12)
                      .done_any(15)
                      .obs_range(0, {1, 2, 3})
                      .racy_fence_tag()
                      .check(result_multiset({12, 15}, {1, 2})));

  // A batch fenced by a tenant that may not fence: the items run, the fence faults.
  cases.push_back(Case("fence_by_unauthorized_tenant")
                      .tenants(2)
                      .policy(1, ALL_OPS & ~bit(IDX_BATCH_FENCE), Window{0, 1024})
                      .batch(0, {work(OP_STORE_U32, 1, {0, 1})}, 5, 1)
                      .done(0, 0)
                      .fault(1, FAULT_UNAUTHORIZED)
                      .obs(0, 1));

  // The fence sits before the slots it covers, so its first attempt must go back to
  // PUBLISHED and complete in a later sweep.
  cases.push_back(Case("fence_before_its_items")
                      .fence(0, 1, 4, 77)
                      .item(1, OP_STORE_U32, 0, {0, 1})
                      .item(2, OP_STORE_U32, 0, {1, 2})
                      .item(3, OP_STORE_U32, 0, {2, 3})
                      .item(4, OP_STORE_U32, 0, {3, 4})
                      .done(0, 1)
                      .done(1, 0)
                      .done(2, 0)
                      .done(3, 0)
                      .done(4, 0)
                      .obs_range(0, {1, 2, 3, 4})
                      .fence_tag(77));

  // FAULT counts as settled: a fence over faulting slots still completes.
  cases.push_back(Case("fence_covers_faults")
                      .item(0, OP_STORE_U32, 0, {5000, 1})
                      .item(1, 0x1234, 0, {})
                      .item(2, OP_STORE_U32, 0, {2, 2})
                      .fence(3, 0, 3, 5)
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .fault(1, FAULT_UNKNOWN_OPCODE)
                      .done(2, 0)
                      .done(3, 1)
                      .obs(2, 2)
                      .fence_tag(5));

  // EMPTY counts as settled: a fence over slots nobody published completes at once.
  cases.push_back(Case("fence_over_empty_slots").fence(10, 0, 10, 3).done(10, 1).fence_tag(3));

  // A fence whose range is only itself.
  cases.push_back(Case("fence_covering_only_itself").fence(7, 7, 1, 4).done(7, 1).fence_tag(4));

  // A fence over the whole ring, itself included, waits for every other slot.
  {
    Case c("fence_over_whole_ring");
    c.geometry(128, 64);
    for (u32 s = 0; s < 127; ++s) c.item(s, OP_ATOMIC_ADD, 0, {0, 1}).done_any(s);
    c.fence(127, 0, 128, 0xABCD).done(127, 1).fence_tag(0xABCD).obs(0, 127);
    cases.push_back(c);
  }

  // Nested fences are ordered: the outer one covers the inner one, so it completes
  // second: its RESULT is EPOCH 2 and its tag is the last one.
  cases.push_back(Case("fence_nested")
                      .item(0, OP_STORE_U32, 0, {0, 1})
                      .item(1, OP_STORE_U32, 0, {1, 1})
                      .fence(2, 0, 2, 100)  // inner
                      .item(3, OP_STORE_U32, 0, {3, 1})
                      .fence(4, 0, 4, 200)  // outer: covers the inner fence
                      .done(0, 0)
                      .done(1, 0)
                      .done(3, 0)
                      .done(2, 1)
                      .done(4, 2)
                      .obs_range(0, {1, 1, 0, 1})
                      .fence_tag(200));

  // A chain placed in reverse: each fence covers the next slot's fence, so they must
  // complete from the highest slot down (several sweeps).
  {
    Case c("fence_chain_reverse_order");
    for (u32 k = 0; k < 6; ++k) c.fence(k, k + 1, 1, 10 + k).done(k, 6 - k);
    c.item(6, OP_STORE_U32, 0, {0, 42}).done(6, 0).obs(0, 42).fence_tag(10);
    cases.push_back(c);
  }

  // Two fences over disjoint ranges do not wait on each other: EPOCH ends at 2, but
  // which one saw 1 and which tag is last is order-dependent.
  cases.push_back(Case("fence_independent_pair")
                      .item(0, OP_NOP, 0, {})
                      .fence(1, 0, 1, 1)
                      .item(128, OP_NOP, 0, {})
                      .fence(129, 128, 1, 2)
                      .done(0, 0)
                      .done(128, 0)
                      .done_any(1)
                      .done_any(129)
                      .racy_fence_tag()
                      .check(result_multiset({1, 129}, {1, 2}))
                      .check([](const RunOutput& run, Errors& errors) {
                        const u32 tag = run.readback.last_fence_tag;
                        const u32 last = run.readback.slots[1].result == 2 ? 1u : 2u;
                        if (tag != last)
                          errors.push_back("LAST_FENCE_TAG " + std::to_string(tag) +
                                           " is not the tag of the fence that saw EPOCH 2 (" + std::to_string(last) +
                                           ")");
                      }));

  // Two fences covering each other can never complete: both stay PUBLISHED, the
  // dispatch still returns, and the rest of the ring is unaffected.
  cases.push_back(Case("fence_mutual_wait_never_completes")
                      .fence(0, 1, 1, 1)
                      .fence(1, 0, 1, 2)
                      .item(2, OP_STORE_U32, 0, {0, 5})
                      .stays(0, STATUS_PUBLISHED)
                      .stays(1, STATUS_PUBLISHED)
                      .done(2, 0)
                      .obs(0, 5));

  // Range past the ring: BAD_ARGS, EPOCH untouched.
  cases.push_back(Case("fence_bad_range")
                      .geometry(64, 64)
                      .fence(0, 60, 5, 1)          // 60 + 5 > 64
                      .fence(1, 65, 0, 1)          // first past the end
                      .fence(2, 1, 0xFFFFFFFF, 1)  // count overflows
                      .fence(3, 64, 0, 8)          // empty range at the end: fine
                      .fault(0, FAULT_BAD_ARGS)
                      .fault(1, FAULT_BAD_ARGS)
                      .fault(2, FAULT_BAD_ARGS)
                      .done(3, 1)
                      .fence_tag(8));

  // A fence faulted for its range does not touch EPOCH or the tag; a later good one does.
  cases.push_back(Case("fence_epoch_counts_only_completed")
                      .fence(0, 0, 1000, 1)
                      .item(1, OP_NOP, 0, {})
                      .fence(2, 1, 1, 6)
                      .fault(0, FAULT_BAD_ARGS)
                      .done(1, 0)
                      .done(2, 1)
                      .fence_tag(6));

  cases.push_back(Case("shutdown_by_admin").item(0, OP_SHUTDOWN, 0, {}).done(0, 0).shutdown(1));

  // Tenant 1 is enabled and allowed every opcode but not admin.
  cases.push_back(Case("shutdown_by_non_admin_is_unauthorized")
                      .tenants(2)
                      .item(0, OP_SHUTDOWN, 1, {})
                      .item(1, OP_STORE_U32, 1, {0, 3})
                      .fault(0, FAULT_UNAUTHORIZED)
                      .done(1, 0)
                      .obs(0, 3));

  // Admin alone is not enough: SHUTDOWN must also be in the tenant's mask.
  cases.push_back(Case("shutdown_admin_masked_out")
                      .policy(0, ALL_OPS & ~bit(IDX_SHUTDOWN), Window{0, 1024})
                      .item(0, OP_SHUTDOWN, 0, {})
                      .fault(0, FAULT_UNAUTHORIZED));

  // Admin granted to another tenant with try_set_tenant_flags.
  cases.push_back(Case("shutdown_by_granted_admin")
                      .tenants(3)
                      .flags(2, true, true)
                      .item(0, OP_SHUTDOWN, 2, {})
                      .done(0, 0)
                      .shutdown(1));

  // Opcodes nobody registered: unused custom ids, system ids that are not built-ins,
  // near misses of the built-in ids.
  {
    Case c("unknown_opcodes");
    const u32 ops[] = {8,      11,      12,         0x1234,     0xFFEF,     0xFFF0,
                       0xFFFC, 0x10000, 0x7FFFFFFF, 0x80000000, 0x80000002, 0xFFFFFFFE};
    u32 s = 0;
    for (u32 op : ops) c.item(s, op, 0, {1, 2, 3}).fault(s, FAULT_UNKNOWN_OPCODE), s += 3;
    cases.push_back(c);
  }

  // Every fault code reachable without custom opcodes, in one ring.
  cases.push_back(Case("every_builtin_fault_code")
                      .tenants(2)
                      .policy(1, bit(IDX_NOP), Window{0, 1024})
                      .debug_log(4)
                      .io_queue(2)
                      .item(0, 0x4242, 0, {})                       // UNKNOWN_OPCODE
                      .item(1, OP_STORE_U32, 1, {0, 1})             // UNAUTHORIZED (mask)
                      .item(2, OP_LOAD_U32, 0, {4096})              // OUT_OF_BOUNDS
                      .item(3, OP_PRINTF, 0, {0x80000000})          // BAD_ARGS
                      .item(4, OP_LOAD_MISS, 0, {1, 100, 0, 4, 0})  // IO_ERROR (past the end)
                      .item(5, OP_NOP, 1, {})
                      .source(1, bytes_of({1, 2, 3, 4}))
                      .fault(0, FAULT_UNKNOWN_OPCODE)
                      .fault(1, FAULT_UNAUTHORIZED)
                      .fault(2, FAULT_OUT_OF_BOUNDS)
                      .fault(3, FAULT_BAD_ARGS)
                      .fault(4, FAULT_IO_ERROR)
                      .done(5, 0)
                      .io_head(1)
                      .no_records());
  // IO_QUEUE_FULL needs a run without a queue: see io cases (load_miss_without_queue).

  return cases;
}

}  // namespace mk::conformance
