// The job reader called directly: defaults, name/id resolution, fences, tenants, sources, error paths.
#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "job_reader.h"
#include "mk/abi.h"

namespace mk::cli::test {
namespace {

Job parse_ok(const std::string& text, const std::filesystem::path& base = temp_dir()) {
  auto job = parse_job(text, base, "test.json");
  EXPECT_TRUE(job.has_value()) << (job ? "" : job.error().line());
  return job ? *job : Job{};
}

JobError parse_error(const std::string& text) {
  auto job = parse_job(text, temp_dir(), "test.json");
  EXPECT_FALSE(job.has_value());
  return job ? JobError{} : job.error();
}

TEST(cli_reader, EmptyObjectGetsDefaults) {
  const Job job = parse_ok("{}");
  EXPECT_EQ(job.slot_count, 256u);
  EXPECT_EQ(job.workgroup_size_x, 64u);
  EXPECT_EQ(job.worker_groups, 4u);
  EXPECT_EQ(job.observables, 1024u);
  EXPECT_EQ(job.debug_log_records, 64u);
  EXPECT_EQ(job.io_queue_capacity, 64u);
  ASSERT_EQ(job.tenants.size(), 1u);
  EXPECT_TRUE(job.tenants[0].admin);
  EXPECT_EQ(job.tenants[0].allowed_opcodes, ALLOW_EVERY_OPCODE);
  EXPECT_EQ(job.tenants[0].window.base, 0u);
  EXPECT_EQ(job.tenants[0].window.len, 1024u);
  EXPECT_TRUE(job.items.empty());
}

TEST(cli_reader, ListedTenantDefaultsAreExplicit) {
  const Job job = parse_ok(R"({"observables": 128, "tenants": [{"id": 1}, {"id": 0, "admin": true}]})");
  ASSERT_EQ(job.tenants.size(), 2u);
  EXPECT_EQ(job.tenants[0].id, 0u);  // stored in id order
  EXPECT_TRUE(job.tenants[0].admin);
  EXPECT_FALSE(job.tenants[1].admin);  // "admin" defaults to false for a listed tenant
  EXPECT_EQ(job.tenants[1].allowed_opcodes, ALLOW_EVERY_OPCODE);
  EXPECT_EQ(job.tenants[1].window.len, 128u);
}

TEST(cli_reader, AllowListBecomesTableIndexMask) {
  const Job job = parse_ok(R"({"tenants": [{"id": 0, "allow": ["ATOMIC_ADD", 3, "PRINTF"]}]})");
  const std::uint64_t want = (1ull << abi::IDX_ATOMIC_ADD) | (1ull << abi::IDX_LOAD_U32) | (1ull << abi::IDX_PRINTF);
  EXPECT_EQ(job.tenants[0].allowed_opcodes, want);
}

TEST(cli_reader, OpByNameAndByIdAgree) {
  const Job job = parse_ok(R"({"items": [{"op": "ATOMIC_ADD", "args": [1, 2]}, {"op": 2, "args": [1, 2]},
                                         {"op": "LOAD_MISS", "args": [1]}, {"op": "SHUTDOWN"}]})");
  ASSERT_EQ(job.items.size(), 4u);
  EXPECT_EQ(job.items[0].item.opcode, abi::OP_ATOMIC_ADD);
  EXPECT_EQ(job.items[1].item.opcode, abi::OP_ATOMIC_ADD);
  EXPECT_EQ(job.items[0].item.args, job.items[1].item.args);
  EXPECT_EQ(job.items[1].label, "ATOMIC_ADD");
  EXPECT_EQ(job.items[2].item.opcode, abi::OP_LOAD_MISS);
  EXPECT_EQ(job.items[3].item.opcode, abi::OP_SHUTDOWN);
  EXPECT_EQ(job.items[3].label, "SHUTDOWN");
}

TEST(cli_reader, FencesCoverItemsSinceThePreviousFence) {
  const Job job = parse_ok(R"({"items": [{"op": "NOP"}, {"op": "NOP"}, {"fence": {"tag": 5}},
                                         {"op": "NOP"}, {"tenant": 0, "fence": {"tag": 6}}, {"fence": {"tag": 7}}]})");
  ASSERT_EQ(job.items.size(), 6u);
  const auto& first = job.items[2].item;
  EXPECT_EQ(first.opcode, abi::OP_BATCH_FENCE);
  EXPECT_EQ(first.args[abi::FENCE_ARG_FIRST_SLOT], 0u);
  EXPECT_EQ(first.args[abi::FENCE_ARG_COUNT], 2u);
  EXPECT_EQ(first.args[abi::FENCE_ARG_TAG], 5u);
  const auto& second = job.items[4].item;
  EXPECT_EQ(second.args[abi::FENCE_ARG_FIRST_SLOT], 3u);
  EXPECT_EQ(second.args[abi::FENCE_ARG_COUNT], 1u);
  const auto& third = job.items[5].item;
  EXPECT_EQ(third.args[abi::FENCE_ARG_FIRST_SLOT], 5u);
  EXPECT_EQ(third.args[abi::FENCE_ARG_COUNT], 0u);
  EXPECT_EQ(job.items[5].kind, JobItemKind::Fence);
}

