// Section readers shared by the job reader's files; each throws detail::JobFailure.
#pragma once

#include <filesystem>

#include "job.h"
#include "job_opcodes.h"
#include "json_fields.h"

namespace mk::cli::detail {

// Table of the job's opcodes (built-ins + job.opcodes) for name/id resolution.
JobOpcodes job_opcodes(const Job& job);

// An opcode given by name ("STORE_U32", a custom name) or by id.
std::uint32_t opcode_at(const Json& value, std::string_view path, const JobOpcodes& opcodes);

void read_geometry(const Json& top, Job& job);
void read_opcodes(const Json* opcodes, Job& job);
void read_tenants(const Json* tenants, Job& job, const JobOpcodes& opcodes);
void read_init(const Json* init, Job& job);
void read_io_sources(const Json* sources, Job& job);
void read_items(const Json* items, Job& job, const JobOpcodes& opcodes);

}  // namespace mk::cli::detail
