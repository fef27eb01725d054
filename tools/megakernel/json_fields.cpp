// Typed, path-aware JSON accessors and the JobError formatting used by the job reader.
#include "json_fields.h"

#include <cmath>
#include <cstdio>

namespace mk::cli {

std::string JobError::line() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  // A hostile document can make a path as long as its nesting: show both ends.
  constexpr std::size_t MAX_WHERE = 160;
  if (where.empty()) {
    out += "top level";
  } else if (where.size() > MAX_WHERE) {
    out += where.substr(0, MAX_WHERE / 2) + "..." + where.substr(where.size() - MAX_WHERE / 2);
  } else {
    out += where;
  }
  if (!at.empty()) out += " (" + at + ")";
  out += ": " + message;
  if (!fix.empty()) out += "; fix: " + fix;
  // One line, whatever the parts held.
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace mk::cli

namespace mk::cli::detail {

void fail_at(std::string where, std::string message, std::string fix) {
  throw JobFailure(JobError{"", std::move(where), "", std::move(message), std::move(fix)});
}

std::string path_key(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string path_index(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::string quote_text(std::string_view text) {
  constexpr std::size_t MAX_SHOWN = 60;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < MAX_SHOWN; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > MAX_SHOWN) out += "...";
  out += '"';
  return out;
}

std::string_view kind_of(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
      return value.get<std::int64_t>() < 0 ? "a negative number" : "a number";
    case Json::value_t::number_unsigned:
      return "a number";
    case Json::value_t::number_float: {
      const double v = value.get<double>();
      // 1e3 and 2.0 are whole numbers, but written as floating point.
      return std::floor(v) == v ? "a number written with a decimal point or an exponent" : "a fractional number";
    }
    case Json::value_t::binary:
      return "binary data";
    case Json::value_t::discarded:
      return "nothing";
  }
  return "an unknown value";
}

const Json& object_at(const Json& value, std::string_view path, std::initializer_list<std::string_view> allowed) {
  if (!value.is_object()) {
    fail_at(std::string(path), "expected an object, found " + std::string(kind_of(value)),
            "write {...} here (see examples/jobs/hello.json)");
  }
  for (const auto& [key, _] : value.items()) {
    bool known = false;
    for (std::string_view name : allowed) known = known || key == name;
    if (!known) {
      std::string list;
      for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      fail_at(path_key(path, key), "unknown field " + quote_text(key),
              "remove it or use one of the known fields: " + list);
    }
  }
  return value;
}

const Json& array_at(const Json& value, std::string_view path) {
  if (!value.is_array()) {
    fail_at(std::string(path), "expected an array, found " + std::string(kind_of(value)), "write [...] here");
  }
  return value;
}

std::uint32_t u32_at(const Json& value, std::string_view path, std::uint32_t max) {
  const std::string range = "an integer 0.." + std::to_string(max);
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > max) {
      fail_at(std::string(path), std::to_string(number) + " is out of range", "use " + range);
    }
    return static_cast<std::uint32_t>(number);
  }
  if (value.is_number_integer()) {  // signed storage means negative here
    fail_at(std::string(path), std::to_string(value.get<std::int64_t>()) + " is negative", "use " + range);
  }
  fail_at(std::string(path), "expected an unsigned integer, found " + std::string(kind_of(value)), "use " + range);
}

bool bool_at(const Json& value, std::string_view path) {
  if (!value.is_boolean()) {
    fail_at(std::string(path), "expected true or false, found " + std::string(kind_of(value)), "write true or false");
  }
  return value.get<bool>();
}

std::string string_at(const Json& value, std::string_view path) {
  if (!value.is_string()) {
    fail_at(std::string(path), "expected a string, found " + std::string(kind_of(value)), "write \"...\" here");
  }
  return value.get<std::string>();
}

const Json* member(const Json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace mk::cli::detail
