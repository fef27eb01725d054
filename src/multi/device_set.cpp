// DeviceSet: member sessions, routing under a shared lock, failover when a member leaves or fails.
#include "mk/device_set.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/live_test_hooks.h"
#include "multi/rendezvous.h"

namespace mk {

std::string_view to_string(MemberState state) noexcept {
  switch (state) {
    case MemberState::Active:
      return "active";
    case MemberState::Removed:
      return "removed";
    case MemberState::Faulted:
      return "faulted";
  }
  return "unknown";
}

namespace detail {

struct DeviceSlot {
  DeviceMember spec;
  std::string name;  // "backend:ordinal"
  std::uint64_t key = 0;
  // Declared before the session, so the session stops before its pipeline goes.
  std::optional<Megakernel> megakernel;
  std::optional<LiveSession> session;
  std::atomic<MemberState> state{MemberState::Active};
};

// Routing reads (every submit) take `mutex` shared; membership changes take it exclusive
// and only for the bookkeeping: draining a removed member happens outside it, so submits
// to the others never wait for a drain.
struct DeviceSetState {
  DeviceSetOptions options;
  mutable std::shared_mutex mutex;
  std::vector<std::unique_ptr<DeviceSlot>> members;  // grows only: indexes stay valid
  std::vector<std::uint32_t> active;                 // routing candidates, in index order
  std::vector<std::uint64_t> active_keys;            // their member keys (rendezvous_pick)
  std::unordered_map<std::uint32_t, std::uint32_t> pins;
  bool closed = false;
  std::mutex lifecycle;  // one add/remove/shutdown at a time (each may be slow)

  Result<DeviceSlot*> slot(std::uint32_t member) const {
    std::shared_lock lock(mutex);
    return slot_locked(member);
  }
  Result<DeviceSlot*> slot_locked(std::uint32_t member) const {
    if (member >= members.size())
      return fail(ErrorKind::InvalidArgument,
                  "member " + std::to_string(member) + " is not in the DeviceSet (it has " +
                      std::to_string(members.size()) + " members)",
                  "use an index that start() or add() gave out (below " + std::to_string(members.size()) + ")");
    return members[member].get();
  }

  Error no_member_error() const {
    std::uint32_t removed = 0, faulted = 0;
    for (const auto& m : members) (m->state.load() == MemberState::Faulted ? faulted : removed) += 1;
    const std::string counts = std::to_string(removed) + " removed, " + std::to_string(faulted) + " faulted";
    if (faulted != 0)
      return Error(ErrorKind::DeviceLost, "no member of the DeviceSet is active (" + counts + ")",
                   "add() a member; a faulted one can be removed and added again once its device recovers");
    return Error(ErrorKind::InvalidArgument, "no member of the DeviceSet is active (" + counts + ")",
                 "add() a member before submitting");
  }

  // Caller holds `mutex` (either way).
  Result<std::uint32_t> route_locked(std::uint32_t tenant) const {
    if (active.empty()) return cuda::std::unexpected(no_member_error());
    if (auto pin = pins.find(tenant); pin != pins.end()) return pin->second;  // pins name active members only
    return active[rendezvous_pick(active_keys, tenant)];
  }

  // Take `member` out of routing (caller holds `mutex` exclusive); pins to it go.
  void leave_locked(std::uint32_t member, MemberState state) {
    members[member]->state.store(state);
    const auto at = std::find(active.begin(), active.end(), member);
    if (at != active.end()) {
      active_keys.erase(active_keys.begin() + (at - active.begin()));
      active.erase(at);
    }
    std::erase_if(pins, [member](const auto& pin) { return pin.second == member; });
  }

  // After an error from `member`'s session: when the session itself failed (watchdog,
  // DeviceLost), mark the member Faulted so no new work goes there. True when the member
  // no longer takes work (so a refused batch may go to the tenant's next member).
  bool note_error(std::uint32_t member) {
    DeviceSlot& s = *members_at(member);
    if (s.state.load() != MemberState::Active) return true;
    if (s.session->health()) return false;
    std::unique_lock lock(mutex);
    if (s.state.load() == MemberState::Active) leave_locked(member, MemberState::Faulted);
    return true;
  }

