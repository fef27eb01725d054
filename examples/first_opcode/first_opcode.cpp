// A first custom opcode: register scale_add, publish four items and their fence, check the results.
//
// docs/reference.md section 8 walks through this file; the test suite checks that the
// code shown there is this file's, and runs it (example_first_opcode_cpu).
#include <cstdio>
#include <string_view>
#include <mk/mk.h>

// scale_add(addr, factor, delta): word[addr] = word[addr] * factor + delta; RESULT = new value.
constexpr std::uint32_t OP_SCALE_ADD = 0x1000;  // not a system id

mk::OpcodeHandler scale_add() {
  using namespace mk::ir;
  return {OP_SCALE_ADD, "scale_add",
          body({let("v", load(arg(0)) * arg(1) + arg(2)), store(arg(0), var("v")), result(var("v"))})};
}

int run(const char* backend_name) {
  auto backend = mk::value_or_throw(mk::make_backend(backend_name));
  // 64 slots on workgroups of 64 lanes: one whole workgroup.
  auto kernel = mk::value_or_throw(mk::Megakernel::bootstrap_sharded(backend, 64, 64, {scale_add()}));

  auto control = mk::encode_control(/*shutdown=*/false, /*tenants=*/1, /*observables=*/1024);
  mk::value_or_throw(mk::try_write_observables(control, 0, std::vector<std::uint32_t>{1, 2, 3, 4}));
  auto ring = mk::encode_empty_ring(kernel.slot_count());

  std::vector<mk::WorkItem> items;
  for (std::uint32_t i = 0; i < 4; ++i)
    items.push_back(mk::value_or_throw(mk::WorkItem::make(OP_SCALE_ADD, 0, {i, 10, 1})));
  // Four items in slots 0..3 and their fence in slot 4: n + 1 slots, returns 5.
  const std::uint32_t next = mk::batch_publish(ring, 0, items, /*fence_tag=*/7);

  auto out = mk::value_or_throw(kernel.dispatch(std::move(control), std::move(ring)));
  const std::uint32_t word2 = mk::read_observable(out.control, 2);
  const std::uint32_t tag = mk::read_last_fence_tag(out.control);
  std::printf("next %u, word 2 = %u, fence tag %u\n", next, word2, tag);  // next 5, word 2 = 31, fence tag 7
  return next == 5 && word2 == 31 && tag == 7 ? 0 : 1;
}

int main(int argc, char** argv) {
  // mk_example_first_opcode [--backend auto|cpu|cuda]
  const char* backend = "auto";
  if (argc == 3 && std::string_view(argv[1]) == "--backend") backend = argv[2];
  try {
    return run(backend);
  } catch (const mk::Error& e) {
    std::fprintf(stderr, "mk_example_first_opcode: %s; fix: %s\n", e.message().c_str(), e.fix().c_str());
    return 1;
  }
}
