// Megakernel construction: geometry, opcode table, pipeline ids.
#include "test_util.h"

namespace mk::test {
namespace {

TEST(Bootstrap, DefaultsAre256LanesInOneGroup) {
  auto mk = Megakernel::bootstrap(make_cpu_backend());
  ASSERT_TRUE(mk) << mk.error().what();
  EXPECT_EQ(mk->slot_count(), 256u);
  EXPECT_EQ(mk->workgroup_size_x(), 256u);
  EXPECT_EQ(mk->worker_groups(), 1u);
  EXPECT_NE(mk->pipeline_id(), 0u);
  ASSERT_EQ(mk->opcode_table().size(), abi::BUILTIN_OPCODES);
  EXPECT_EQ(mk->opcode_table()[abi::IDX_SHUTDOWN], abi::OP_SHUTDOWN);
  EXPECT_EQ(mk->opcode_index(abi::OP_PRINTF), abi::IDX_PRINTF);
  EXPECT_EQ(mk->opcode_index(4096), abi::NO_OPCODE_INDEX);
}

TEST(Bootstrap, WorkerGroupsForGeometry) {
  EXPECT_EQ(*Megakernel::worker_groups_for_geometry(256, 64), 4u);
  EXPECT_EQ(*Megakernel::worker_groups_for_geometry(64, 64), 1u);
  for (auto [slots, wg] : {std::pair{100u, 64u}, {0u, 64u}, {64u, 0u}, {abi::MAX_RING_SLOTS + 1, 1u}}) {
    auto groups = Megakernel::worker_groups_for_geometry(slots, wg);
    ASSERT_FALSE(groups) << slots << "/" << wg;
    EXPECT_EQ(groups.error().kind(), ErrorKind::QueueFull);
    EXPECT_FALSE(groups.error().fix().empty());
  }
}

TEST(Bootstrap, ShardedRejectsPartialGroups) {
  auto mk = Megakernel::bootstrap_sharded(make_cpu_backend(), 96, 64);
  ASSERT_FALSE(mk);
  EXPECT_EQ(mk.error().kind(), ErrorKind::QueueFull);
  EXPECT_NE(mk.error().message().find("96"), std::string::npos);
}

TEST(Bootstrap, NullBackendIsInvalidArgument) {
  auto mk = Megakernel::bootstrap(nullptr);
  ASSERT_FALSE(mk);
  EXPECT_EQ(mk.error().kind(), ErrorKind::InvalidArgument);
}

TEST(Bootstrap, EachMegakernelGetsItsOwnPipeline) {
  auto backend = make_cpu_backend();
  auto a = Megakernel::bootstrap(backend);
  auto b = Megakernel::bootstrap(backend);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->pipeline_id(), b->pipeline_id());
}

TEST(Bootstrap, CustomOpcodeInSystemRangeIsRejected) {
  std::vector<OpcodeHandler> handlers(1);
  handlers[0].opcode = abi::OP_PRINTF;
  handlers[0].name = "bad";
  auto mk = Megakernel::bootstrap_with_opcodes(make_cpu_backend(), handlers);
  ASSERT_FALSE(mk);
  EXPECT_EQ(mk.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace mk::test