  DeviceSlot* members_at(std::uint32_t member) const {
    std::shared_lock lock(mutex);
    return members[member].get();
  }

  // The member of every item's tenant (`tenant_of(i)` for i < count), and its slot;
  // InvalidArgument when they differ.
  template <class TenantOf>
  Result<std::pair<std::uint32_t, DeviceSlot*>> route_batch(std::size_t count, TenantOf tenant_of) const {
    std::shared_lock lock(mutex);
    if (closed)
      return fail(ErrorKind::InvalidArgument, "the DeviceSet is shut down",
                  "start a new DeviceSet to submit more work");
    const std::uint32_t tenant0 = tenant_of(0);
    auto first = route_locked(tenant0);
    if (!first) return cuda::std::unexpected(std::move(first.error()));
    std::uint32_t previous = tenant0;
    for (std::size_t i = 1; i < count; ++i) {
      const std::uint32_t tenant = tenant_of(i);
      if (tenant == previous) continue;
      previous = tenant;
      auto m = route_locked(tenant);
      if (!m) return cuda::std::unexpected(std::move(m.error()));
      if (*m != *first)
        return fail(ErrorKind::InvalidArgument,
                    "item " + std::to_string(i) + " (tenant " + std::to_string(tenant) + ") routes to member " +
                        std::to_string(*m) + " but item 0 (tenant " + std::to_string(tenant0) + ") to member " +
                        std::to_string(*first) + ": a batch may not span devices",
                    "submit one batch per tenant, or pin() the tenants of a mixed batch to one member");
    }
    return std::pair{*first, members[*first].get()};
  }

  Result<std::uint32_t> add(const DeviceMember& spec);
};

Error named(const DeviceSlot& s, std::uint32_t member, const Error& e) {
  return Error(e.kind(), "member " + std::to_string(member) + " (" + s.name + "): " + e.message(), e.fix());
}

Result<std::uint32_t> DeviceSetState::add(const DeviceMember& spec) {
  auto s = std::make_unique<DeviceSlot>();
  s->spec = spec;
  s->name = spec.backend + ":" + std::to_string(spec.ordinal);
  s->key = member_key(spec.backend, spec.ordinal);
  {
    std::shared_lock lock(mutex);
    if (closed) return fail(ErrorKind::InvalidArgument, "the DeviceSet is shut down", "start a new DeviceSet instead");
    for (std::uint32_t m : active)
      if (members[m]->key == s->key && members[m]->spec.backend == spec.backend &&
          members[m]->spec.ordinal == spec.ordinal)
        return fail(ErrorKind::InvalidArgument,
                    "member " + s->name + " is already active (index " + std::to_string(m) + ")",
                    "give each member its own ordinal, or remove() the old one first");
  }
  if (spec.backend == "cuda" && spec.ordinal != 0)
    return fail(ErrorKind::Unsupported, "member " + s->name + ": this build drives CUDA device 0 only",
                "use ordinal 0, or run one process per GPU (CUDA_VISIBLE_DEVICES) as docs/multi_device.md describes");
  // Only add() and start() grow `members` (one at a time), so its size is this member's index.
  const auto next = static_cast<std::uint32_t>(members.size());
  auto backend = make_backend(spec.backend);
  if (!backend) return cuda::std::unexpected(named(*s, next, backend.error()));
  auto megakernel = options.bootstrap ? options.bootstrap(*backend) : Megakernel::bootstrap(*backend);
  if (!megakernel) return cuda::std::unexpected(named(*s, next, megakernel.error()));
  s->megakernel.emplace(std::move(*megakernel));
  auto session = LiveSession::start(*s->megakernel, spec.options);
  if (!session) return cuda::std::unexpected(named(*s, next, session.error()));
  s->session.emplace(std::move(*session));
  std::unique_lock lock(mutex);
  const auto index = static_cast<std::uint32_t>(members.size());
  active.push_back(index);
  active_keys.push_back(s->key);
  members.push_back(std::move(s));
  return index;
}

}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::nanoseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::nanoseconds(0), std::chrono::nanoseconds(deadline - Clock::now()));
}

