// Writes the seed corpora under fuzz/corpus/<target>/ from real encoded buffers, so the
// seeds follow the ABI without spelling it: `fuzz_make_seeds fuzz/corpus`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "mk/protocol.h"

using namespace mk;

namespace {

void write(const std::filesystem::path& dir, const std::string& name, ConstByteSpan bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

WordSpan words_of(Bytes& bytes) { return *try_as_words(ByteSpan(bytes), "seed"); }

void control_seeds(const std::filesystem::path& dir) {
  write(dir, "fresh-1-tenant", encode_control(false, 1, 0));
  Bytes busy = encode_control(true, 4, 16);
  std::vector<std::uint32_t> ids(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
  ids.push_back(4096);
  value_or_throw(try_stamp_opcode_table(busy, ids));
  set_tenant_policy(busy, 2, 0x1006, Window{4, 8});
  const std::uint32_t observables[] = {1, 2, 3, 4};
  value_or_throw(try_write_observables(busy, 12, observables));
  WordSpan words = words_of(busy);
  words[abi::CTRL_DONE_COUNT] = 9;
  words[abi::CTRL_EPOCH] = 2;
  words[abi::CTRL_OPCODE_COUNTS + abi::IDX_STORE_U32] = 5;
  words[abi::CTRL_OPCODE_COUNTS + abi::BUILTIN_OPCODES] = 4;
  words[abi::tenant_word(2, abi::TENANT_DONE)] = 3;
  write(dir, "busy-4-tenants", busy);
  Bytes bad = encode_control(false, 2, 8);
  words_of(bad)[abi::CTRL_OBSERVABLE_COUNT] = 9;
  write(dir, "size-mismatch", bad);
}

void ring_seeds(const std::filesystem::path& dir) {
  write(dir, "empty-4", encode_empty_ring(4));
  Bytes ring = encode_empty_ring(8);
  std::vector<WorkItem> items;
  for (std::uint32_t i = 0; i < 3; ++i) {
    const std::uint32_t args[] = {i, i + 1};
    items.push_back(*WorkItem::make(abi::OP_STORE_U32, i, args));
  }
  batch_publish(ring, 0, items, 7);
  const std::vector<PackedOp> ops = {{abi::OP_STORE_U32, {1, 2}}, {abi::OP_LOAD_U32, {1}}};
  publish_packed_slot(ring, 5, 0, ops);
  WordSpan words = words_of(ring);
  words[0 * abi::SLOT_WORDS + abi::SLOT_STATUS] = abi::STATUS_DONE;
  words[1 * abi::SLOT_WORDS + abi::SLOT_STATUS] = abi::STATUS_FAULT;
  words[1 * abi::SLOT_WORDS + abi::SLOT_RESULT] = abi::FAULT_OUT_OF_BOUNDS;
  words[2 * abi::SLOT_WORDS + abi::SLOT_STATUS] = abi::STATUS_WAIT_IO;
  write(dir, "mixed-8", ring);
}

void debug_log_seeds(const std::filesystem::path& dir) {
  write(dir, "empty-2", encode_empty_debug_log(2));
  Bytes log = encode_empty_debug_log(4);
  WordSpan words = words_of(log);
  for (std::uint32_t i = 0; i < 3; ++i) {
    const std::size_t base = abi::LOG_HEADER_WORDS + std::size_t{i} * abi::LOG_RECORD_WORDS;
    words[base + abi::REC_TENANT] = i;
    words[base + abi::REC_SLOT] = 10 + i;
    words[base + abi::REC_ARGS] = 100 + i;
    words[base + abi::REC_COMMIT] = i == 1 ? 0 : (abi::REC_COMMIT_BIT | (i + 1));  // record 1 is partial
  }
  words[abi::LOG_CURSOR] = 3;
  write(dir, "partial-4", log);
  words[abi::LOG_CURSOR] = 9;
  write(dir, "dropped-4", log);
}

void io_queue_seeds(const std::filesystem::path& dir) {
  write(dir, "empty-2", encode_empty_io_queue(2));
  Bytes io = encode_empty_io_queue(4);
  WordSpan words = words_of(io);
  const std::uint32_t statuses[] = {abi::IO_STATUS_REQUESTED, abi::IO_STATUS_SERVICING, abi::IO_STATUS_OK,
                                    abi::IO_STATUS_POSTING};
  for (std::uint32_t i = 0; i < 4; ++i) {
    const std::size_t base = abi::IO_HEADER_WORDS + std::size_t{i} * abi::IO_REQUEST_WORDS;
    words[base + abi::REQ_OP] = abi::IO_OP_READ;
    words[base + abi::REQ_SOURCE] = 1;
    words[base + abi::REQ_DEST] = 8 * i;
    words[base + abi::REQ_BYTE_COUNT] = 32;
    words[base + abi::REQ_RING_SLOT] = i;
    words[base + abi::REQ_STATUS] = statuses[i];
  }
  words[abi::IO_HEAD] = 4;
  write(dir, "requests-4", io);
}

void publish_seeds(const std::filesystem::path& dir) {
  // FuzzedDataProvider input: any bytes are valid; give it a few shapes to start from.
  std::mt19937 rng(7);
  for (int seed = 0; seed < 6; ++seed) {
    Bytes bytes(48 + 80 * seed);
    for (auto& b : bytes) b = std::byte(static_cast<std::uint8_t>(rng() & (seed % 2 ? 0x07 : 0xFF)));
    write(dir, "random-" + std::to_string(seed), bytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT (e.g. fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  control_seeds(root / "fuzz_control");
  ring_seeds(root / "fuzz_ring");
  debug_log_seeds(root / "fuzz_debug_log");
  io_queue_seeds(root / "fuzz_io_queue");
  publish_seeds(root / "fuzz_publish");
  return 0;
}
