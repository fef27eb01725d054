// Stress-test workload: a seeded generator of random multi-tenant rings and the
// sequential host model that predicts every slot's outcome and the final counters.
//
// The workload is built so that the final state is order-independent: ATOMIC_ADD is the
// only op on the shared "add region" of each tenant window (commutative), and STORE /
// LOAD / COMPARE_SWAP only touch the word owned by their ring slot (one op per slot
// per dispatch, dispatches are sequential). Fences either stand alone or nest, so their
// EPOCH results and the last tag are determined too.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mk/protocol.h"

namespace mk::stress {

using u32 = std::uint32_t;

inline constexpr u32 SLOTS = 4096;
inline constexpr u32 WORKGROUP = 256;
inline constexpr u32 TENANTS = 6;               // TENANT_COUNT; items also use tenant 9 (unknown)
inline constexpr u32 WINDOW = 8192;             // words per enabled tenant window
inline constexpr u32 ADD_REGION = 256;          // [0, 256): ATOMIC_ADD only
inline constexpr u32 SLOT_REGION = ADD_REGION;  // [256, 256 + SLOTS): one word per ring slot
inline constexpr u32 OBSERVABLES = 4 * WINDOW;  // tenants 0..3 own one window each
inline constexpr u32 UNKNOWN_TENANT = 9;
inline constexpr u32 UNKNOWN_OPCODE = 0x1234;
static_assert(SLOT_REGION + SLOTS <= WINDOW, "every slot owns a word in each window");

// Static tenant table: what encode_control + set_tenant_policy / set_tenant_flags build.
struct TenantSpec {
  bool enabled = true;
  bool admin = false;
  std::uint64_t allow = ~std::uint64_t{0};
  Window window;
};
const std::array<TenantSpec, TENANTS>& tenant_specs();

// Apply the tenant table to a fresh control buffer.
Status apply_tenants(ByteSpan control);

// What a slot must look like after the dispatch.
struct SlotExpect {
  u32 status = abi::STATUS_DONE;
  u32 result = 0;
  bool check_result = true;  // false: RESULT depends on the order of racing ATOMIC_ADDs
};

// The sequential model of everything order-independent in the control buffer.
struct Model {
  std::vector<u32> observables = std::vector<u32>(OBSERVABLES, 0);
  std::array<std::uint64_t, abi::MAX_OPCODES> metrics{};
  std::array<std::uint64_t, TENANTS> tenant_done{}, tenant_faults{};
  std::uint64_t done = 0, faults = 0;
  u32 epoch = 0, last_fence_tag = 0;
};

// Deterministic 64-bit generator (splitmix64).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next64() {
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  u32 next() { return static_cast<u32>(next64() >> 32); }
  u32 below(u32 n) { return static_cast<u32>((next64() >> 32) * n >> 32); }
  bool percent(u32 p) { return below(100) < p; }

 private:
  std::uint64_t m_state;
};

// One dispatch worth of items (slots 0..items.size()-1) with their predicted outcome;
// generating it advances the model as if the dispatch had run.
struct Batch {
  std::vector<WorkItem> items;
  std::vector<SlotExpect> expect;
  u32 faults = 0;
};
void generate_batch(Rng& rng, u32 item_count, Model& model, Batch& batch);

// A one-line description of an item, for failure messages.
std::string describe(const WorkItem& item);

}  // namespace mk::stress
