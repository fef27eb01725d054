// Control buffer writers: tenant policy and flags, the opcode table, observables.
#include <algorithm>

#include "detail.h"

namespace mk {

Status try_set_tenant_policy(ByteSpan control, std::uint32_t tenant, std::uint64_t allowed_opcodes, Window window) {
  auto view = detail::mutable_control_view(control);
  if (!view) return detail::error_of(view);
  MK_TRY(detail::check_tenant(view->header, tenant));
  const std::uint64_t end = std::uint64_t{window.base} + window.len;
  if (end > view->header.observable_count) {
    return fail(ErrorKind::InvalidArgument,
                "tenant " + std::to_string(tenant) + " window [" + std::to_string(window.base) + ", " +
                    std::to_string(end) + ") runs past the observable region of " +
                    detail::control_word_label(abi::CTRL_OBSERVABLE_COUNT) + " = " +
                    std::to_string(view->header.observable_count) + " words",
                "choose a window with base + len <= OBSERVABLE_COUNT");
  }
  WordSpan words = view->words;
  words[abi::tenant_word(tenant, abi::TENANT_ALLOW_LO)] = static_cast<std::uint32_t>(allowed_opcodes);
  words[abi::tenant_word(tenant, abi::TENANT_ALLOW_HI)] = static_cast<std::uint32_t>(allowed_opcodes >> 32);
  words[abi::tenant_word(tenant, abi::TENANT_WINDOW_BASE)] = window.base;
  words[abi::tenant_word(tenant, abi::TENANT_WINDOW_LEN)] = window.len;
  return {};
}

void set_tenant_policy(ByteSpan control, std::uint32_t tenant, std::uint64_t allowed_opcodes, Window window) {
  value_or_throw(try_set_tenant_policy(control, tenant, allowed_opcodes, window));
}

Status try_set_tenant_flags(ByteSpan control, std::uint32_t tenant, bool enabled, bool admin) {
  auto view = detail::mutable_control_view(control);
  if (!view) return detail::error_of(view);
  MK_TRY(detail::check_tenant(view->header, tenant));
  Word& flags = view->words[abi::tenant_word(tenant, abi::TENANT_FLAGS)];
  // Bits this ABI does not define are kept for whoever set them.
  flags &= ~(abi::TENANT_FLAG_ENABLED | abi::TENANT_FLAG_ADMIN);
  flags |= (enabled ? abi::TENANT_FLAG_ENABLED : 0) | (admin ? abi::TENANT_FLAG_ADMIN : 0);
  return {};
}

Status try_stamp_opcode_table_words(WordSpan control, std::span<const std::uint32_t> ids) {
  auto view = detail::mutable_control_view(control);
  if (!view) return detail::error_of(view);
  if (ids.size() > abi::MAX_OPCODES || ids.size() < abi::BUILTIN_OPCODES) {
    return fail(ErrorKind::InvalidArgument,
                "opcode table has " + std::to_string(ids.size()) + " entries; OPCODE_IDS (" +
                    detail::control_word_label(abi::CTRL_OPCODE_IDS) + " on) holds " +
                    std::to_string(abi::BUILTIN_OPCODES) + " built-ins plus at most " +
                    std::to_string(abi::MAX_CUSTOM_OPCODES) + " custom opcodes",
                "start the table with abi::BUILTIN_OPCODE_IDS and register at most " +
                    std::to_string(abi::MAX_CUSTOM_OPCODES) + " custom opcodes");
  }
  for (std::uint32_t i = 0; i < ids.size(); ++i) {
    const std::string where = "opcode table entry " + std::to_string(i) + " (for " +
                              detail::control_word_label(abi::CTRL_OPCODE_IDS + i) + ")";
    if (i < abi::BUILTIN_OPCODES) {
      if (ids[i] != abi::BUILTIN_OPCODE_IDS[i]) {
        return fail(ErrorKind::InvalidArgument,
                    where + " is " + detail::hex32(ids[i]) + ", expected built-in " +
                        std::string(builtin_opcode_name(abi::BUILTIN_OPCODE_IDS[i])) + " (" +
                        detail::hex32(abi::BUILTIN_OPCODE_IDS[i]) + ")",
                    "start the table with abi::BUILTIN_OPCODE_IDS in order");
      }
      continue;
    }
    if (abi::is_system_opcode(ids[i])) {
      return fail(ErrorKind::InvalidArgument,
                  where + " is " + detail::hex32(ids[i]) + ", a system opcode (high bit set, 0xFFF0..0xFFFF, or <= 7)",
                  "give the custom opcode an id in 8..0xFFEF or 0x10000..0x7FFFFFFF");
    }
    const auto earlier = std::find(ids.begin() + abi::BUILTIN_OPCODES, ids.begin() + i, ids[i]);
    if (earlier != ids.begin() + i) {
      return fail(
          ErrorKind::InvalidArgument,
          where + " is " + detail::hex32(ids[i]) + ", a duplicate of entry " + std::to_string(earlier - ids.begin()),
          "register each custom opcode id once");
    }
  }
  WordSpan table = view->words.subspan(abi::CTRL_OPCODE_IDS, abi::MAX_OPCODES);
  std::fill(std::copy(ids.begin(), ids.end(), table.begin()), table.end(), Word{0});
  return {};
}

Status try_stamp_opcode_table(ByteSpan control, std::span<const std::uint32_t> ids) {
  auto words = try_as_words(control, detail::CONTROL);
  if (!words) return detail::error_of(words);
  return try_stamp_opcode_table_words(*words, ids);
}

Status try_write_observables(ByteSpan control, std::uint32_t at, std::span<const std::uint32_t> words) {
  auto view = detail::mutable_control_view(control);
  if (!view) return detail::error_of(view);
  const std::uint64_t end = std::uint64_t{at} + words.size();
  if (end > view->header.observable_count) {
    return fail(ErrorKind::InvalidArgument,
                "observables [" + std::to_string(at) + ", " + std::to_string(end) +
                    ") run past the observable region of " + detail::control_word_label(abi::CTRL_OBSERVABLE_COUNT) +
                    " = " + std::to_string(view->header.observable_count) + " words",
                "write inside [0, OBSERVABLE_COUNT), or encode the control buffer with more observables");
  }
  std::copy(words.begin(), words.end(), view->words.begin() + abi::CTRL_OBSERVABLES + at);
  return {};
}

}  // namespace mk
