// Strict JSON for job files: a SAX builder that tracks the byte offset and JSON path of
// every event, so duplicate keys and bad numbers are reported where they are.
#include "json_document.h"

#include <cmath>
#include <iterator>
#include <map>
#include <vector>

#include "json_fields.h"

namespace mk::cli {
namespace {

using Json = nlohmann::json;

// A char iterator that records, in a shared cursor, how far the parser has read.
struct CountingIterator {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  const char* p = nullptr;
  const char** cursor = nullptr;

  reference operator*() const { return *p; }
  CountingIterator& operator++() {
    ++p;
    if (cursor) *cursor = p;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& other) const { return p == other.p; }
  bool operator!=(const CountingIterator& other) const { return p != other.p; }
};

// Nesting deeper than this is refused: valid IR bodies need about two levels per IR
// level (ir::MAX_DEPTH = 256), and the path bookkeeping stays small.
constexpr std::size_t MAX_JSON_DEPTH = 1024;

// One open container while parsing: keys seen (objects, with the offset of each key's
// opening quote), the next index (arrays), and where its path ends in the path string.
struct Frame {
  bool object = false;
  std::size_t next_index = 0;
  std::size_t path_size = 0;  // PathTracker::m_path.size() for this container
  std::string pending_key;
  std::map<std::string, std::size_t> keys;
};

// The offset of the opening quote of the string token that ends just before `end`.
std::size_t string_token_start(std::string_view text, std::size_t end) {
  if (end == 0) return 0;
  std::size_t i = end - 1;  // the closing quote
  while (i > 0) {
    --i;
    if (text[i] != '"') continue;
    std::size_t backslashes = 0;
    for (std::size_t k = i; k > 0 && text[k - 1] == '\\'; --k) ++backslashes;
    if (backslashes % 2 == 0) return i;
  }
  return 0;
}

// Byte offset and JSON path of the parse, shared by the two SAX handlers below. The
// path of the innermost open container is one string, grown and cut as containers
// open and close, so nothing is copied per value.
class PathTracker {
 public:
  PathTracker(std::string_view text, const char** cursor) : m_text(text), m_cursor(cursor) {}

  std::size_t offset() const { return static_cast<std::size_t>(*m_cursor - m_text.data()); }
  std::string_view text() const { return m_text; }
  Frame* top() { return m_frames.empty() ? nullptr : &m_frames.back(); }
  std::size_t depth() const { return m_frames.size(); }

  // The path segment of the value that starts now (".key", "key" at the top, "[i]");
  // an array moves on to its next index.
  std::string next_segment() {
    if (m_frames.empty()) return "";
    Frame& f = m_frames.back();
    if (f.object) return m_path.empty() ? f.pending_key : "." + f.pending_key;
    return "[" + std::to_string(f.next_index++) + "]";
  }
  // The same for a value whose segment is not needed (only an array's index moves).
  void advance() {
    if (!m_frames.empty() && !m_frames.back().object) ++m_frames.back().next_index;
  }
  std::string path_with(const std::string& segment) const { return m_path + segment; }
  bool path_is(std::string_view wanted, const std::string& segment) const {
    return wanted.size() == m_path.size() + segment.size() && wanted.substr(0, m_path.size()) == m_path &&
           wanted.substr(m_path.size()) == segment;
  }
  void open(bool object, const std::string& segment) {
    m_path += segment;
    Frame f;
    f.object = object;
    f.path_size = m_path.size();
    m_frames.push_back(std::move(f));
  }
  void close() {
    m_frames.pop_back();
    m_path.resize(m_frames.empty() ? 0 : m_frames.back().path_size);
  }

 private:
  std::string_view m_text;
  const char** m_cursor;
  std::vector<Frame> m_frames;
  std::string m_path;
};

// Builds the DOM (like nlohmann's own SAX DOM parser) and checks keys and numbers. A
// streamed "items" array stands on the container stack as nullptr: each of its
// elements is built alone in m_item and handed to the sink when complete.
class StrictBuilder {
 public:
  StrictBuilder(std::string_view text, const char** cursor, std::string display, const JsonItemSink* items)
      : m_paths(text, cursor), m_display(std::move(display)), m_items(items) {}

