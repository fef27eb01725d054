// Typed, path-aware accessors over nlohmann::json for the job reader; they throw JobFailure.
#pragma once

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "job_error.h"

namespace mk::cli::detail {

using Json = nlohmann::json;

// Thrown inside the reader and caught at its entry point; never escapes the reader.
struct JobFailure : std::exception {
  JobError error;
  explicit JobFailure(JobError e) : error(std::move(e)) {}
  const char* what() const noexcept override { return error.message.c_str(); }
};

[[noreturn]] void fail_at(std::string where, std::string message, std::string fix);

// "items" + "args" -> "items.args"; "" + "items" -> "items".
std::string path_key(std::string_view path, std::string_view key);
// "items" + 3 -> "items[3]".
std::string path_index(std::string_view path, std::size_t index);

// A user-supplied string made safe for a one-line message: quoted, control bytes and
// non-ASCII escaped, long strings cut.
std::string quote_text(std::string_view text);
// What kind of JSON value this is, for messages ("a string", "an array", ...).
std::string_view kind_of(const Json& value);

// Fails unless `value` is an object whose keys are all in `allowed`.
const Json& object_at(const Json& value, std::string_view path, std::initializer_list<std::string_view> allowed);
const Json& array_at(const Json& value, std::string_view path);

// Unsigned 32-bit integer (no floats, no negatives, <= 0xFFFFFFFF); `max` tightens it.
std::uint32_t u32_at(const Json& value, std::string_view path, std::uint32_t max = 0xFFFFFFFFu);
bool bool_at(const Json& value, std::string_view path);
std::string string_at(const Json& value, std::string_view path);

// Member lookup: nullptr when absent.
const Json* member(const Json& object, std::string_view key);

}  // namespace mk::cli::detail
