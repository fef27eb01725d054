// Work items and the PACKED_SLOT argument layout (encode and decode).
#include <algorithm>

#include "detail.h"

namespace mk {

namespace {

constexpr std::uint32_t BYTE_MASK = 0xFFu;
constexpr std::uint32_t PACKED_OPCODE_LIMIT = 256;  // inner opcode ids are one byte

std::uint32_t byte_of(std::uint32_t word, std::uint32_t k) { return (word >> (8 * k)) & BYTE_MASK; }

}  // namespace

Result<WorkItem> WorkItem::make(std::uint32_t opcode, std::uint32_t tenant, std::span<const std::uint32_t> args) {
  if (args.size() > abi::MAX_ARGS) {
    return fail(ErrorKind::InvalidArgument,
                "work item (opcode " + detail::hex32(opcode) + ") has " + std::to_string(args.size()) +
                    " args, but a ring slot holds at most MAX_ARGS=" + std::to_string(abi::MAX_ARGS),
                "pass at most MAX_ARGS argument words, or split the work (PACKED_SLOT for small ops)");
  }
  WorkItem item;
  item.opcode = opcode;
  item.tenant = tenant;
  std::copy(args.begin(), args.end(), item.args.begin());
  item.arg_count = static_cast<std::uint32_t>(args.size());
  return item;
}

Result<WorkItem> try_make_packed_item(std::uint32_t tenant, std::span<const PackedOp> ops) {
  if (ops.empty() || ops.size() > abi::PACKED_MAX_OPS) {
    return fail(ErrorKind::InvalidArgument,
                "packed slot has " + std::to_string(ops.size()) + " inner ops; PACKED_SLOT ARGS[0] holds 1..4",
                "pack between 1 and 4 ops per slot; publish the rest in other slots");
  }
  std::size_t used = 0;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].opcode >= PACKED_OPCODE_LIMIT) {
      return fail(ErrorKind::InvalidArgument,
                  "packed op " + std::to_string(k) + " has opcode " + detail::hex32(ops[k].opcode) +
                      ", but PACKED_SLOT ARGS[1] stores inner opcode ids as one byte (< 256)",
                  "publish that op in its own slot, or register it with an id below 256");
    }
    used += ops[k].args.size();
  }
  if (used > abi::PACKED_MAX_WORDS) {
    return fail(ErrorKind::InvalidArgument,
                "packed ops need " + std::to_string(used) +
                    " argument words, but PACKED_SLOT ARGS[3..11] holds at most PACKED_MAX_WORDS=" +
                    std::to_string(abi::PACKED_MAX_WORDS),
                "move ops with many arguments into their own slots");
  }

  WorkItem item;
  item.opcode = abi::OP_PACKED_SLOT;
  item.tenant = tenant;
  std::uint32_t offset = 0;
  std::uint32_t opcodes = 0;
  std::uint32_t offsets = 0;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    opcodes |= ops[k].opcode << (8 * k);
    offsets |= offset << (8 * k);
    for (std::uint32_t word : ops[k].args) item.args[abi::PACKED_ARG_WORDS + offset++] = word;
  }
  item.args[abi::PACKED_ARG_HEADER] = static_cast<std::uint32_t>(ops.size()) | (offset << 8);
  item.args[abi::PACKED_ARG_OPCODES] = opcodes;
  item.args[abi::PACKED_ARG_OFFSETS] = offsets;
  item.arg_count = abi::PACKED_ARG_WORDS + offset;
  return item;
}

Result<std::vector<PackedOp>> try_decode_packed_args(std::span<const std::uint32_t, abi::MAX_ARGS> args) {
  const std::uint32_t header = args[abi::PACKED_ARG_HEADER];
  const std::uint32_t count = byte_of(header, 0);
  const std::uint32_t used = byte_of(header, 1);
  const std::string fix = "encode packed slots with try_make_packed_item()";
  if (count == 0 || count > abi::PACKED_MAX_OPS) {
    return fail(ErrorKind::Malformed,
                "PACKED_SLOT ARGS[0] (header " + detail::hex32(header) + ") has op count " + std::to_string(count) +
                    ", expected 1..4",
                fix);
  }
  if (used > abi::PACKED_MAX_WORDS) {
    return fail(ErrorKind::Malformed,
                "PACKED_SLOT ARGS[0] (header " + detail::hex32(header) + ") uses " + std::to_string(used) +
                    " packed words, more than PACKED_MAX_WORDS=" + std::to_string(abi::PACKED_MAX_WORDS),
                fix);
  }
  std::vector<PackedOp> ops(count);
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::uint32_t begin = byte_of(args[abi::PACKED_ARG_OFFSETS], k);
    const std::uint32_t end = k + 1 < count ? byte_of(args[abi::PACKED_ARG_OFFSETS], k + 1) : used;
    if (begin > end || end > used) {
      return fail(ErrorKind::Malformed,
                  "PACKED_SLOT ARGS[2] (offsets " + detail::hex32(args[abi::PACKED_ARG_OFFSETS]) + ") gives op " +
                      std::to_string(k) + " words [" + std::to_string(begin) + ", " + std::to_string(end) +
                      "), outside the " + std::to_string(used) + " used words",
                  fix);
    }
    ops[k].opcode = byte_of(args[abi::PACKED_ARG_OPCODES], k);
    ops[k].args.assign(args.begin() + abi::PACKED_ARG_WORDS + begin, args.begin() + abi::PACKED_ARG_WORDS + end);
  }
  return ops;
}

}  // namespace mk
