// Example payload processor: a byte-pattern scanner. Records arrive through LOAD_MISS
// from a host source into each tenant's window; a custom opcode (an IR body, run by the
// CPU evaluator or JIT-compiled on the GPU) counts a byte pattern in a record and adds
// the count to a per-tenant counter. Usage: mk_example_scanner [--backend auto|cpu|cuda]
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mk/mk.h"

namespace {

using namespace mk;

constexpr std::uint32_t TENANTS = 4;        // tenant 0 admin, 1..3 scan
constexpr std::uint32_t WINDOW = 64;        // words per scanning tenant
constexpr std::uint32_t RECORD_WORDS = 16;  // 64-byte records
constexpr std::uint32_t RECORDS_PER_TENANT = 3;
constexpr std::uint32_t COUNTER = 60;         // window word holding the tenant's match count
constexpr std::uint32_t COUNT_BYTE = 0x1000;  // the custom opcode
constexpr std::uint32_t SOURCE = 1;

// count_byte(record_addr, pattern, counter_addr): matches of `pattern` in a record's 64
// bytes, added to the counter; RESULT = matches in this record.
OpcodeHandler count_byte_handler() {
  using namespace mk::ir;
  Body per_word = body({
      let("w", load(arg(0) + var("i"))),
      for_("b", c(0), c(4),
           body({if_(((var("w") >> (var("b") * c(8))) & c(0xFF)) == arg(1),
                     body({set("count", var("count") + c(1))}))})),
  });
  return OpcodeHandler{COUNT_BYTE, "count_byte",
                       body({let("count", c(0)), for_("i", c(0), c(RECORD_WORDS), per_word),
                             let("old", atomic_add(arg(2), var("count"))), result(var("count"))})};
}

WorkItem item(std::uint32_t op, std::uint32_t tenant, std::vector<std::uint32_t> args) {
  return value_or_throw(WorkItem::make(op, tenant, args));
}

}  // namespace

int main(int argc, char** argv) {
  std::string backend_name = "auto";
  if (argc == 3 && std::strcmp(argv[1], "--backend") == 0) backend_name = argv[2];
  auto backend = make_backend(backend_name);
  if (!backend) {
    std::fprintf(stderr, "mk_example_scanner: %s\n", backend.error().what());
    return 1;
  }
  auto mk = Megakernel::bootstrap_sharded(*backend, 64, 64, {count_byte_handler()});
  if (!mk) {
    std::fprintf(stderr, "mk_example_scanner: %s\n", mk.error().what());
    return 1;
  }

  // The records: random bytes, some of them the pattern '*'.
  const std::uint8_t pattern = '*';
  std::mt19937 rng(2026);
  std::vector<std::byte> records((TENANTS - 1) * RECORDS_PER_TENANT * RECORD_WORDS * 4);
  for (auto& b : records) b = static_cast<std::byte>(rng() % 8 == 0 ? pattern : 'a' + rng() % 26);
  IoSources sources;
  value_or_throw(sources.add_bytes_view(SOURCE, records));

  // Tenant t > 0 sees words [WINDOW * t, WINDOW * (t + 1)) and may only load, count and
  // print; tenant 0 is the admin.
  OutputBuffers b;
  b.control = encode_control(false, TENANTS, WINDOW * TENANTS);
  const std::uint64_t allowed = (1ull << abi::IDX_LOAD_MISS) | (1ull << abi::FIRST_CUSTOM_INDEX);
  for (std::uint32_t t = 1; t < TENANTS; ++t)
    value_or_throw(try_set_tenant_policy(ByteSpan(b.control), t, allowed, Window{WINDOW * t, WINDOW}));
  b.ring = encode_empty_ring(mk->slot_count());
  b.io_queue = encode_empty_io_queue(4);  // fewer entries than records: misses queue up

  // Phase 1: every record arrives through LOAD_MISS (args: source, offset lo/hi, bytes, dest).
  std::vector<WorkItem> loads;
  for (std::uint32_t t = 1; t < TENANTS; ++t)
    for (std::uint32_t k = 0; k < RECORDS_PER_TENANT; ++k) {
      const std::uint32_t offset = ((t - 1) * RECORDS_PER_TENANT + k) * RECORD_WORDS * 4;
      loads.push_back(item(abi::OP_LOAD_MISS, t, {SOURCE, offset, 0, RECORD_WORDS * 4, k * RECORD_WORDS}));
    }
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(b.ring), loads));
  auto loaded = value_or_throw(mk->dispatch_until_idle(b, sources));

  // Phase 2: scan every record once it is in its window.
  std::vector<WorkItem> scans;
  for (std::uint32_t t = 1; t < TENANTS; ++t)
    for (std::uint32_t k = 0; k < RECORDS_PER_TENANT; ++k)
      scans.push_back(item(COUNT_BYTE, t, {k * RECORD_WORDS, pattern, COUNTER}));
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(b.ring), scans));
  auto scanned = value_or_throw(mk->dispatch_until_idle(b, sources));

  Readback r;
  value_or_throw(try_decode_readback(b, r));
  std::printf("backend %s: %u records loaded in %u rounds, scanned in %u rounds\n",
              std::string((*backend)->name()).c_str(), static_cast<unsigned>(loads.size()), loaded.rounds,
              scanned.rounds);
  bool ok = r.fault_count == 0;
  for (std::uint32_t t = 1; t < TENANTS; ++t) {
    std::uint32_t expected = 0;
    for (std::uint32_t i = 0; i < RECORDS_PER_TENANT * RECORD_WORDS * 4; ++i)
      expected += records[(t - 1) * RECORDS_PER_TENANT * RECORD_WORDS * 4 + i] == static_cast<std::byte>(pattern);
    const std::uint32_t counted = r.observables[WINDOW * t + COUNTER];
    std::printf("tenant %u: %u matches of '%c' (host count %u), done %u, faults %u\n", t, counted, pattern, expected,
                r.tenants[t].done, r.tenants[t].faults);
    ok = ok && counted == expected;
  }
  std::printf("%s\n", ok ? "OK: every tenant's count matches the host" : "MISMATCH");
  return ok ? 0 : 1;
}
