// Helpers shared by the DeviceSet tests: CPU members that stand in for devices, and their items.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/live_test_hooks.h"
#include "live/live_test_util.h"
#include "mk/mk.h"

namespace mk::multi_test {

using namespace std::chrono_literals;
using live_test::item;
using live_test::observable;

inline constexpr std::uint32_t TENANTS = 64;      // every tenant the control buffer holds
inline constexpr std::uint32_t OBSERVABLES = 64;  // one word per tenant

// A CPU member standing in for device `ordinal`: one lane, all 64 tenants enabled, so
// 2 cores carry 4 members.
inline DeviceMember cpu_member(std::uint32_t ordinal, std::chrono::milliseconds watchdog = 2000ms) {
  DeviceMember m;
  m.backend = "cpu";
  m.ordinal = ordinal;
  m.options.slot_count = 1024;
  m.options.tenant_count = TENANTS;
  m.options.observable_count = OBSERVABLES;
  m.options.lanes = 1;
  m.options.watchdog_timeout = watchdog;
  return m;
}

// Members with ordinals first, first + 1, ..., first + n - 1.
inline std::vector<DeviceMember> cpu_members(std::uint32_t n, std::uint32_t first = 0,
                                             std::chrono::milliseconds watchdog = 2000ms) {
  std::vector<DeviceMember> members;
  for (std::uint32_t i = 0; i < n; ++i) members.push_back(cpu_member(first + i, watchdog));
  return members;
}

inline DeviceSet start_set(std::uint32_t n) { return value_or_throw(DeviceSet::start(cpu_members(n))); }

// Every tenant's member, for tenants 0..count-1.
inline std::vector<std::uint32_t> routes(const DeviceSet& set, std::uint32_t count) {
  std::vector<std::uint32_t> r(count);
  for (std::uint32_t t = 0; t < count; ++t) r[t] = value_or_throw(set.member_for(t));
  return r;
}

inline std::string what(const Error& e) { return std::string(to_string(e.kind())) + ": " + e.message(); }

}  // namespace mk::multi_test
