// libFuzzer target: try_decode_batch and try_validate_batch on arbitrary words, and
// every batch they accept run by the CPU backend's dispatch_batch. Invariants: a decoded
// header re-encodes to the same words; an accepted batch completes every item exactly
// once (DONE_COUNT), its fault bitmap agrees with FAULT_COUNT and each fault code is a
// real one; a rejected batch leaves the previous output untouched.
#include "fuzz_util.h"
#include "mk/mk.h"

using namespace mk;
using fuzz::check;

namespace {

const Megakernel& megakernel() {
  static const Megakernel mk = value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.threads = 1}), 64, 64));
  return mk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // First byte: tenants in the control buffer (1..4) and the observable count.
  const std::uint32_t tenants = 1 + (data[0] & 3u);
  const std::uint32_t observables = 1 + (data[1] & 63u);
  const Bytes bytes = fuzz::aligned_copy(data + 2, size - 2 - (size - 2) % 4);
  const ConstWordSpan words(reinterpret_cast<const Word*>(bytes.data()), bytes.size() / 4);
  const auto batch = try_decode_batch(words);
  if (!batch) {
    check(batch.error().kind() == ErrorKind::Malformed);
    return 0;
  }
  // The decoder checks the format; the encoder also refuses shapes the batch path
  // cannot run. A shape both accept re-encodes to the same header.
  std::vector<Word> header(abi::BATCH_HEADER_WORDS);
  const bool runnable = try_validate_batch_shape(batch->shape).has_value();
  check(try_encode_batch_header(header, batch->shape, batch->count).has_value() == runnable);
  if (runnable) {
    check(batch->shape.per_item_opcode || header[abi::BATCH_OPCODE] == words[abi::BATCH_OPCODE]);
    check(header[abi::BATCH_STRIDE] == words[abi::BATCH_STRIDE] && header[abi::BATCH_FLAGS] == words[abi::BATCH_FLAGS]);
  }

  Bytes control = encode_control(false, tenants, observables);
  if (tenants > 1) set_tenant_policy(control, 1, 0x55, Window{observables / 2, observables - observables / 2});
  BatchOutput out;
  const auto ran = megakernel().dispatch_batch(control, *batch, out);
  if (!ran) {
    check(ran.error().kind() == ErrorKind::InvalidArgument && out.size() == 0);
    return 0;
  }
  check(out.size() == batch->count);
  check(read_done_count(out.control()) == batch->count);
  check(read_fault_count(out.control()) == out.fault_count());
  for (const BatchFault& f : out.faults())
    check(f.item < batch->count && f.code != 0 && f.code < abi::FAULT_CODE_COUNT);
  return 0;
}