// Route, submit, and follow a member that left routing to the tenant's next one (a submit
// is whole or nothing: a member that left took none of the batch). Each retry follows a
// member that left, so this ends within members + 1 tries.
template <class Route, class Submit>
Result<DeviceTicket> submit_routed(detail::DeviceSetState& s, Route route_batch, Submit submit) {
  std::size_t tries = 0;
  {
    std::shared_lock lock(s.mutex);
    tries = s.members.size() + 1;
  }
  for (std::size_t attempt = 1;; ++attempt) {
    auto route = route_batch();
    if (!route) return cuda::std::unexpected(std::move(route.error()));
    auto [member, slot] = *route;
    auto ticket = submit(*slot->session);
    if (ticket) return DeviceTicket(member, std::move(*ticket));
    if (!s.note_error(member) || attempt >= tries)
      return cuda::std::unexpected(detail::named(*slot, member, ticket.error()));
  }
}

Result<DeviceTicket> submit_to(detail::DeviceSetState& s, std::span<const WorkItem> items,
                               std::optional<std::chrono::nanoseconds> timeout) {
  if (items.empty()) return fail(ErrorKind::InvalidArgument, "the batch is empty", "submit at least one work item");
  const auto deadline = Clock::now() + timeout.value_or(std::chrono::nanoseconds(0));
  return submit_routed(
      s, [&] { return s.route_batch(items.size(), [&](std::size_t i) { return items[i].tenant; }); },
      [&](LiveSession& session) {
        return timeout ? session.submit_wait(items, remaining(deadline)) : session.submit(items);
      });
}

Result<DeviceTicket> submit_to(detail::DeviceSetState& s, const BatchView& batch,
                               std::optional<std::chrono::nanoseconds> timeout) {
  if (batch.count == 0) return fail(ErrorKind::InvalidArgument, "the compact batch is empty", "pass at least one item");
  const std::uint32_t stride = batch.shape.stride();
  // Per-item tenants are read here, before the member validates the batch: bound them first.
  if (batch.shape.per_item_tenant && batch.records.size() / stride < batch.count)
    return fail(ErrorKind::InvalidArgument,
                "the compact batch's records hold " + std::to_string(batch.records.size()) + " words, " +
                    std::to_string(batch.count) + " records of " + std::to_string(stride) + " words need more",
                "pass count * shape.stride() record words");
  const std::uint32_t tenant_word = batch.shape.per_item_opcode ? 1u : 0u;  // records: [opcode] [tenant] args
  const auto deadline = Clock::now() + timeout.value_or(std::chrono::nanoseconds(0));
  return submit_routed(
      s,
      [&] {
        return s.route_batch(batch.count, [&](std::size_t i) {
          return batch.shape.per_item_tenant ? batch.records[i * stride + tenant_word] : batch.shape.tenant;
        });
      },
      [&](LiveSession& session) {
        return timeout ? session.submit_wait(batch, remaining(deadline)) : session.submit(batch);
      });
}

}  // namespace

DeviceSet::DeviceSet(std::unique_ptr<detail::DeviceSetState> state) : m_state(std::move(state)) {}
DeviceSet::DeviceSet(DeviceSet&&) noexcept = default;
DeviceSet& DeviceSet::operator=(DeviceSet&& other) noexcept {
  if (this != &other) {
    if (m_state) (void)shutdown(m_state->options.remove_timeout);
    m_state = std::move(other.m_state);
  }
  return *this;
}
DeviceSet::~DeviceSet() {
  if (m_state) (void)shutdown(m_state->options.remove_timeout);
}

Result<DeviceSet> DeviceSet::start(std::span<const DeviceMember> members, DeviceSetOptions options) {
  if (members.empty())
    return fail(ErrorKind::InvalidArgument, "a DeviceSet needs at least one member",
                "pass one DeviceMember per device, e.g. {{\"cpu\", 0}, {\"cpu\", 1}}");
  auto state = std::make_unique<detail::DeviceSetState>();
  state->options = std::move(options);
  // On failure `state` goes out of scope: every member started so far shuts down.
  for (const DeviceMember& m : members) MK_TRY(state->add(m));
  return DeviceSet(std::move(state));
}

