// Control buffer: encoding a fresh buffer and validating an existing one.
#include <algorithm>

#include "detail.h"

namespace mk {

namespace {

Status check_tenant_count(std::uint32_t tenant_count) {
  if (tenant_count <= abi::MAX_TENANTS) return {};
  return fail(ErrorKind::InvalidArgument,
              "tenant_count " + std::to_string(tenant_count) + " for " +
                  detail::control_word_label(abi::CTRL_TENANT_COUNT) +
                  " is more than MAX_TENANTS=" + std::to_string(abi::MAX_TENANTS),
              "use at most 64 tenants");
}

// Writes every word of a correctly sized buffer.
void fill_control(WordSpan words, bool shutdown, std::uint32_t tenant_count, std::uint32_t observables) {
  std::fill(words.begin(), words.end(), Word{0});
  words[abi::CTRL_MAGIC] = abi::CONTROL_MAGIC;
  words[abi::CTRL_ABI_VERSION] = abi::ABI_VERSION;
  words[abi::CTRL_TENANT_COUNT] = tenant_count;
  words[abi::CTRL_OBSERVABLE_COUNT] = observables;
  words[abi::CTRL_SHUTDOWN] = shutdown ? 1 : 0;
  for (std::uint32_t i = 0; i < abi::BUILTIN_OPCODES; ++i) {
    words[abi::CTRL_OPCODE_IDS + i] = abi::BUILTIN_OPCODE_IDS[i];
  }
  for (std::uint32_t tenant = 0; tenant < tenant_count; ++tenant) {
    words[abi::tenant_word(tenant, abi::TENANT_FLAGS)] =
        abi::TENANT_FLAG_ENABLED | (tenant == 0 ? abi::TENANT_FLAG_ADMIN : 0);
    words[abi::tenant_word(tenant, abi::TENANT_ALLOW_LO)] = 0xFFFFFFFFu;
    words[abi::tenant_word(tenant, abi::TENANT_ALLOW_HI)] = 0xFFFFFFFFu;
    words[abi::tenant_word(tenant, abi::TENANT_WINDOW_BASE)] = 0;
    words[abi::tenant_word(tenant, abi::TENANT_WINDOW_LEN)] = observables;
  }
}

Result<ControlHeader> validate_words(ConstWordSpan words) {
  const std::string fix = "encode the buffer with encode_control()";
  if (words.empty()) {
    return fail(ErrorKind::Malformed,
                "control is empty: " + detail::control_word_label(abi::CTRL_MAGIC) + " is missing", fix);
  }
  if (words[abi::CTRL_MAGIC] != abi::CONTROL_MAGIC) {
    return fail(ErrorKind::Malformed,
                detail::control_word_label(abi::CTRL_MAGIC) + " is " + detail::hex32(words[abi::CTRL_MAGIC]) +
                    ", expected " + detail::hex32(abi::CONTROL_MAGIC),
                fix);
  }
  if (words.size() < abi::CTRL_OBSERVABLES) {
    return fail(ErrorKind::Malformed,
                "control is " + std::to_string(words.size()) + " words, shorter than its fixed part of " +
                    std::to_string(abi::CTRL_OBSERVABLES) + " words (header, opcode table, tenants)",
                "size the control buffer with try_control_bytes(observable_count)");
  }
  if (words[abi::CTRL_ABI_VERSION] != abi::ABI_VERSION) {
    return fail(ErrorKind::Malformed,
                detail::control_word_label(abi::CTRL_ABI_VERSION) + " is " +
                    std::to_string(words[abi::CTRL_ABI_VERSION]) + ", expected " + std::to_string(abi::ABI_VERSION),
                "re-encode the buffer with this build's encode_control()");
  }
  ControlHeader header{words[abi::CTRL_TENANT_COUNT], words[abi::CTRL_OBSERVABLE_COUNT]};
  if (header.tenant_count > abi::MAX_TENANTS) {
    return fail(ErrorKind::Malformed,
                detail::control_word_label(abi::CTRL_TENANT_COUNT) + " is " + std::to_string(header.tenant_count) +
                    ", more than MAX_TENANTS=" + std::to_string(abi::MAX_TENANTS),
                fix);
  }
  const std::uint64_t want = std::uint64_t{abi::CTRL_OBSERVABLES} + header.observable_count;
  if (header.observable_count > abi::MAX_OBSERVABLES || words.size() != want) {
    return fail(ErrorKind::Malformed,
                "control is " + std::to_string(words.size()) + " words, but " +
                    detail::control_word_label(abi::CTRL_OBSERVABLE_COUNT) + " = " +
                    std::to_string(header.observable_count) + " needs " + std::to_string(abi::CTRL_OBSERVABLES) +
                    " + " + std::to_string(header.observable_count) + " = " + std::to_string(want) + " words",
                "pass the whole control buffer, sized with try_control_bytes(observable_count)");
  }
  return header;
}

}  // namespace

Status try_encode_control_words_into(WordSpan out, bool shutdown, std::uint32_t tenant_count,
                                     std::uint32_t observable_slots) {
  MK_TRY(check_tenant_count(tenant_count));
  auto bytes = try_control_bytes(observable_slots);
  if (!bytes) return detail::error_of(bytes);
  MK_TRY(detail::check_output_size(detail::CONTROL, out.size(), *bytes));
  fill_control(out, shutdown, tenant_count, observable_slots);
  return {};
}

Status try_encode_control_into(ByteSpan out, bool shutdown, std::uint32_t tenant_count,
                               std::uint32_t observable_slots) {
  MK_TRY(check_tenant_count(tenant_count));
  MK_TRY(try_control_bytes(observable_slots));
  auto words = try_as_words(out, detail::CONTROL);
  if (!words) return detail::error_of(words);
  return try_encode_control_words_into(*words, shutdown, tenant_count, observable_slots);
}

void encode_control_into(ByteSpan out, bool shutdown, std::uint32_t tenant_count, std::uint32_t observable_slots) {
  value_or_throw(try_encode_control_into(out, shutdown, tenant_count, observable_slots));
}

Result<Bytes> try_encode_control(bool shutdown, std::uint32_t tenant_count, std::uint32_t observable_slots) {
  MK_TRY(check_tenant_count(tenant_count));
  auto bytes = try_control_bytes(observable_slots);
  if (!bytes) return detail::error_of(bytes);
  Bytes out(*bytes);
  MK_TRY(try_encode_control_into(out, shutdown, tenant_count, observable_slots));
  return out;
}

Bytes encode_control(bool shutdown, std::uint32_t tenant_count, std::uint32_t observable_slots) {
  return value_or_throw(try_encode_control(shutdown, tenant_count, observable_slots));
}

Result<ControlHeader> try_validate_control_words(ConstWordSpan control) { return validate_words(control); }

Result<ControlHeader> try_validate_control(ConstByteSpan control) {
  auto words = try_as_words(control, detail::CONTROL);
  if (!words) return detail::error_of(words);
  return validate_words(*words);
}

namespace detail {

Result<ControlView> control_view(ConstByteSpan control) {
  auto words = try_as_words(control, CONTROL);
  if (!words) return error_of(words);
  auto header = validate_words(*words);
  if (!header) return error_of(header);
  return ControlView{*words, *header};
}

Result<MutableControlView> mutable_control_view(WordSpan control) {
  auto header = validate_words(control);
  if (!header) return error_of(header);
  return MutableControlView{control, *header};
}

Result<MutableControlView> mutable_control_view(ByteSpan control) {
  auto words = try_as_words(control, CONTROL);
  if (!words) return error_of(words);
  return mutable_control_view(*words);
}

Status check_tenant(const ControlHeader& header, std::uint32_t tenant) {
  if (tenant < header.tenant_count) return {};
  return fail(ErrorKind::InvalidArgument,
              "tenant " + std::to_string(tenant) + " is not below " + control_word_label(abi::CTRL_TENANT_COUNT) +
                  " = " + std::to_string(header.tenant_count),
              "use a tenant below TENANT_COUNT, or encode the control buffer with more tenants");
}

}  // namespace detail

}  // namespace mk
