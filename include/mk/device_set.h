// DeviceSet: one LiveSession per device of a process, tenants routed to devices by consistent hashing, with failover.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mk/error.h"
#include "mk/live.h"
#include "mk/megakernel.h"

namespace mk {

namespace detail {
struct DeviceSetState;
struct DeviceSetTestAccess;
}  // namespace detail

// One member device: a backend name ("cpu", "cuda") and an ordinal, with the options of
// its live session. (backend, ordinal) is the member's identity: it seeds the routing
// hash, so a member that leaves and comes back gets exactly its old tenants again. For
// CPU members the ordinal is only an id (several CPU members stand in for devices in
// tests); for CUDA this build drives ordinal 0 only (make_backend has no ordinal yet).
struct DeviceMember {
  std::string backend = "cpu";
  std::uint32_t ordinal = 0;
  LiveOptions options;
};

struct DeviceSetOptions {
  // Builds each member's Megakernel from its backend; empty: Megakernel::bootstrap
  // (built-in opcodes). Give every member the same opcodes: a tenant may move.
  std::function<Result<Megakernel>(std::shared_ptr<Backend>)> bootstrap;
  // Bound on the drain of a member that remove() takes out, and of shutdown at destruction.
  std::chrono::nanoseconds remove_timeout = std::chrono::seconds(10);
};

// Routing state of a member. Member indexes are never reused: one that leaves keeps its
// index (and its session, so its tickets, counters and stats stay readable).
enum class MemberState {
  Active,   // takes new work
  Removed,  // taken out by remove() or shutdown(); its in-flight work was drained
  Faulted,  // its session reported an error (watchdog, DeviceLost); no new work goes there
};
std::string_view to_string(MemberState state) noexcept;

// A batch submitted through a DeviceSet: the member that runs it and that member's ticket.
// The accessors mirror Ticket's (the whole batch went to one member, see submit).
class DeviceTicket {
 public:
  DeviceTicket() = default;
  DeviceTicket(std::uint32_t member, Ticket ticket) : m_member(member), m_ticket(std::move(ticket)) {}
  std::uint32_t member() const noexcept { return m_member; }
  const Ticket& ticket() const noexcept { return m_ticket; }
  std::uint64_t sequence() const noexcept { return m_ticket.sequence(); }  // ring position on its member
  std::uint32_t size() const noexcept { return m_ticket.size(); }
  bool ready() const noexcept { return m_ticket.ready(); }
  // A ticket of submit(const BatchView&), and its compact results (Ticket's).
  bool compact() const noexcept { return m_ticket.compact(); }
  TicketBatchResults batch_results() const noexcept { return m_ticket.batch_results(); }
  // Per-item results in submission order; empty until ready().
  std::span<const ItemResult> results() const noexcept { return m_ticket.results(); }
  ItemResult item(std::uint32_t item) const noexcept { return m_ticket.item(item); }
  std::uint32_t fault_count() const noexcept { return m_ticket.fault_count(); }
  explicit operator bool() const noexcept { return static_cast<bool>(m_ticket); }

 private:
  std::uint32_t m_member = 0;
  Ticket m_ticket;
};

// Several devices of one process behind one submit. Every member runs its own live
// session; a tenant's work goes to one member, chosen by rendezvous (highest random
// weight) hashing of (tenant, member identity) over the active members, unless pin()
// names another. Adding a member moves only the tenants it now wins (about 1/(N+1));
// removing one moves only its own tenants. docs/multi_device.md has the rules.
//
// Nothing is shared between members: each has its own control buffer, so an ATOMIC_ADD
// to observable 3 on member 0 and one on member 1 change two different words, and
// DONE_COUNT, metrics and tenant counters are per member (stats() sums the host counters).
// A tenant that moves (failover, add, pin) starts from the new member's words.
//
// All calls are safe from any number of threads.
class DeviceSet {
 public:
  // Start every member (InvalidArgument for an empty list, or two members with the same
  // backend and ordinal). All or nothing: a member that fails to start stops the others.
  static Result<DeviceSet> start(std::span<const DeviceMember> members, DeviceSetOptions options = {});