Result<DeviceTicket> DeviceSet::submit(std::span<const WorkItem> items) { return submit_to(*m_state, items, {}); }

Result<DeviceTicket> DeviceSet::submit(const BatchView& batch) { return submit_to(*m_state, batch, {}); }

Result<DeviceTicket> DeviceSet::submit_wait(const BatchView& batch, std::chrono::nanoseconds timeout) {
  return submit_to(*m_state, batch, timeout);
}

Result<DeviceTicket> DeviceSet::submit_wait(std::span<const WorkItem> items, std::chrono::nanoseconds timeout) {
  return submit_to(*m_state, items, timeout);
}

Result<bool> DeviceSet::wait(const DeviceTicket& ticket, std::chrono::nanoseconds timeout) {
  if (!ticket)
    return fail(ErrorKind::InvalidArgument, "the ticket is empty", "wait on a ticket that submit() returned");
  auto slot = m_state->slot(ticket.member());
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  auto done = (*slot)->session->wait(ticket.ticket(), timeout);
  if (done) return done;
  (void)m_state->note_error(ticket.member());
  return cuda::std::unexpected(detail::named(**slot, ticket.member(), done.error()));
}

Result<std::uint64_t> DeviceSet::poll() {
  std::vector<std::uint32_t> active;
  {
    std::shared_lock lock(m_state->mutex);
    if (m_state->active.empty()) return cuda::std::unexpected(m_state->no_member_error());
    active = m_state->active;
  }
  std::uint64_t completed = 0;
  for (std::uint32_t m : active) {
    auto n = m_state->members_at(m)->session->poll();
    if (n)
      completed += *n;
    else
      (void)m_state->note_error(m);
  }
  return completed;
}

Status DeviceSet::drain(std::chrono::nanoseconds timeout) {
  std::vector<std::uint32_t> active;
  {
    std::shared_lock lock(m_state->mutex);
    active = m_state->active;
  }
  const auto deadline = Clock::now() + timeout;
  std::optional<Error> first;
  for (std::uint32_t m : active) {
    detail::DeviceSlot& s = *m_state->members_at(m);
    if (auto drained = s.session->drain(remaining(deadline)); !drained) {
      (void)m_state->note_error(m);
      if (!first) first = detail::named(s, m, drained.error());
    }
  }
  if (first) return cuda::std::unexpected(std::move(*first));
  return {};
}

Status DeviceSet::shutdown(std::chrono::nanoseconds timeout) {
  std::lock_guard lifecycle(m_state->lifecycle);
  std::vector<std::uint32_t> active;
  {
    std::unique_lock lock(m_state->mutex);
    m_state->closed = true;
    active = m_state->active;
    for (std::uint32_t m : active) m_state->leave_locked(m, MemberState::Removed);
  }
  std::optional<Error> first;
  for (std::uint32_t m : active) {
    detail::DeviceSlot& s = *m_state->members_at(m);
    if (auto stopped = s.session->shutdown(timeout); !stopped && !first) first = detail::named(s, m, stopped.error());
  }
  if (first) return cuda::std::unexpected(std::move(*first));
  return {};
}

Result<std::uint32_t> DeviceSet::add(const DeviceMember& member) {
  std::lock_guard lifecycle(m_state->lifecycle);
  return m_state->add(member);
}

