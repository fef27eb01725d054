// Compact batches: shape and whole-batch validation, the serialised header, decoding.
#include "mk/batch.h"

#include <algorithm>
#include <limits>
#include <string>

#include "detail.h"

namespace mk {
namespace {

constexpr std::string_view BATCH = "batch";

std::string opcode_label(std::uint32_t opcode) {
  const std::string_view name = builtin_opcode_name(opcode);
  return name.empty() ? detail::hex32(opcode) : std::string(name) + " (" + detail::hex32(opcode) + ")";
}

Status check_opcode(std::uint32_t opcode, std::span<const std::uint32_t> table, const std::string& where) {
  if (abi::batch_refuses_opcode(opcode))
    return fail(ErrorKind::InvalidArgument,
                where + ": opcode " + opcode_label(opcode) + " cannot run in a compact batch (it " +
                    (opcode == abi::OP_BATCH_FENCE ? "waits on other ring slots"
                     : opcode == abi::OP_LOAD_MISS ? "waits on the host's I/O service"
                                                   : "stops the kernel for every tenant") +
                    ")",
                "publish it into a ring slot and use dispatch / dispatch_until_idle instead");
  if (!table.empty() && std::find(table.begin(), table.end(), opcode) == table.end())
    return fail(ErrorKind::InvalidArgument,
                where + ": opcode " + opcode_label(opcode) + " is not in the megakernel's opcode table",
                "register it as a custom opcode at bootstrap, or fix the opcode id");
  return {};
}

Status check_tenant(std::uint32_t tenant, std::uint32_t tenant_count, const std::string& where) {
  if (tenant < tenant_count) return {};
  return fail(ErrorKind::InvalidArgument,
              where + ": tenant " + std::to_string(tenant) + " is not below the control buffer's tenant count " +
                  std::to_string(tenant_count),
              "use a tenant the control buffer was encoded with, or encode it with more tenants");
}

}  // namespace

Status try_validate_batch_shape(const BatchShape& shape) {
  if (shape.arg_count > abi::MAX_ARGS)
    return fail(ErrorKind::InvalidArgument,
                "batch shape: arg_count " + std::to_string(shape.arg_count) + " exceeds the " +
                    std::to_string(abi::MAX_ARGS) + " argument words of a slot",
                "pass at most 12 argument words per item");
  if (!shape.per_item_opcode) return check_opcode(shape.opcode, {}, "batch shape");
  return {};
}

Status try_validate_batch(const BatchView& batch, std::span<const std::uint32_t> opcode_table,
                          std::uint32_t tenant_count) {
  MK_TRY(try_validate_batch_shape(batch.shape));
  if (batch.count > abi::BATCH_MAX_ITEMS)
    return fail(ErrorKind::InvalidArgument,
                "batch: " + std::to_string(batch.count) + " items exceed BATCH_MAX_ITEMS " +
                    std::to_string(abi::BATCH_MAX_ITEMS),
                "split the work into several batches");
  const std::uint32_t stride = batch.shape.stride();
  const std::uint64_t want = std::uint64_t{batch.count} * stride;  // < 2^32 * 14: no overflow
  if (batch.records.size() < want)
    return fail(ErrorKind::InvalidArgument,
                "batch: " + std::to_string(batch.count) + " items of " + std::to_string(stride) + " words need " +
                    std::to_string(want) + " record words, the records hold " + std::to_string(batch.records.size()),
                "pass count * shape.stride() words, or a smaller count");
  if (!batch.shape.per_item_opcode) MK_TRY(check_opcode(batch.shape.opcode, opcode_table, "batch shape"));
  if (!batch.shape.per_item_tenant) MK_TRY(check_tenant(batch.shape.tenant, tenant_count, "batch shape"));
  if (!batch.shape.per_item_opcode && !batch.shape.per_item_tenant) return {};
  // Per-item fields: one pass, the first bad item named.
  const Word* r = batch.records.data();
  const std::uint32_t tenant_at = batch.shape.per_item_opcode ? 1u : 0u;
  // Consecutive items mostly share an opcode: the table is searched only when it changes.
  bool have_ok = false;
  std::uint32_t last_ok = 0;
  for (std::uint32_t i = 0; i < batch.count; ++i, r += stride) {
    if (batch.shape.per_item_opcode && (!have_ok || r[0] != last_ok)) {
      MK_TRY(check_opcode(r[0], opcode_table, "batch item " + std::to_string(i) + " field OPCODE"));
      have_ok = true;
      last_ok = r[0];
    }
    if (batch.shape.per_item_tenant && r[tenant_at] >= tenant_count)
      MK_TRY(check_tenant(r[tenant_at], tenant_count, "batch item " + std::to_string(i) + " field TENANT"));
  }
  return {};
}

Result<std::size_t> try_batch_words(const BatchShape& shape, std::uint32_t count) {
  MK_TRY(try_validate_batch_shape(shape));
  if (count > abi::BATCH_MAX_ITEMS)
    return fail(ErrorKind::InvalidArgument, "batch: " + std::to_string(count) + " items exceed BATCH_MAX_ITEMS",
                "split the work into several batches");
  return std::size_t{abi::BATCH_HEADER_WORDS} + std::size_t{count} * shape.stride();
}

Status try_encode_batch_header(WordSpan out, const BatchShape& shape, std::uint32_t count) {
  MK_TRY(try_batch_words(shape, count));
  if (out.size() < abi::BATCH_HEADER_WORDS)
    return fail(ErrorKind::InvalidArgument,
                "batch header: the output holds " + std::to_string(out.size()) + " words, the header needs " +
                    std::to_string(abi::BATCH_HEADER_WORDS),
                "pass a buffer of try_batch_words() words");
  out[abi::BATCH_MAGIC_WORD] = abi::BATCH_MAGIC;
  out[abi::BATCH_VERSION_WORD] = abi::BATCH_VERSION;
  out[abi::BATCH_ITEM_COUNT] = count;
  out[abi::BATCH_FLAGS] = shape.flags();
  out[abi::BATCH_OPCODE] = shape.per_item_opcode ? 0u : shape.opcode;
  out[abi::BATCH_TENANT] = shape.per_item_tenant ? 0u : shape.tenant;
  out[abi::BATCH_ARG_COUNT] = shape.arg_count;
  out[abi::BATCH_STRIDE] = shape.stride();
  return {};
}

Result<BatchView> try_decode_batch(ConstWordSpan words) {
  auto malformed = [](std::uint32_t word, std::string what, std::string fix) {
    return fail(ErrorKind::Malformed, std::string(BATCH) + " word " + std::to_string(word) + ": " + std::move(what),
                std::move(fix));
  };
  if (words.size() < abi::BATCH_HEADER_WORDS)
    return fail(ErrorKind::Malformed,
                "batch: " + std::to_string(words.size()) + " words are shorter than the " +
                    std::to_string(abi::BATCH_HEADER_WORDS) + "-word header",
                "pass a whole batch: header (try_encode_batch_header) then records");
  if (words[abi::BATCH_MAGIC_WORD] != abi::BATCH_MAGIC)
    return malformed(
        abi::BATCH_MAGIC_WORD,
        "magic " + detail::hex32(words[abi::BATCH_MAGIC_WORD]) + " is not " + detail::hex32(abi::BATCH_MAGIC),
        "encode the header with try_encode_batch_header");
  if (words[abi::BATCH_VERSION_WORD] != abi::BATCH_VERSION)
    return malformed(
        abi::BATCH_VERSION_WORD,
        "version " + std::to_string(words[abi::BATCH_VERSION_WORD]) + " is not " + std::to_string(abi::BATCH_VERSION),
        "re-encode the batch with this library's version");
  const std::uint32_t flags = words[abi::BATCH_FLAGS];
  if ((flags & ~abi::BATCH_FLAGS_KNOWN) != 0)
    return malformed(abi::BATCH_FLAGS, "unknown flag bits " + detail::hex32(flags & ~abi::BATCH_FLAGS_KNOWN),
                     "use only BATCH_FLAG_ITEM_OPCODE and BATCH_FLAG_ITEM_TENANT");
  const std::uint32_t arg_count = words[abi::BATCH_ARG_COUNT];
  if (arg_count > abi::MAX_ARGS)
    return malformed(abi::BATCH_ARG_COUNT, "argument count " + std::to_string(arg_count) + " exceeds 12",
                     "pass at most 12 argument words per item");
  const std::uint32_t stride = abi::batch_stride(flags, arg_count);
  if (words[abi::BATCH_STRIDE] != stride)
    return malformed(abi::BATCH_STRIDE,
                     "stride " + std::to_string(words[abi::BATCH_STRIDE]) +
                         " does not match the flags and argument count (" + std::to_string(stride) + " words)",
                     "encode the header with try_encode_batch_header");
  const std::uint32_t count = words[abi::BATCH_ITEM_COUNT];
  if (count > abi::BATCH_MAX_ITEMS)
    return malformed(abi::BATCH_ITEM_COUNT, std::to_string(count) + " items exceed BATCH_MAX_ITEMS",
                     "split the work into several batches");
  const std::uint64_t record_words = std::uint64_t{count} * stride;
  const std::uint64_t have = words.size() - abi::BATCH_HEADER_WORDS;
  if (have != record_words)
    return malformed(abi::BATCH_ITEM_COUNT,
                     std::to_string(count) + " items of " + std::to_string(stride) + " words need " +
                         std::to_string(record_words) + " record words, the buffer holds " + std::to_string(have) +
                         (have < record_words ? " (truncated)" : " (trailing words)"),
                     "pass exactly the header and its records");
  BatchView view;
  view.shape.per_item_opcode = (flags & abi::BATCH_FLAG_ITEM_OPCODE) != 0;
  view.shape.per_item_tenant = (flags & abi::BATCH_FLAG_ITEM_TENANT) != 0;
  view.shape.opcode = words[abi::BATCH_OPCODE];
  view.shape.tenant = words[abi::BATCH_TENANT];
  view.shape.arg_count = arg_count;
  view.count = count;
  view.records = words.subspan(abi::BATCH_HEADER_WORDS);
  return view;
}

}  // namespace mk