TEST(cli_reader, PackedItemsUseTheCodec) {
  const Job job = parse_ok(R"({"items": [{"tenant": 0, "packed": [{"op": "STORE_U32", "args": [4, 9]},
                                                                  {"op": "ATOMIC_ADD", "args": [4, 1]}]}]})");
  ASSERT_EQ(job.items.size(), 1u);
  EXPECT_EQ(job.items[0].kind, JobItemKind::Packed);
  EXPECT_EQ(job.items[0].item.opcode, abi::OP_PACKED_SLOT);
  auto ops = try_decode_packed_args(job.items[0].item.args);
  ASSERT_TRUE(ops.has_value());
  ASSERT_EQ(ops->size(), 2u);
  EXPECT_EQ((*ops)[0].opcode, abi::OP_STORE_U32);
  EXPECT_EQ((*ops)[1].args, (std::vector<std::uint32_t>{4, 1}));
}

TEST(cli_reader, PackedRejectsWideOpcodes) {
  const auto error = parse_error(R"({"items": [{"packed": [{"op": "PRINTF", "args": [1]}]}]})");
  EXPECT_EQ(error.where, "items[0].packed[0].op");
}

TEST(cli_reader, CustomOpcodesResolveByName) {
  const Job job = parse_ok(R"({"opcodes": [{"opcode": 4096, "name": "bump", "body": [{"result": {"arg": 0}}]}],
                               "tenants": [{"id": 0, "allow": ["bump"]}],
                               "items": [{"op": "bump", "args": [3]}, {"op": 4096}]})");
  ASSERT_EQ(job.opcodes.size(), 1u);
  EXPECT_EQ(job.opcodes[0].opcode, 4096u);
  EXPECT_EQ(job.opcodes[0].name, "bump");
  EXPECT_EQ(job.tenants[0].allowed_opcodes, 1ull << abi::FIRST_CUSTOM_INDEX);
  EXPECT_EQ(job.items[0].item.opcode, 4096u);
  EXPECT_EQ(job.items[0].label, "bump");
  EXPECT_EQ(job.items[1].label, "bump");
  EXPECT_EQ(job.opcode_name(4096), "bump");
  EXPECT_EQ(job.opcode_name(abi::OP_STORE_U32), "STORE_U32");
  EXPECT_EQ(job.opcode_name(77), "0x0000004D");
}

TEST(cli_reader, CustomOpcodeNameMayNotShadowBuiltin) {
  const auto error = parse_error(R"({"opcodes": [{"opcode": 4096, "name": "NOP", "body": []}]})");
  EXPECT_EQ(error.where, "opcodes[0].name");
}

TEST(cli_reader, CustomOpcodeBodyErrorsKeepTheirPath) {
  const auto error = parse_error(R"({"opcodes": [{"opcode": 4096, "name": "x", "body": [{"result": {"var": "y"}}]}]})");
  EXPECT_NE(error.where.find("opcodes[0].body"), std::string::npos) << error.line();
  EXPECT_NE(error.message.find("y"), std::string::npos) << error.line();
}

TEST(cli_reader, IoSourcesResolveAgainstTheJobDirectory) {
  write_temp("sub/payload.bin", "abcd");
  const Job job = parse_ok(R"({"io_sources": [{"id": 2, "file": "payload.bin"}, {"id": 3, "bytes": [1, 255]}]})",
                           temp_dir() / "sub");
  ASSERT_EQ(job.io_sources.size(), 2u);
  ASSERT_TRUE(job.io_sources[0].file.has_value());
  // The name is kept as written; it is opened beneath the I/O root (Job::dir by default).
  EXPECT_EQ(*job.io_sources[0].file, "payload.bin");
  EXPECT_EQ(job.dir, temp_dir() / "sub");
  EXPECT_EQ(job.io_sources[1].bytes, (std::vector<std::byte>{std::byte{1}, std::byte{255}}));
}

TEST(cli_reader, ByteOver255IsRejected) {
  const auto error = parse_error(R"({"io_sources": [{"id": 3, "bytes": [1, 256]}]})");
  EXPECT_EQ(error.where, "io_sources[0].bytes[1]");
}