  bool null() { return put(Json(nullptr)); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return put(Json(v)); }
  bool number_float(Json::number_float_t v, const std::string& raw) {
    const bool integral = raw.find_first_of(".eE") == std::string::npos;
    if (!integral && std::isfinite(v)) return put(Json(v));
    // Only a failing number pays for its path.
    const std::string where = m_paths.path_with(m_paths.next_segment());
    const std::string shown = raw.size() > 40 ? raw.substr(0, 40) + "..." : raw;
    if (integral) {  // an integer nlohmann could not hold in 64 bits
      const bool negative = !raw.empty() && raw[0] == '-';
      return fail_number(where, raw, shown + (negative ? " is negative and below -2^63" : " is larger than 2^64 - 1"),
                         negative ? "use a non-negative integer; job fields take 0..4294967295"
                                  : "use an integer 0..4294967295 (job fields are unsigned 32-bit)");
    }
    return fail_number(where, raw, shown + " overflows a double",
                       "write a whole number 0..4294967295 without an exponent");
  }
  bool string(std::string& v) { return put(Json(std::move(v))); }
  bool binary(Json::binary_t& v) { return put(Json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(Json::object(), true); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(Json::array(), false); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    Frame* f = m_paths.top();
    const std::size_t at = string_token_start(m_paths.text(), m_paths.offset());
    if (const auto seen = f->keys.find(k); seen != f->keys.end()) {
      const std::size_t first = seen->second;
      f->pending_key = k;
      const std::string path = m_paths.path_with(m_paths.next_segment());
      m_error = JobError{
          m_display, path, position_of(m_paths.text(), at + 1).str(),
          "duplicate key " + detail::quote_text(k) + ", first at " + position_of(m_paths.text(), first + 1).str(),
          "keep one " + detail::quote_text(k) + " in this object (JSON readers disagree on which one wins)"};
      return false;
    }
    f->keys.emplace(k, at);
    f->pending_key = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& e) {
    if (m_error) return false;  // ours, reported by the handler that stopped the parse
    if (dynamic_cast<const nlohmann::detail::out_of_range*>(&e) != nullptr) {
      // A number nlohmann cannot hold even as a double (1e309): name it and its path.
      const std::string where = m_paths.path_with(m_paths.next_segment());
      const std::string shown = last_token.size() > 40 ? last_token.substr(0, 40) + "..." : last_token;
      const std::size_t start = position >= last_token.size() ? position - last_token.size() : 0;
      m_error = JobError{m_display, where, position_of(m_paths.text(), start + 1).str(),
                         "invalid JSON number: " + shown + " overflows a double",
                         "write a whole number 0..4294967295 without an exponent"};
      return false;
    }
    m_syntax_position = position;
    m_syntax_what = e.what();
    return false;
  }

  Json take() { return std::move(m_root); }
  std::optional<JobError>& error() { return m_error; }
  std::optional<std::size_t> syntax_position() const { return m_syntax_position; }
  const std::string& syntax_what() const { return m_syntax_what; }

 private:
  bool put(Json value) {
    m_paths.advance();
    return put_value(std::move(value));
  }
  bool put_value(Json value) {
    if (m_stack.empty()) {
      m_root = std::move(value);
      return true;
    }
    if (m_stack.back() == nullptr) {  // a scalar item
      emit(std::move(value));
      return true;
    }
    Json& parent = *m_stack.back();
    if (parent.is_object()) {
      parent[m_paths.top()->pending_key] = std::move(value);
    } else {
      parent.push_back(std::move(value));
    }
    return true;
  }
  Json* slot_for(Json value) {
    if (m_stack.empty()) {
      m_root = std::move(value);
      return &m_root;
    }
    if (m_stack.back() == nullptr) {  // an item container: its own document
      m_item = std::move(value);
      return &m_item;
    }
    Json& parent = *m_stack.back();
    if (parent.is_object()) return &(parent[m_paths.top()->pending_key] = std::move(value));
    parent.push_back(std::move(value));
    return &parent.back();
  }
  bool open(Json value, bool object) {
    const std::size_t at = m_paths.offset();
    const std::string segment = m_paths.next_segment();
    if (m_paths.depth() >= MAX_JSON_DEPTH) {
      const std::string where = m_paths.path_with(segment);
      m_error = JobError{m_display, where, position_of(m_paths.text(), at).str(),
                         "JSON nested deeper than " + std::to_string(MAX_JSON_DEPTH) + " levels",
                         "flatten the document; no job field needs this much nesting"};
      return false;
    }
    m_stack.push_back(streams_items(object) ? nullptr : slot_for(std::move(value)));
    m_paths.open(object, segment);
    return true;
  }
  bool close() {
    m_stack.pop_back();
    m_paths.close();
    if (!m_stack.empty() && m_stack.back() == nullptr) emit(std::move(m_item));  // an item container closed
    return true;
  }
  // Is the array opening now the top-level object's "items", to be streamed?
  bool streams_items(bool object) {
    if (m_items == nullptr || object || m_paths.depth() != 1) return false;
    const Frame* top = m_paths.top();
    return top->object && top->pending_key == "items";
  }
  void emit(Json item) { (*m_items)(m_item_count++, std::move(item)); }
  bool fail_number(const std::string& where, const std::string& raw, std::string message, std::string fix) {
    const std::size_t end = m_paths.offset();
    // The lexer has read one character past the number; find its first character.
    std::size_t at = m_paths.text().rfind(raw, end);
    if (at == std::string_view::npos) at = end;
    m_error = JobError{m_display, where, position_of(m_paths.text(), at + 1).str(), "invalid JSON number: " + message,
                       std::move(fix)};
    return false;
  }

  PathTracker m_paths;
  std::string m_display;
  const JsonItemSink* m_items;
  Json m_root;
  Json m_item;  // the streamed item being built
  std::size_t m_item_count = 0;
  std::vector<Json*> m_stack;
  std::optional<JobError> m_error;
  std::optional<std::size_t> m_syntax_position;
  std::string m_syntax_what;
};

// Finds where the value at one JSON path starts; builds nothing.
class PathLocator {
 public:
  PathLocator(std::string_view text, const char** cursor, std::string_view wanted)
      : m_paths(text, cursor), m_wanted(wanted) {}