Status DeviceSet::remove(std::uint32_t member) {
  std::lock_guard lifecycle(m_state->lifecycle);
  detail::DeviceSlot* s = nullptr;
  MemberState before{};
  {
    std::unique_lock lock(m_state->mutex);
    auto slot = m_state->slot_locked(member);
    if (!slot) return cuda::std::unexpected(std::move(slot.error()));
    s = *slot;
    before = s->state.load();
    if (before == MemberState::Removed)
      return fail(ErrorKind::InvalidArgument,
                  "member " + std::to_string(member) + " (" + s->name + ") was already removed",
                  "remove each member once; add() it again to bring it back");
    m_state->leave_locked(member, MemberState::Removed);
  }
  // Out of routing first, then drained: a submit that routed here before the lock either
  // published before the session closed (and is drained here) or is refused and re-routed.
  Status stopped = s->session->shutdown(m_state->options.remove_timeout);
  if (!stopped && before == MemberState::Active)
    return cuda::std::unexpected(detail::named(*s, member, stopped.error()));
  return {};
}

Status DeviceSet::pin(std::uint32_t tenant, std::uint32_t member) {
  std::unique_lock lock(m_state->mutex);
  auto slot = m_state->slot_locked(member);
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  if ((*slot)->state.load() != MemberState::Active)
    return fail(ErrorKind::InvalidArgument,
                "member " + std::to_string(member) + " (" + (*slot)->name + ") is " +
                    std::string(to_string((*slot)->state.load())) + ", so tenant " + std::to_string(tenant) +
                    " cannot be pinned to it",
                "pin to an active member (state() says which are)");
  m_state->pins[tenant] = member;
  return {};
}

void DeviceSet::unpin(std::uint32_t tenant) {
  std::unique_lock lock(m_state->mutex);
  m_state->pins.erase(tenant);
}

Result<std::uint32_t> DeviceSet::member_for(std::uint32_t tenant) const {
  std::shared_lock lock(m_state->mutex);
  return m_state->route_locked(tenant);
}

std::uint32_t DeviceSet::member_count() const noexcept {
  std::shared_lock lock(m_state->mutex);
  return static_cast<std::uint32_t>(m_state->members.size());
}

std::uint32_t DeviceSet::active_count() const noexcept {
  std::shared_lock lock(m_state->mutex);
  return static_cast<std::uint32_t>(m_state->active.size());
}

Result<MemberState> DeviceSet::state(std::uint32_t member) const {
  auto slot = m_state->slot(member);
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  return (*slot)->state.load();
}

Result<std::string> DeviceSet::name(std::uint32_t member) const {
  auto slot = m_state->slot(member);
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  return (*slot)->name;
}

Result<std::vector<std::uint32_t>> DeviceSet::read_control(std::uint32_t member) const {
  auto slot = m_state->slot(member);
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  auto words = (*slot)->session->read_control();
  if (!words) return cuda::std::unexpected(detail::named(**slot, member, words.error()));
  return words;
}

Result<Bytes> DeviceSet::read_control_bytes(std::uint32_t member) const {
  auto slot = m_state->slot(member);
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  auto bytes = (*slot)->session->read_control_bytes();
  if (!bytes) return cuda::std::unexpected(detail::named(**slot, member, bytes.error()));
  return bytes;
}

Result<LiveStats> DeviceSet::stats(std::uint32_t member) const {
  auto slot = m_state->slot(member);
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  return (*slot)->session->stats();
}

LiveStats DeviceSet::stats() const {
  std::shared_lock lock(m_state->mutex);
  LiveStats sum;
  for (const auto& m : m_state->members) {
    const LiveStats st = m->session->stats();
    sum.submitted += st.submitted;
    sum.completed += st.completed;
    sum.in_flight += st.in_flight;
    sum.positions += st.positions;
    sum.rejected_full += st.rejected_full;
    sum.heartbeat += st.heartbeat;
    sum.done_count += st.done_count;
    sum.wire_rejects += st.wire_rejects;
  }
  return sum;
}

Status DeviceSet::health(std::uint32_t member) const {
  auto slot = m_state->slot(member);
  if (!slot) return cuda::std::unexpected(std::move(slot.error()));
  if (auto h = (*slot)->session->health(); !h) return cuda::std::unexpected(detail::named(**slot, member, h.error()));
  return {};
}

void detail::DeviceSetTestAccess::inject_stall(DeviceSet& set, std::uint32_t member, bool stalled) {
  if (auto slot = set.m_state->slot(member)) live_test_inject_stall(*(*slot)->session, stalled);
}

}  // namespace mk