TEST(cli_reader, ErrorsCarryJsonPaths) {
  EXPECT_EQ(parse_error(R"({"items": [{"op": "NOP"}, {"op": "NOP"}, {"op": "NOP"},
                                      {"op": "NOP", "args": [0,0,0,0,0,0,0,0,0,0,0,0,0]}]})")
                .where,
            "items[3].args");
  EXPECT_EQ(parse_error(R"({"items": {"op": "NOP"}})").where, "items");
  EXPECT_EQ(parse_error(R"({"tenants": []})").where, "tenants");
  EXPECT_EQ(parse_error(R"({"tenants": [{"id": 0, "window": [1]}]})").where, "tenants[0].window");
  EXPECT_EQ(parse_error(R"({"slot_count": 1.5})").where, "slot_count");
  EXPECT_EQ(parse_error(R"({"workgroup_size_x": 0})").where, "workgroup_size_x");
  EXPECT_EQ(parse_error(R"({"items": [{"fence": {}}]})").where, "items[0].fence");
  EXPECT_EQ(parse_error(R"({"items": [{"fence": {"tag": 1}, "args": [1]}]})").where, "items[0].args");
  EXPECT_EQ(parse_error(R"([1, 2])").where, "");
}

TEST(cli_reader, BadJsonGivesLineAndColumn) {
  const auto error = parse_error("{\n  \"items\": [\n    {\"op\": \"NOP\"}\n    {\"op\": \"NOP\"}\n  ]\n}");
  EXPECT_EQ(error.where, "line 4, column 5") << error.line();
  EXPECT_NE(error.message.find("invalid JSON"), std::string::npos);
  EXPECT_EQ(error.line().find('\n'), std::string::npos);
}

TEST(cli_reader, NumberOverflowIsInvalidJsonNotACrash) {
  const auto error = parse_error(R"({"slot_count": 7E777777777777})");
  EXPECT_NE(error.message.find("invalid JSON"), std::string::npos) << error.line();
  EXPECT_NE(error.message.find("overflow"), std::string::npos) << error.line();
}

TEST(cli_reader, ErrorLineIsOneLineWithFileAndFix) {
  const auto error = parse_error(R"({"bogus": 1})");
  const std::string line = error.line();
  EXPECT_EQ(line.rfind("test.json: bogus (line 1, column 11): unknown field \"bogus\"; fix: ", 0), 0u) << line;
}

TEST(cli_reader, HostileStringsAreEscapedInMessages) {
  const auto error = parse_error("{\"a\\nb\\u0001\": 1}");
  EXPECT_EQ(error.line().find('\n'), std::string::npos);
  EXPECT_NE(error.message.find("\\x0A"), std::string::npos) << error.line();
}

TEST(cli_reader, ExampleJobsAreValid) {
  for (const char* name : {"hello.json", "io.json"}) {
    auto job = read_job_file(example_job(name));
    EXPECT_TRUE(job.has_value()) << name << ": " << (job ? "" : job.error().line());
  }
}

// --- items streamed into compact records (job_reader_items.cpp) ----------------------
// What this catches: items read before "opcodes"/"tenants" resolving differently from
// items read after them, and an item error other than the one a reader of the whole
// document reports first (item order, then the checks of one item in order).

TEST(cli_reader, ItemsBeforeTheTablesReadTheSame) {
  const std::string tables = R"("opcodes": [{"opcode": 200, "name": "sq", "body": [{"result": {"arg": 0}}]}],
                                "tenants": [{"id": 0, "admin": true}, {"id": 1, "allow": ["sq"]}])";
  const std::string items = R"("items": [{"op": "sq", "args": [3]}, {"tenant": 1, "op": 200},
                                         {"packed": [{"op": "sq", "args": [2]}, {"op": "STORE_U32", "args": [4, 9]}]},
                                         {"fence": {"tag": 4}}])";
  const Job last = parse_ok("{" + tables + ", " + items + "}");
  const Job first = parse_ok("{" + items + ", " + tables + "}");
  ASSERT_EQ(first.items.size(), 4u);
  ASSERT_EQ(last.items.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(first.items[i].kind, last.items[i].kind) << i;
    EXPECT_EQ(first.items[i].item.opcode, last.items[i].item.opcode) << i;
    EXPECT_EQ(first.items[i].item.tenant, last.items[i].item.tenant) << i;
    EXPECT_EQ(first.items[i].item.args, last.items[i].item.args) << i;
    EXPECT_EQ(first.items[i].item.arg_count, last.items[i].item.arg_count) << i;
    EXPECT_EQ(first.items[i].label, last.items[i].label) << i;
  }
  EXPECT_EQ(first.items[1].label, "sq");
  EXPECT_EQ(first.items[1].item.tenant, 1u);
  auto ops = try_decode_packed_args(first.items[2].item.args);
  ASSERT_TRUE(ops.has_value());
  EXPECT_EQ((*ops)[0].opcode, 200u);
  EXPECT_EQ((*ops)[1].args, (std::vector<std::uint32_t>{4, 9}));
  EXPECT_EQ(first.items[3].item.args[abi::FENCE_ARG_COUNT], 3u);
}

