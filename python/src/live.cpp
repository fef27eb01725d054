// LiveSession bindings: start, submit (NumPy rows or WorkItems) -> Ticket, wait/drain/shutdown without the GIL.
#include <pybind11/stl.h>

#include "bind.h"
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
  pyb::class_<Ticket>(m, "Ticket", "A submitted batch; results stay readable while the ticket lives.")
      .def_property_readonly("sequence", &Ticket::sequence)
      .def_property_readonly("size", &Ticket::size)
      .def("__len__", &Ticket::size)
      .def_property_readonly("ready", &Ticket::ready, "Every item reached DONE or FAULT.")
      .def_property_readonly("fault_count", &Ticket::fault_count)
      .def_property_readonly(
          "results",
          [](pyb::object self) {
            auto items = self.cast<const Ticket&>().results();
            return u32_view(reinterpret_cast<const std::byte*>(items.data()) + offsetof(ItemResult, result),
                            items.size(), sizeof(ItemResult), self, false);
          },
          "RESULT per item in submit order (read-only numpy.uint32 view, no copy); empty until ready.")
      .def_property_readonly(
          "statuses",
          [](pyb::object self) {
            auto items = self.cast<const Ticket&>().results();
            return u32_view(reinterpret_cast<const std::byte*>(items.data()) + offsetof(ItemResult, status),
                            items.size(), sizeof(ItemResult), self, false);
          },
          "STATUS_DONE or STATUS_FAULT per item (read-only numpy.uint32 view); empty until ready.");

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
             pyb::handle control, std::uint32_t quota, double watchdog_s, std::uint32_t lanes, double backoff_s) {
            auto options =
                live_options(slot_count, tenant_count, observable_count, control, quota, watchdog_s, lanes, backoff_s);
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
          pyb::arg("max_idle_backoff") = 2e-6, pyb::keep_alive<0, 1>(),
          "Start the megakernel's backend lanes. Times are in seconds.")
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
