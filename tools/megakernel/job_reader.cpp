// Job reader entry points: JSON text (with line/column on syntax errors) -> validated Job.
#include "job_reader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "job_reader_detail.h"

namespace mk::cli {
namespace {

using detail::Json;

// nlohmann reports the byte offset of the last character read; turn it into 1-based
// line and column so an editor can jump there.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t byte) {
  const std::size_t consumed = std::min(byte, text.size());
  const std::size_t before = consumed == 0 ? 0 : consumed - 1;  // offset of the offending char
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < before; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, before - line_start + 1};
}

// The reason part of nlohmann's message, without its prefix and the echoed input.
std::string parse_reason(std::string_view what) {
  std::string_view reason = what;
  if (const auto column = reason.find("column "); column != std::string_view::npos) {
    if (const auto colon = reason.find(": ", column); colon != std::string_view::npos) {
      reason.remove_prefix(colon + 2);
    }
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

Job read_document(const Json& top, const std::filesystem::path& base_dir) {
  detail::object_at(top, "",
                    {"slot_count", "workgroup_size_x", "observables", "debug_log_records", "io_queue_capacity",
                     "tenants", "init", "opcodes", "items", "io_sources"});
  Job job;
  detail::read_geometry(top, job);
  detail::read_opcodes(detail::member(top, "opcodes"), job);
  const JobOpcodes opcodes = detail::job_opcodes(job);
  detail::read_tenants(detail::member(top, "tenants"), job, opcodes);
  detail::read_init(detail::member(top, "init"), job);
  detail::read_io_sources(detail::member(top, "io_sources"), job, base_dir);
  detail::read_items(detail::member(top, "items"), job, opcodes);
  return job;
}

}  // namespace

JobResult<Job> parse_job(std::string_view text, const std::filesystem::path& base_dir,
                         const std::string& display_name) {
  Json top;
  try {
    top = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    const auto [line, column] = line_column(text, e.byte);
    return cuda::std::unexpected<JobError>(JobError{
        display_name, "line " + std::to_string(line) + ", column " + std::to_string(column),
        "invalid JSON: " + parse_reason(e.what()),
        "correct the JSON syntax there (quotes around keys, commas between items, no trailing comma)"});
  } catch (const Json::exception& e) {
    // Not a syntax error but still unreadable, e.g. a number too large for a double (1E400).
    std::string reason = e.what();
    if (const auto bracket = reason.find("] "); bracket != std::string::npos) reason.erase(0, bracket + 2);
    return cuda::std::unexpected<JobError>(JobError{display_name, "", "invalid JSON: " + parse_reason(reason),
                                                    "write every number as a whole number of at most 10 digits"});
  }
  try {
    Job job = read_document(top, base_dir);
    return job;
  } catch (detail::JobFailure& failure) {
    failure.error.file = display_name;
    return cuda::std::unexpected<JobError>(std::move(failure.error));
  } catch (const Json::exception& e) {
    // Every access above is type-checked first; this is a reader bug, still reported as bad input.
    return cuda::std::unexpected<JobError>(
        JobError{display_name, "", std::string("unexpected JSON value: ") + e.what(),
                 "check the file against examples/jobs/hello.json"});
  }
}

JobResult<Job> read_job_file(const std::filesystem::path& path) {
  const std::string shown = path.string();
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    return cuda::std::unexpected<JobError>(
        JobError{shown, "", "cannot open the job file", "check the path and that the file is readable"});
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto job = parse_job(text.str(), path.parent_path(), shown);
  if (job) job->source = path;
  return job;
}

}  // namespace mk::cli
