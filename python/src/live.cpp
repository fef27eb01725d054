// LiveSession bindings: start, submit (NumPy rows, WorkItems or compact records) -> Ticket, wait/drain/shutdown without
// the GIL.
#include <pybind11/stl.h>

#include "bind.h"
#include "dlpack.h"
#include "mk/live.h"
#include "mk/megakernel.h"

namespace mk::py {

namespace {

// Conversion scratch per calling thread: submits from several Python threads convert
// with the GIL held, then publish concurrently without it.
std::vector<WorkItem>& scratch_items() {
  thread_local std::vector<WorkItem> items;
  return items;
}

// Block in slices of at most 50 ms without the GIL, checking for Ctrl-C between slices.
template <class Call>
auto blocking(std::chrono::nanoseconds timeout, Call call) {
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    const auto left = duration_cast<nanoseconds>(deadline - steady_clock::now());
    const auto slice = std::clamp(left, nanoseconds(0), nanoseconds(milliseconds(50)));
    bool last = left <= slice;
    auto result = [&] {
      pyb::gil_scoped_release release;
      return call(slice);
    }();
    if (!result || *result || last) return result;
    if (PyErr_CheckSignals() != 0) throw pyb::error_already_set();
  }
}

LiveOptions live_options(std::uint32_t slot_count, std::uint32_t tenant_count, std::uint32_t observable_count,
                         pyb::handle control, std::uint32_t quota, double watchdog_s, std::uint32_t lanes,
                         double max_idle_backoff_s) {
  LiveOptions options;
  options.slot_count = slot_count;
  options.tenant_count = tenant_count;
  options.observable_count = observable_count;
  if (!control.is_none()) {
    AlignedInput in(control, "control");
    const auto words = unwrap(try_as_words(in.bytes(), "control"));
    options.control.assign(words.begin(), words.end());
  }
  options.max_in_flight_per_tenant = quota;
  if (!(watchdog_s > 0)) throw pyb::value_error("argument 'watchdog_timeout' must be > 0 seconds");
  options.watchdog_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(watchdog_s * 1e3 + 0.5));
  options.lanes = lanes;
  options.max_idle_backoff = std::chrono::nanoseconds(static_cast<std::int64_t>(max_idle_backoff_s * 1e9));
  return options;
}

}  // namespace