  bool null() { return scalar(); }
  bool boolean(bool) { return scalar(); }
  bool number_integer(Json::number_integer_t) { return scalar(); }
  bool number_unsigned(Json::number_unsigned_t) { return scalar(); }
  bool number_float(Json::number_float_t, const std::string&) { return scalar(); }
  bool string(std::string&) { return scalar(); }
  bool binary(Json::binary_t&) { return scalar(); }
  bool start_object(std::size_t) { return open(true); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(false); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    m_paths.top()->pending_key = k;
    m_prev_end = m_paths.offset();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  std::optional<std::size_t> found() const { return m_found; }

 private:
  // A scalar has been read whole: it ends at or just before the cursor. Containers are
  // located by their opening bracket, read just before the start event.
  bool scalar() { return check(m_paths.next_segment(), true); }
  bool open(bool object) {
    const std::string segment = m_paths.next_segment();
    if (!check(segment, false)) return false;
    if (m_paths.depth() >= MAX_JSON_DEPTH) return false;
    m_paths.open(object, segment);
    return true;
  }
  bool close() {
    m_paths.close();
    m_prev_end = m_paths.offset();
    return true;
  }
  bool check(const std::string& segment, bool scalar) {
    const std::size_t now = m_paths.offset();
    const std::size_t prev = m_prev_end;
    m_prev_end = now;
    if (!m_paths.path_is(m_wanted, segment)) return true;
    std::size_t at = now > 0 ? now - 1 : 0;  // a container: the bracket just read
    if (scalar) {
      // The scalar is the first token after the previous event's end, past separators.
      const std::string_view t = m_paths.text();
      at = prev;
      while (at < t.size() &&
             (t[at] == ' ' || t[at] == '\n' || t[at] == '\t' || t[at] == '\r' || t[at] == ',' || t[at] == ':'))
        ++at;
    }
    m_found = at;
    return false;  // found: stop the walk
  }

  PathTracker m_paths;
  std::string_view m_wanted;
  std::size_t m_prev_end = 0;
  std::optional<std::size_t> m_found;
};

// The reason part of nlohmann's message, without its prefix and the echoed input.
std::string parse_reason(std::string_view what) {
  std::string_view reason = what;
  if (const auto column = reason.find("column "); column != std::string_view::npos) {
    if (const auto colon = reason.find(": ", column); colon != std::string_view::npos) reason.remove_prefix(colon + 2);
  }
  std::string out;
  if (const auto echo = reason.find("; last read: '"); echo != std::string_view::npos) {
    out = std::string(reason.substr(0, echo));
    if (const auto end = reason.find("'; ", echo + 14); end != std::string_view::npos) {
      out += "; " + std::string(reason.substr(end + 3));
    }
  } else {
    out = std::string(reason);
  }
  std::string clean;
  for (const char c : out) {
    const auto u = static_cast<unsigned char>(c);
    clean += (u < 0x20 || u >= 0x7F) ? '?' : c;
  }
  return clean;
}

}  // namespace

TextPosition position_of(std::string_view text, std::size_t byte) {
  // `byte` counts characters read (1-based offset of the character in question).
  const std::size_t consumed = std::min(byte, text.size());
  const std::size_t before = consumed == 0 ? 0 : consumed - 1;
  TextPosition pos;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < before; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      line_start = i + 1;
    }
  }
  pos.column = before - line_start + 1;
  return pos;
}

JobResult<nlohmann::json> parse_json_document(std::string_view text, const std::string& display_name,
                                              const JsonItemSink* items) {
  const char* cursor = text.data();
  StrictBuilder builder(text, &cursor, display_name, items);
  CountingIterator first{text.data(), &cursor};
  CountingIterator last{text.data() + text.size(), nullptr};
  const bool ok = Json::sax_parse(first, last, &builder, nlohmann::detail::input_format_t::json, true);
  if (ok) return builder.take();
  if (builder.error()) return cuda::std::unexpected<JobError>(std::move(*builder.error()));
  const std::size_t at = builder.syntax_position().value_or(text.size());
  return cuda::std::unexpected<JobError>(
      JobError{display_name, position_of(text, at).str(), "", "invalid JSON: " + parse_reason(builder.syntax_what()),
               "correct the JSON syntax there (quotes around keys, commas between items, no trailing comma)"});
}

std::optional<TextPosition> locate_json_path(std::string_view text, std::string_view path) {
  const char* cursor = text.data();
  PathLocator locator(text, &cursor, path);
  CountingIterator first{text.data(), &cursor};
  CountingIterator last{text.data() + text.size(), nullptr};
  Json::sax_parse(first, last, &locator, nlohmann::detail::input_format_t::json, false);
  if (!locator.found()) return std::nullopt;
  return position_of(text, *locator.found() + 1);
}

}  // namespace mk::cli