TEST(cli_reader, TheFirstBadItemWinsWhicheverCheckFails) {
  // An unknown name (checked against the table) before a negative argument (checked at
  // once), and the other way round.
  EXPECT_EQ(parse_error(R"({"items": [{"op": "qq"}, {"op": "NOP", "args": [-1]}]})").where, "items[0].op");
  EXPECT_EQ(parse_error(R"({"items": [{"op": "NOP", "args": [-1]}, {"op": "qq"}]})").where, "items[0].args[0]");
  // Within one item: its tenant, then its op, then its arguments.
  EXPECT_EQ(parse_error(R"({"items": [{"tenant": 5, "op": "qq", "args": [-1]}]})").where, "items[0].tenant");
  EXPECT_EQ(parse_error(R"({"items": [{"op": "qq", "args": [-1]}]})").where, "items[0].op");
  EXPECT_EQ(
      parse_error(R"({"items": [{"packed": [{"op": "qq"}, {"op": "NOP", "args": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}]}]})")
          .where,
      "items[0].packed[0].op");
  // Sections before the items are checked first wherever the items stand.
  EXPECT_EQ(parse_error(R"({"items": [{"op": "qq"}], "slot_count": 100, "workgroup_size_x": 64})").where, "slot_count");
  EXPECT_EQ(parse_error(R"({"items": [{"op": "NOP"}, {"op": "NOP"}, {"op": "qq"}], "slot_count": 1,
                           "workgroup_size_x": 1})")
                .where,
            "items");
}

TEST(cli_reader, MoreNamesThanAJobCanDefineNameTheFirstUnknownOne) {
  std::string opcodes;
  std::string items;
  for (std::uint32_t i = 0; i < abi::MAX_CUSTOM_OPCODES; ++i) {
    opcodes += std::string(opcodes.empty() ? "" : ",") + R"({"opcode": )" + std::to_string(4096 + i) +
               R"(, "name": "n)" + std::to_string(i) + R"(", "body": [{"result": 1}]})";
  }
  for (std::uint32_t i = 0; i <= abi::MAX_CUSTOM_OPCODES + 3; ++i)
    items += std::string(items.empty() ? "" : ",") + R"({"op": "n)" + std::to_string(i) + R"("})";
  const auto error = parse_error(R"({"items": [)" + items + R"(], "opcodes": [)" + opcodes + "]}");
  EXPECT_EQ(error.where, "items[52].op");
  EXPECT_NE(error.message.find("\"n52\""), std::string::npos) << error.line();
}

TEST(cli_reader, CompactItemsWalkAndIndexAlike) {
  // Records of 3..15 words across several 1 MiB blocks; rewritten records keep their place.
  JobItems items;
  constexpr std::size_t N = 150000;
  for (std::size_t i = 0; i < N; ++i) {
    std::vector<std::uint32_t> words(i % 13);
    for (std::size_t k = 0; k < words.size(); ++k) words[k] = static_cast<std::uint32_t>(i * 16 + k);
    items.push(JobItemKind::Op, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i % 7), words);
  }
  items.rewrite([](std::size_t i, JobItems::Record& r) {
    if (i % 5 == 0 && !r.words().empty()) r.set_word_count(static_cast<std::uint32_t>(r.words().size() - 1));
  });
  std::size_t i = 0;
  for (const JobItemRef item : items) {
    const std::size_t words = i % 13 - (i % 5 == 0 && i % 13 != 0 ? 1 : 0);
    ASSERT_EQ(item.opcode, i);
    ASSERT_EQ(item.tenant, i % 7);
    ASSERT_EQ(item.args.size(), words) << i;
    if (words != 0) {
      ASSERT_EQ(item.args.back(), i * 16 + words - 1) << i;
    }
    ++i;
  }
  EXPECT_EQ(i, N);
  for (const std::size_t k : {std::size_t{0}, std::size_t{63}, std::size_t{64}, std::size_t{77777}, N - 1}) {
    const JobItem item = items[k];
    EXPECT_EQ(item.item.opcode, k);
    EXPECT_EQ(item.item.arg_count, k % 13 - (k % 5 == 0 && k % 13 != 0 ? 1 : 0)) << k;
  }
}

}  // namespace
}  // namespace mk::cli::test