  DeviceSet(DeviceSet&&) noexcept;
  DeviceSet& operator=(DeviceSet&&) noexcept;
  // Shuts every active member down (their in-flight work finishes first, bounded).
  ~DeviceSet();

  // Publish a batch on the member of its tenants, whole or not at all. Every item's tenant
  // must route to the same member (one tenant, or tenants pinned together): a batch that
  // spans members is refused (InvalidArgument) rather than split, because a split batch
  // could not stay whole-or-nothing (one part accepted, another QueueFull). QueueFull is
  // the member's: work is never moved to another member because one is busy. A member
  // found faulted or removed while submitting is taken out of routing and the batch goes
  // to the tenant's next member (nothing of it was published on the first).
  Result<DeviceTicket> submit(std::span<const WorkItem> items);
  // Like submit, but waits up to `timeout` for room on the member.
  Result<DeviceTicket> submit_wait(std::span<const WorkItem> items, std::chrono::nanoseconds timeout);
  // A compact batch (LiveSession::submit(const BatchView&)), routed the same way: the
  // shared tenant's member, or with per-item tenants the member every record's tenant
  // routes to (a batch spanning members is refused). Records shorter than count * stride
  // are refused before any is read.
  Result<DeviceTicket> submit(const BatchView& batch);
  Result<DeviceTicket> submit_wait(const BatchView& batch, std::chrono::nanoseconds timeout);
  // Wait for a ticket on its member: true (done), false (timed out) or the member's Error,
  // its message prefixed with the member ("member 1 (cpu:1): ..."); a member whose session
  // failed is marked Faulted and gets no new work.
  Result<bool> wait(const DeviceTicket& ticket, std::chrono::nanoseconds timeout);
  // Harvest finished slots on every active member; the items completed. A member that
  // fails is marked Faulted and skipped; an Error only when no member is active.
  Result<std::uint64_t> poll();
  // Drain every active member (one deadline for all): afterwards read_control(member) is
  // exact. A member that fails is marked Faulted and its error returned (after the others).
  Status drain(std::chrono::nanoseconds timeout);
  // Shut every active member down (each drains first, bounded by `timeout`); later submits
  // fail. Members stay readable.
  Status shutdown(std::chrono::nanoseconds timeout);

  // Bring a member in; returns its index. Only the tenants it wins move to it.
  Result<std::uint32_t> add(const DeviceMember& member);
  // Take a member out of routing, then drain and stop its session (bounded by
  // DeviceSetOptions::remove_timeout): its in-flight tickets end with their results, or,
  // past the bound, with the session's error. Its tenants go to the remaining members by
  // the same hash; pins to it are dropped. A Faulted member may be removed too.
  Status remove(std::uint32_t member);
  // Send `tenant` to `member` (active) whatever the hash says, until unpin() or the
  // member leaves. Pinning tenants together lets one batch hold several of them.
  Status pin(std::uint32_t tenant, std::uint32_t member);
  void unpin(std::uint32_t tenant);

  // The member that gets `tenant`'s next batch; an Error when no member is active.
  Result<std::uint32_t> member_for(std::uint32_t tenant) const;
  std::uint32_t member_count() const noexcept;  // every index ever given out
  std::uint32_t active_count() const noexcept;
  Result<MemberState> state(std::uint32_t member) const;
  // "backend:ordinal", the name errors use.
  Result<std::string> name(std::uint32_t member) const;
  // The member's own control buffer, counters and health (also after it left).
  Result<std::vector<std::uint32_t>> read_control(std::uint32_t member) const;
  Result<Bytes> read_control_bytes(std::uint32_t member) const;
  Result<LiveStats> stats(std::uint32_t member) const;
  // Sum over every member, removed and faulted ones included (heartbeat and done_count
  // too, modulo 2^32: only useful to see that something moves).
  LiveStats stats() const;
  Status health(std::uint32_t member) const;

 private:
  explicit DeviceSet(std::unique_ptr<detail::DeviceSetState> state);
  friend struct detail::DeviceSetTestAccess;
  std::unique_ptr<detail::DeviceSetState> m_state;
};

}  // namespace mk
