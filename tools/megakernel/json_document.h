// Strict JSON text -> nlohmann::json for job files: duplicate keys, number overflow and
// integers past 64 bits are errors with line, column and JSON path.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "job_error.h"

namespace mk::cli {

// 1-based line and column of a byte offset in `text`.
struct TextPosition {
  std::size_t line = 1;
  std::size_t column = 1;
  std::string str() const { return "line " + std::to_string(line) + ", column " + std::to_string(column); }
};
TextPosition position_of(std::string_view text, std::size_t byte);

// Receives the elements of a top-level "items" array one at a time, each as its own
// small document, in order (index 0, 1, ...).
using JsonItemSink = std::function<void(std::size_t index, nlohmann::json&& item)>;

// Parse `text`; an error names `display_name`, the place and the fix. Never throws for
// bad input (std::bad_alloc passes through). With `items`, a top-level object's "items"
// array is streamed: each element goes to `items` as soon as it is read and the
// returned document has no "items" member, so a million items never form one DOM.
// Every check (duplicate keys, numbers, depth) still covers the items.
JobResult<nlohmann::json> parse_json_document(std::string_view text, const std::string& display_name,
                                              const JsonItemSink* items = nullptr);

// Where the value at JSON path `path` ("items[3].args[1]", the job reader's spelling)
// starts in `text`; nullopt when the text has no such value.
std::optional<TextPosition> locate_json_path(std::string_view text, std::string_view path);

}  // namespace mk::cli
