// Section readers shared by the job reader's files; each throws detail::JobFailure.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "job.h"
#include "job_opcodes.h"
#include "json_fields.h"

namespace mk::cli::detail {

// Table of the job's opcodes (built-ins + job.opcodes) for name/id resolution.
JobOpcodes job_opcodes(const Job& job);

// An opcode given by name ("STORE_U32", a custom name) or by id.
std::uint32_t opcode_at(const Json& value, std::string_view path, const JobOpcodes& opcodes);
// Its parts: the checks on a numeric id that need no opcode table (a number, u32),
// then the table lookups of a name and of an id.
std::uint32_t opcode_id_at(const Json& value, std::string_view path);
std::uint32_t opcode_named(const std::string& name, std::string_view path, const JobOpcodes& opcodes);
std::uint32_t known_opcode_id(std::uint32_t id, std::string_view path, const JobOpcodes& opcodes);

void read_geometry(const Json& top, Job& job);
void read_opcodes(const Json* opcodes, Job& job);
void read_tenants(const Json* tenants, Job& job, const JobOpcodes& opcodes);
void read_init(const Json* init, Job& job);
void read_io_sources(const Json* sources, Job& job);
// "items" when the document holds it (it was not an array the parser could stream).
void read_items(const Json* items, Job& job, const JobOpcodes& opcodes);

// The job's tables, once read: what an item's opcode names and tenant are checked
// against.
struct ItemTables {
  const Job& job;
  const JobOpcodes& opcodes;
};

// Items staged while the JSON is parsed (job_reader_items.cpp). "items" may come before
// "opcodes" and "tenants", so each item is read into a compact record at once with
// every check that needs no table; names and tenants are checked by finish(). The
// first item staging refuses is kept as JSON and read again by finish() with the
// tables, so its error is exactly the one a whole-document reader gives.
class ItemStage {
 public:
  // Element `index` of "items" (the JSON parser's JsonItemSink).
  void add(std::size_t index, Json&& entry);
  // Check the staged items against the tables in item order and move them into
  // job.items; throws JobFailure for the first bad one.
  void finish(Job& job, const JobOpcodes& opcodes);

 private:
  JobItems m_items;
  std::vector<std::string> m_names;  // item opcode names that are not built in, each once
  std::size_t m_count = 0;           // every item read, staged or not
  std::uint32_t m_fence_start = 0;   // first slot the next fence covers
  std::optional<Json> m_refused;     // the first item staging refused
  std::size_t m_refused_index = 0;
  std::uint32_t m_refused_fence_start = 0;
};

}  // namespace mk::cli::detail
