// Job reader entry point: strict JSON text (line/column on every error) -> validated Job.
// The items stream through the parser into compact records; only the rest is a DOM.
#include "job_reader.h"

#include "job_reader_detail.h"
#include "json_document.h"

namespace mk::cli {
namespace {

using detail::Json;

Job read_document(const Json& top, detail::ItemStage& items) {
  detail::object_at(top, "",
                    {"slot_count", "workgroup_size_x", "observables", "debug_log_records", "io_queue_capacity",
                     "tenants", "init", "opcodes", "items", "io_sources"});
  Job job;
  detail::read_geometry(top, job);
  detail::read_opcodes(detail::member(top, "opcodes"), job);
  const JobOpcodes opcodes = detail::job_opcodes(job);
  detail::read_tenants(detail::member(top, "tenants"), job, opcodes);
  detail::read_init(detail::member(top, "init"), job);
  detail::read_io_sources(detail::member(top, "io_sources"), job);
  if (const Json* listed = detail::member(top, "items")) {
    detail::read_items(listed, job, opcodes);  // not an array, so not streamed: its error
  } else {
    items.finish(job, opcodes);
  }
  return job;
}

}  // namespace

JobResult<Job> parse_job(std::string_view text, const std::filesystem::path& base_dir,
                         const std::string& display_name) {
  // Items are staged one by one as the parser reads them; the rest is a small DOM.
  detail::ItemStage items;
  const JsonItemSink sink = [&items](std::size_t index, Json&& entry) { items.add(index, std::move(entry)); };
  auto top = parse_json_document(text, display_name, &sink);
  if (!top) return cuda::std::unexpected<JobError>(std::move(top.error()));
  try {
    Job job = read_document(*top, items);
    job.dir = base_dir;
    job.shown = display_name;
    return job;
  } catch (detail::JobFailure& failure) {
    failure.error.file = display_name;
    // Point an editor at the value: the JSON path plus its line and column.
    if (!failure.error.where.empty()) {
      if (auto at = locate_json_path(text, failure.error.where)) failure.error.at = at->str();
    }
    return cuda::std::unexpected<JobError>(std::move(failure.error));
  } catch (const Json::exception& e) {
    // Every access above is type-checked first; this is a reader bug, still reported as bad input.
    return cuda::std::unexpected<JobError>(JobError{display_name, "", "",
                                                    std::string("unexpected JSON value: ") + e.what(),
                                                    "check the file against examples/jobs/hello.json"});
  }
}

}  // namespace mk::cli

namespace mk::cli {

JobResult<Job> read_job_file(const std::filesystem::path& path, std::uint64_t max_job_bytes) {
  auto input = read_job_text(path, max_job_bytes);
  if (!input) return cuda::std::unexpected<JobError>(std::move(input.error()));
  auto job = parse_job(input->text, input->dir, input->shown);
  if (job && !input->from_stdin) job->source = path;
  return job;
}

}  // namespace mk::cli