void bind_live(pyb::module_& m) {
  pyb::class_<Ticket> ticket(m, "Ticket", "A submitted batch; results stay readable while the ticket lives.");
  ticket.def_property_readonly("sequence", &Ticket::sequence)
      .def_property_readonly("size", &Ticket::size)
      .def("__len__", &Ticket::size)
      .def_property_readonly("ready", &Ticket::ready, "Every item reached DONE or FAULT.")
      .def_property_readonly("compact", &Ticket::compact, "A ticket of submit_batch (a compact batch).")
      .def_property_readonly("fault_count", &Ticket::fault_count)
      .def_property_readonly(
          "results",
          [](pyb::object self) {
            const auto& t = self.cast<const Ticket&>();
            if (t.compact()) {
              const auto words = t.batch_results().results;
              return u32_view(words.data(), words.size(), 4, self, false);
            }
            auto items = t.results();
            return u32_view(reinterpret_cast<const std::byte*>(items.data()) + offsetof(ItemResult, result),
                            items.size(), sizeof(ItemResult), self, false);
          },
          "RESULT per item in submit order (read-only numpy.uint32 view, no copy); empty until ready.")
      .def_property_readonly(
          "statuses",
          [](pyb::object self) {
            const auto& t = self.cast<const Ticket&>();
            if (t.compact()) {  // a compact ticket keeps fault bits, not statuses: spelled out here
              std::vector<std::uint32_t> statuses(t.ready() ? t.size() : 0);
              for (std::uint32_t i = 0; i < statuses.size(); ++i) statuses[i] = t.item(i).status;
              return u32_array(std::move(statuses));
            }
            auto items = t.results();
            return u32_view(reinterpret_cast<const std::byte*>(items.data()) + offsetof(ItemResult, status),
                            items.size(), sizeof(ItemResult), self, false);
          },
          "STATUS_DONE or STATUS_FAULT per item (numpy.uint32; a read-only view, or for a compact ticket a new "
          "array built from fault_bits); empty until ready.")
      .def_property_readonly(
          "fault_bits",
          [](pyb::object self) {
            const auto bits = self.cast<const Ticket&>().batch_results().fault_bits;
            return u32_view(bits.data(), bits.size(), 4, self, false);
          },
          "A compact ticket's fault bitmap (bit i % 32 of word i // 32: item i faulted; read-only view); empty until "
          "ready and for a ticket of WorkItems.");
  // DLPack of `results`: the words live in the ticket's own state, stable while it lives.
  def_dlpack(
      ticket,
      [](pyb::handle) {
        return DlDevice{DL_CPU, 0};
      },
      [](pyb::handle self) {
        const auto& t = self.cast<const Ticket&>();
        if (t.compact()) {
          const auto words = t.batch_results().results;
          return dl_host_u32(words.data(), words.size(), 1, true);
        }
        const auto items = t.results();
        return dl_host_u32(reinterpret_cast<const std::byte*>(items.data()) + offsetof(ItemResult, result),
                           items.size(), sizeof(ItemResult) / 4, true);
      },
      [](pyb::handle self) { return pyb::reinterpret_borrow<pyb::object>(self); });

  pyb::class_<LiveStats>(m, "LiveStats", "Counters of the host side of a live session.")
      .def_readonly("submitted", &LiveStats::submitted)
      .def_readonly("completed", &LiveStats::completed)
      .def_readonly("in_flight", &LiveStats::in_flight)
      .def_readonly("rejected_full", &LiveStats::rejected_full)
      .def_readonly("heartbeat", &LiveStats::heartbeat)
      .def_readonly("done_count", &LiveStats::done_count);

  pyb::class_<LiveSession>(m, "LiveSession",
                           "A kernel (or CPU worker set) that keeps running while threads submit batches. "
                           "Use as a context manager: leaving it shuts the session down.")
      .def_static(
          "start",
          [](const Megakernel& k, std::uint32_t slot_count, std::uint32_t tenant_count, std::uint32_t observable_count,
             pyb::handle control, std::uint32_t quota, double watchdog_s, std::uint32_t lanes, double backoff_s,
             std::size_t arena_bytes) {
            auto options =
                live_options(slot_count, tenant_count, observable_count, control, quota, watchdog_s, lanes, backoff_s);
            options.compact_arena_bytes = arena_bytes;
            Result<LiveSession> started = fail(ErrorKind::Backend, "not run", "");
            {
              pyb::gil_scoped_release release;
              started = LiveSession::start(k, std::move(options));
            }
            return std::make_unique<LiveSession>(unwrap(std::move(started)));
          },
          pyb::arg("megakernel"), pyb::kw_only(), pyb::arg("slot_count") = 4096, pyb::arg("tenant_count") = 1,
          pyb::arg("observable_count") = 1024, pyb::arg("control") = pyb::none(),
          pyb::arg("max_in_flight_per_tenant") = 0, pyb::arg("watchdog_timeout") = 2.0, pyb::arg("lanes") = 0,
          pyb::arg("max_idle_backoff") = 2e-6, pyb::arg("compact_arena_bytes") = std::size_t{8} << 20,
          pyb::keep_alive<0, 1>(),
          "Start the megakernel's backend lanes. Times are in seconds; compact_arena_bytes sizes the mapped memory "
          "that submit_batch copies records into (0: no compact submits).")
      .def(
          "submit",
          [](LiveSession& s, pyb::handle batch) {
            const auto items = work_items_from(batch, "batch", scratch_items());
            Result<Ticket> ticket = fail(ErrorKind::Backend, "not run", "");
            {
              pyb::gil_scoped_release release;
              ticket = s.submit(items);
            }
            return unwrap(std::move(ticket));
          },
          pyb::arg("batch"),
          "Publish a whole batch or nothing: a (n, 2 + k) numpy.uint32 array of {opcode, tenant, k args} rows, or a "
          "list of WorkItem. QueueFull when the ring or the tenant's quota has no room.")
      .def(
          "submit_wait",
          [](LiveSession& s, pyb::handle batch, pyb::handle timeout) {
            const auto items = work_items_from(batch, "batch", scratch_items());
            const auto ns = seconds_arg(timeout);
            Result<Ticket> ticket = fail(ErrorKind::Backend, "not run", "");
            {
              pyb::gil_scoped_release release;
              ticket = s.submit_wait(items, ns);
            }
            return unwrap(std::move(ticket));
          },
          pyb::arg("batch"), pyb::arg("timeout") = pyb::none(), "Like submit, waiting up to `timeout` s for room.")
      .def(
          "submit_batch",
          [](LiveSession& s, pyb::handle records, const BatchShape& shape) {
            const auto batch = records_arg(records, shape, "records");
            Result<Ticket> ticket = fail(ErrorKind::Backend, "not run", "");
            {
              pyb::gil_scoped_release release;
              ticket = s.submit(batch.view);
            }
            return unwrap(std::move(ticket));
          },
          pyb::arg("records"), pyb::arg("shape"),
          "Publish a compact batch whole or nothing: `records` is C-contiguous numpy.uint32 of shape "
          "(n, shape.stride), copied into the session's arena (reusable once this returns). Results: "
          "Ticket.results and Ticket.fault_bits. QueueFull when the ring, the arena or a quota has no room; "
          "Unsupported where the backend's live path takes no compact batches.")
      .def(
          "submit_batch_wait",
          [](LiveSession& s, pyb::handle records, const BatchShape& shape, pyb::handle timeout) {
            const auto batch = records_arg(records, shape, "records");
            const auto ns = seconds_arg(timeout);
            Result<Ticket> ticket = fail(ErrorKind::Backend, "not run", "");
            {
              pyb::gil_scoped_release release;
              ticket = s.submit_wait(batch.view, ns);
            }
            return unwrap(std::move(ticket));
          },
          pyb::arg("records"), pyb::arg("shape"), pyb::arg("timeout") = pyb::none(),
          "Like submit_batch, waiting up to `timeout` s for room.")
      .def(
          "wait",
          [](LiveSession& s, const Ticket& ticket, pyb::handle timeout) {
            if (!ticket) throw pyb::value_error("argument 'ticket' is empty");
            return unwrap(
                blocking(seconds_arg(timeout), [&](std::chrono::nanoseconds slice) { return s.wait(ticket, slice); }));
          },
          pyb::arg("ticket"), pyb::arg("timeout") = pyb::none(),
          "True once every item finished, False on timeout (seconds; None waits forever). Releases the GIL.")
      .def(
          "poll", [](LiveSession& s) { return unwrap(s.poll()); }, "Harvest finished slots; how many completed.")
      .def(
          "drain",
          [](LiveSession& s, pyb::handle timeout) {
            const auto ns = seconds_arg(timeout);
            auto status = [&] {
              pyb::gil_scoped_release release;
              return s.drain(ns);
            }();
            unwrap(std::move(status));
          },
          pyb::arg("timeout") = pyb::none(), "Wait until everything submitted has finished and DONE_COUNT counts it.")
      .def(
          "shutdown",
          [](LiveSession& s, pyb::handle timeout) {
            const auto ns = seconds_arg(timeout);
            auto status = [&] {
              pyb::gil_scoped_release release;
              return s.shutdown(ns);
            }();
            unwrap(std::move(status));
          },
          pyb::arg("timeout") = 10.0, "Stop after in-flight items finish; later submits fail.")
      .def(
          "read_control", [](const LiveSession& s) { return u32_array(unwrap(s.read_control())); },
          "The whole control buffer now, as a numpy.uint32 array.")
      .def("stats", &LiveSession::stats)
      .def(
          "health", [](const LiveSession& s) { unwrap(s.health()); },
          "None while healthy; raises the watchdog's error.")
      .def_property_readonly("slot_count", &LiveSession::slot_count)
      .def_property_readonly("lanes", &LiveSession::lanes)
      .def("__enter__", [](pyb::object self) { return self; })
      .def("__exit__", [](LiveSession& s, pyb::handle, pyb::handle, pyb::handle) {
        auto status = [&] {
          pyb::gil_scoped_release release;
          return s.shutdown(std::chrono::seconds(10));
        }();
        unwrap(std::move(status));
      });
}

}  // namespace mk::py
