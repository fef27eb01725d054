// DeviceSet with compact batches (LiveSession::submit(const BatchView&)).
//
// What this catches: a compact batch routed by something other than its tenants (the
// shared tenant, or each record's own), a batch spanning members accepted (it could not
// stay whole-or-nothing), records read past their end while routing, and compact results
// that do not come back through the DeviceTicket.
#include "device_set_test_util.h"

namespace mk::multi_test {
namespace {

// Two tenants that route to different members of `route` (the first pair found).
std::pair<std::uint32_t, std::uint32_t> tenants_on_two_members(const std::vector<std::uint32_t>& route) {
  for (std::uint32_t t = 1; t < route.size(); ++t)
    if (route[t] != route[0]) return {0, t};
  ADD_FAILURE() << "every tenant routes to one member";
  return {0, 0};
}

TEST(DeviceSetCompact, SharedTenantBatchRunsOnItsMemberWithCompactResults) {
  DeviceSet set = start_set(4);
  const auto route = routes(set, TENANTS);
  for (std::uint32_t t : {3u, 17u, 40u}) {
    const std::vector<Word> records{t, 5, t, 7};  // ATOMIC_ADD word t: 5, then 7
    const BatchView batch{BatchShape::uniform(abi::OP_ATOMIC_ADD, t, 2), 2, records};
    auto ticket = set.submit(batch);
    ASSERT_TRUE(ticket) << what(ticket.error());
    EXPECT_EQ(ticket->member(), route[t]);
    ASSERT_TRUE(value_or_throw(set.wait(*ticket, 10s)));
    ASSERT_TRUE(ticket->compact());
    const auto r = ticket->batch_results();
    ASSERT_EQ(r.results.size(), 2u);
    EXPECT_FALSE(r.faulted(0));
    EXPECT_FALSE(r.faulted(1));
    EXPECT_EQ(r.results[0] + r.results[1], 5u) << "previous values 0 and 5 in either order";
  }
  ASSERT_TRUE(set.drain(10s));
  for (std::uint32_t t : {3u, 17u, 40u}) {
    for (std::uint32_t m = 0; m < 4; ++m)
      EXPECT_EQ(observable(value_or_throw(set.read_control(m)), t), m == route[t] ? 12u : 0u)
          << "member " << m << " word " << t;
  }
}

TEST(DeviceSetCompact, PerItemTenantsRouteTogetherOrTheBatchIsRefused) {
  DeviceSet set = start_set(4);
  const auto route = routes(set, TENANTS);
  const auto [a, b] = tenants_on_two_members(route);
  const BatchShape shape{false, true, abi::OP_ATOMIC_ADD, 0, 2};  // records: tenant, addr, delta
  const std::vector<Word> spanning{a, 1, 1, b, 1, 1};
  auto refused = set.submit(BatchView{shape, 2, spanning});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(refused.error().message().find("may not span devices"), std::string::npos) << what(refused.error());

  // Pinned together, the same batch runs whole on the pinned member.
  ASSERT_TRUE(set.pin(b, route[a]));
  auto ticket = set.submit(BatchView{shape, 2, spanning});
  ASSERT_TRUE(ticket) << what(ticket.error());
  EXPECT_EQ(ticket->member(), route[a]);
  ASSERT_TRUE(value_or_throw(set.wait(*ticket, 10s)));
  EXPECT_EQ(ticket->batch_results().results.size(), 2u);

  // Records shorter than count * stride are refused before any tenant is read.
  const std::vector<Word> short_records{a, 1, 1, b};
  auto truncated = set.submit(BatchView{shape, 2, short_records});
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(truncated.error().message().find("4 words"), std::string::npos) << what(truncated.error());
}

}  // namespace
}  // namespace mk::multi_test
