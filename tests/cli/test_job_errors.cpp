// Invalid jobs through the built binary: exit code 2 and ONE stderr line naming the problem and its place.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "cli_test_util.h"

namespace mk::cli::test {
namespace {

// Runs `megakernel run` on `job_text` and checks exit 2, a single stderr line, and
// that the line contains every fragment (what is wrong, where, how to fix).
void expect_invalid(const std::string& name, const std::string& job_text,
                    std::initializer_list<std::string> fragments) {
  const auto path = write_temp(name + ".json", job_text);
  const auto result = run_megakernel({"run", path.string(), "--backend", "cpu", "--json"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("fix:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(path.filename().string()), std::string::npos) << result.err;
  for (const auto& fragment : fragments) {
    EXPECT_NE(result.err.find(fragment), std::string::npos) << "missing \"" << fragment << "\" in: " << result.err;
  }
}

TEST(cli_errors, UnknownTopLevelField) {
  expect_invalid("unknown_top", R"({"slot_cout": 64, "items": []})", {"slot_cout", "unknown field"});
}

TEST(cli_errors, UnknownNestedField) {
  expect_invalid("unknown_nested", R"({"items": [{"op": "NOP"}, {"op": "STORE_U32", "argz": [1, 2]}]})",
                 {"items[1].argz", "unknown field"});
}

TEST(cli_errors, UnknownFieldInTenant) {
  expect_invalid("unknown_tenant_field", R"({"tenants": [{"id": 0, "admn": true}]})", {"tenants[0].admn"});
}

TEST(cli_errors, TenantIdOutOfRange) {
  expect_invalid("tenant_range", R"({"tenants": [{"id": 0}, {"id": 5}]})", {"tenants[1].id", "out of range", "0..1"});
}

TEST(cli_errors, ItemTenantOutOfRange) {
  expect_invalid("item_tenant_range", R"({"items": [{"tenant": 2, "op": "NOP"}]})",
                 {"items[0].tenant", "out of range"});
}

TEST(cli_errors, UnknownOpcodeId) {
  expect_invalid("opcode_id", R"({"items": [{"op": 4096, "args": []}]})", {"items[0].op", "unknown opcode id 4096"});
}

TEST(cli_errors, UnknownOpcodeName) {
  expect_invalid("opcode_name", R"({"items": [{"op": "STOR_U32", "args": [1, 2]}]})",
                 {"items[0].op", "unknown opcode name", "STOR_U32", "STORE_U32"});
}

TEST(cli_errors, NumberOutOfU32Range) {
  expect_invalid("u32_range", R"({"items": [{"op": "STORE_U32", "args": [1, 4294967296]}]})",
                 {"items[0].args[1]", "out of range"});
}

TEST(cli_errors, NegativeNumber) { expect_invalid("negative", R"({"observables": -4})", {"observables", "negative"}); }

TEST(cli_errors, TooManyArgs) {
  expect_invalid("too_many_args", R"({"items": [{"op": "NOP", "args": [1,2,3,4,5,6,7,8,9,10,11,12,13]}]})",
                 {"items[0].args", "13 arguments", "12"});
}

TEST(cli_errors, TooManyPackedWords) {
  expect_invalid("packed_words",
                 R"({"items": [{"packed": [{"op": "STORE_U32", "args": [1,2,3,4,5]},
                                           {"op": "STORE_U32", "args": [1,2,3,4,5]}]}]})",
                 {"items[0].packed[1].args", "at most 9"});
}

TEST(cli_errors, MoreItemsThanSlots) {
  expect_invalid("too_many_items",
                 R"({"slot_count": 2, "workgroup_size_x": 1, "items": [{"op": "NOP"}, {"op": "NOP"}, {"op": "NOP"}]})",
                 {"items", "3 items do not fit a ring of 2 slots", "slot_count"});
}

TEST(cli_errors, GeometryNotWholeWorkgroups) {
  expect_invalid("geometry", R"({"slot_count": 100, "workgroup_size_x": 64})",
                 {"slot_count", "whole workgroups", "128"});
}

TEST(cli_errors, WindowPastObservableRegion) {
  expect_invalid("window", R"({"observables": 64, "tenants": [{"id": 0, "window": [32, 64]}]})",
                 {"tenants[0].window", "past the observable region", "64"});
}

TEST(cli_errors, InitPastObservableRegion) {
  expect_invalid("init_range", R"({"observables": 4, "init": [{"at": 3, "words": [1, 2]}]})",
                 {"init[0]", "past the observable region"});
}

TEST(cli_errors, CustomOpcodeInSystemRange) {
  expect_invalid("system_opcode", R"({"opcodes": [{"opcode": 65525, "name": "mine", "body": [{"result": 1}]}]})",
                 {"opcodes[0].opcode", "system range"});
}

TEST(cli_errors, CustomOpcodeBadBody) {
  expect_invalid("bad_body", R"({"opcodes": [{"opcode": 4096, "name": "mine", "body": [{"result": {"lod": 1}}]}]})",
                 {"opcodes[0].body", "lod"});
}

TEST(cli_errors, MissingIoFile) {
  expect_invalid("missing_io", R"({"io_sources": [{"id": 1, "file": "no_such_file.bin"}]})",
                 {"io_sources[0].file", "no_such_file.bin", "not found"});
}

TEST(cli_errors, DuplicateTenantIds) {
  expect_invalid("dup_tenants", R"({"tenants": [{"id": 0}, {"id": 0}]})", {"tenants[1].id", "duplicate tenant id 0"});
}

TEST(cli_errors, DuplicateIoSourceIds) {
  expect_invalid("dup_io", R"({"io_sources": [{"id": 1, "bytes": [1]}, {"id": 1, "bytes": [2]}]})",
                 {"io_sources[1].id", "listed twice"});
}

TEST(cli_errors, BadJsonReportsLineAndColumn) {
  expect_invalid("bad_json", "{\n  \"slot_count\": 64,\n  items: []\n}\n", {"line 3, column 3", "invalid JSON"});
}

TEST(cli_errors, TrailingCommaJson) {
  expect_invalid("trailing_comma", "{\"items\": [{\"op\": \"NOP\"},]}", {"line 1", "invalid JSON"});
}

TEST(cli_errors, ItemWithoutForm) {
  expect_invalid("no_form", R"({"items": [{"tenant": 0}]})", {"items[0]", "\"op\", \"packed\" or \"fence\""});
}

TEST(cli_errors, MissingJobFileIsUsageError) {
  const auto result = run_megakernel({"run", (temp_dir() / "does_not_exist.json").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("cannot open"), std::string::npos) << result.err;
}

TEST(cli_errors, BadBackendIsUsageError) {
  const auto result = run_megakernel({"run", example_job("hello.json").string(), "--backend", "gpu"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("gpu"), std::string::npos) << result.err;
}

TEST(cli_errors, RepeatZeroIsUsageError) {
  const auto result = run_megakernel({"run", example_job("hello.json").string(), "--repeat", "0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
}

TEST(cli_errors, NoSubcommandIsUsageError) {
  const auto result = run_megakernel({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
}

}  // namespace
}  // namespace mk::cli::test
