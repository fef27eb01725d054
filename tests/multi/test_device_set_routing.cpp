// DeviceSet routing: balance and stability of the tenant hash, what moves on add/remove, pins, and every error path.
#include "device_set_test_util.h"

#include <algorithm>
#include <array>

namespace mk::multi_test {
namespace {

constexpr std::uint32_t MANY = 100'000;  // tenants routed (member_for takes any 32-bit tenant)

// What this catches: a weak mix (neighbouring tenants landing on one member), routing
// that depends on member order or on the DeviceSet instance (two processes would
// disagree about where a tenant lives).
TEST(DeviceSetRouting, BalancedStableAndTiedToMemberIdentity) {
  DeviceSet set = start_set(4);
  const auto first = routes(set, MANY);
  std::array<std::uint32_t, 4> counts{};
  for (std::uint32_t m : first) ++counts.at(m);
  for (std::uint32_t m = 0; m < 4; ++m) {
    EXPECT_GE(counts[m], MANY / 4 * 9 / 10) << "member " << m;
    EXPECT_LE(counts[m], MANY / 4 * 11 / 10) << "member " << m;
  }
  EXPECT_EQ(routes(set, MANY), first) << "routing changed with nothing added or removed";

  // The same devices listed in another order: every tenant lands on the same device.
  std::vector<DeviceMember> reversed = cpu_members(4);
  std::reverse(reversed.begin(), reversed.end());
  DeviceSet other = value_or_throw(DeviceSet::start(reversed));
  for (std::uint32_t t = 0; t < MANY; t += 7) {
    const std::uint32_t m = value_or_throw(other.member_for(t));
    ASSERT_EQ(value_or_throw(other.name(m)), value_or_throw(set.name(first[t]))) << "tenant " << t;
  }
}

// What this catches: a change of the hash. Processes of one deployment (and the Python
// router of examples/dask/spread_job.py, which spells the same numbers) must agree on
// where a tenant lives, so the mapping is part of the contract.
TEST(DeviceSetRouting, HashIsTheDocumentedOne) {
  DeviceSet set = start_set(4);  // cpu:0..3 at indexes 0..3
  const std::vector<std::uint32_t> expected = {1, 2, 1, 3, 0, 1, 2, 3, 1, 2, 1, 1, 0, 3, 1, 2};
  EXPECT_EQ(routes(set, 16), expected);
}

// What this catches: a hash that reshuffles everything when one member comes or goes
// (modulo hashing moves ~N/(N+1) of the tenants).
TEST(DeviceSetRouting, AddMovesOnlyTenantsTheNewMemberWins) {
  DeviceSet set = start_set(4);
  const auto before = routes(set, MANY);
  const std::uint32_t added = value_or_throw(set.add(cpu_member(4)));
  EXPECT_EQ(added, 4u);
  EXPECT_EQ(set.active_count(), 5u);
  const auto after = routes(set, MANY);
  std::uint32_t moved = 0;
  for (std::uint32_t t = 0; t < MANY; ++t) {
    if (after[t] == before[t]) continue;
    ++moved;
    ASSERT_EQ(after[t], added) << "tenant " << t << " moved between two old members";
  }
  const double fraction = double(moved) / MANY;
  EXPECT_LE(fraction, 1.0 / 5 + 0.01);
  EXPECT_GE(fraction, 1.0 / 5 - 0.01) << "the new member won too few tenants";
}

TEST(DeviceSetRouting, RemoveMovesOnlyTheRemovedMembersTenantsAndReAddTakesThemBack) {
  DeviceSet set = start_set(4);
  const auto before = routes(set, MANY);
  ASSERT_TRUE(set.remove(1));
  EXPECT_EQ(value_or_throw(set.state(1)), MemberState::Removed);
  EXPECT_EQ(set.active_count(), 3u);
  const auto after = routes(set, MANY);
  std::uint32_t moved = 0;
  std::array<std::uint32_t, 4> gained{};
  for (std::uint32_t t = 0; t < MANY; ++t) {
    ASSERT_NE(after[t], 1u) << "tenant " << t << " still routed to the removed member";
    if (before[t] != 1) {
      ASSERT_EQ(after[t], before[t]) << "tenant " << t << " of a remaining member moved";
    } else {
      ++moved;
      ++gained.at(after[t]);
    }
  }
  EXPECT_LE(double(moved) / MANY, 1.0 / 4 + 0.01);
  // The removed member's tenants spread over the others instead of piling onto one.
  for (std::uint32_t m : {0u, 2u, 3u}) EXPECT_GE(gained[m], moved / 3 * 8 / 10) << "member " << m;

  // The same device again (a new index): exactly its old tenants come back.
  const std::uint32_t again = value_or_throw(set.add(cpu_member(1)));
  EXPECT_EQ(again, 4u) << "indexes are never reused";
  const auto back = routes(set, MANY);
  for (std::uint32_t t = 0; t < MANY; ++t) ASSERT_EQ(back[t], before[t] == 1 ? again : before[t]) << "tenant " << t;
}

TEST(DeviceSetRouting, PinOverridesTheHashUntilUnpinnedOrTheMemberLeaves) {
  DeviceSet set = start_set(3);
  const std::uint32_t tenant = 5;
  const std::uint32_t hashed = value_or_throw(set.member_for(tenant));
  const std::uint32_t other = (hashed + 1) % 3;
  ASSERT_TRUE(set.pin(tenant, other));
  EXPECT_EQ(value_or_throw(set.member_for(tenant)), other);
  const std::vector<WorkItem> batch = {item(abi::OP_ATOMIC_ADD, tenant, {tenant, 1})};
  auto ticket = set.submit(batch);
  ASSERT_TRUE(ticket) << ticket.error().what();
  EXPECT_EQ(ticket->member(), other);
  ASSERT_TRUE(value_or_throw(set.wait(*ticket, 10s)));
  ASSERT_TRUE(set.drain(10s));
  EXPECT_EQ(observable(value_or_throw(set.read_control(other)), tenant), 1u);
  EXPECT_EQ(observable(value_or_throw(set.read_control(hashed)), tenant), 0u);

  set.unpin(tenant);
  EXPECT_EQ(value_or_throw(set.member_for(tenant)), hashed);

  // A pin dies with its member; the tenant goes back to the hash over the rest.
  ASSERT_TRUE(set.pin(tenant, other));
  ASSERT_TRUE(set.remove(other));
  EXPECT_EQ(value_or_throw(set.member_for(tenant)), hashed);
  auto dead = set.pin(tenant, other);
  ASSERT_FALSE(dead);
  EXPECT_EQ(dead.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(dead.error().message().find("removed"), std::string::npos) << what(dead.error());
  auto unknown = set.pin(tenant, 17);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::InvalidArgument);
}

TEST(DeviceSetRouting, MixedTenantBatchesRunWholeOnOneMemberOrAreRefused) {
  DeviceSet set = start_set(4);
  // Two tenants on different members.
  const auto r = routes(set, TENANTS);
  std::uint32_t a = 0, b = 1;
  while (r[b] == r[a]) ++b;
  const std::vector<WorkItem> mixed = {item(abi::OP_ATOMIC_ADD, a, {0, 1}), item(abi::OP_ATOMIC_ADD, b, {0, 1})};
  auto refused = set.submit(mixed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(refused.error().message().find("tenant " + std::to_string(b)), std::string::npos) << what(refused.error());
  EXPECT_FALSE(refused.error().fix().empty());
  EXPECT_EQ(set.stats().submitted, 0u) << "a refused batch published nothing anywhere";

  // Pinned together, the same batch runs whole on one member.
  ASSERT_TRUE(set.pin(b, r[a]));
  auto ticket = set.submit(mixed);
  ASSERT_TRUE(ticket) << ticket.error().what();
  EXPECT_EQ(ticket->member(), r[a]);
  ASSERT_TRUE(value_or_throw(set.wait(*ticket, 10s)));
  ASSERT_EQ(ticket->results().size(), 2u);
  // Submission order, and the two adds to word 0 saw 0 and 1 in some order.
  EXPECT_EQ(ticket->results()[0].result + ticket->results()[1].result, 1u);
  EXPECT_EQ(ticket->item(1), ticket->results()[1]);
  EXPECT_EQ(ticket->fault_count(), 0u);
}

TEST(DeviceSetRouting, ErrorsNameTheProblemAndAFix) {
  auto empty = DeviceSet::start({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_FALSE(empty.error().fix().empty());

  std::vector<DeviceMember> twice = {cpu_member(3), cpu_member(3)};
  auto duplicate = DeviceSet::start(twice);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(duplicate.error().message().find("cpu:3"), std::string::npos) << what(duplicate.error());

  DeviceMember bogus = cpu_member(0);
  bogus.backend = "tpu";
  auto unknown_backend = DeviceSet::start(std::vector<DeviceMember>{bogus});
  ASSERT_FALSE(unknown_backend);
  EXPECT_EQ(unknown_backend.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(unknown_backend.error().message().find("tpu:0"), std::string::npos) << what(unknown_backend.error());

  DeviceSet set = start_set(2);
  for (auto error : {set.read_control(2).error(), set.stats(9).error(), set.state(2).error(), set.remove(2).error(),
                     set.health(5).error()}) {
    EXPECT_EQ(error.kind(), ErrorKind::InvalidArgument) << what(error);
    EXPECT_NE(error.message().find("not in the DeviceSet"), std::string::npos) << what(error);
  }
  auto no_ticket = set.wait(DeviceTicket{}, 1s);
  ASSERT_FALSE(no_ticket);
  EXPECT_EQ(no_ticket.error().kind(), ErrorKind::InvalidArgument);
  auto no_items = set.submit(std::span<const WorkItem>{});
  ASSERT_FALSE(no_items);
  EXPECT_EQ(no_items.error().kind(), ErrorKind::InvalidArgument);
  auto again = set.add(cpu_member(1));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::InvalidArgument) << "cpu:1 is already active";
  // The member's own validation keeps working through the set, named by member.
  const std::vector<WorkItem> fence = {item(abi::OP_BATCH_FENCE, 0, {0, 1, 1})};
  auto refused = set.submit(fence);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(refused.error().message().rfind("member ", 0), 0u) << what(refused.error());
  EXPECT_EQ(set.active_count(), 2u) << "a refused batch is no fault of the member";

  ASSERT_TRUE(set.remove(0));
  auto removed_twice = set.remove(0);
  ASSERT_FALSE(removed_twice);
  EXPECT_EQ(removed_twice.error().kind(), ErrorKind::InvalidArgument);
  ASSERT_TRUE(set.remove(1));
  const std::vector<WorkItem> one = {item(abi::OP_NOP, 0)};
  auto none = set.submit(one);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(none.error().message().find("no member of the DeviceSet is active (2 removed, 0 faulted)"),
            std::string::npos)
      << what(none.error());
  EXPECT_FALSE(set.member_for(0));
  EXPECT_FALSE(set.poll());
  // Removed members stay readable.
  EXPECT_TRUE(set.read_control(0));
  EXPECT_EQ(value_or_throw(set.stats(1)).submitted, 0u);
  ASSERT_TRUE(set.shutdown(1s));
  auto after_shutdown = set.add(cpu_member(7));
  ASSERT_FALSE(after_shutdown);
  EXPECT_EQ(after_shutdown.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace mk::multi_test
