// Protocol codec bindings: encode/publish/read over bytes, bytearray and NumPy buffers.
#include <pybind11/stl.h>

#include "bind.h"

namespace mk::py {

namespace {

pyb::bytearray to_bytearray(const Bytes& bytes) {
  return pyb::reinterpret_steal<pyb::bytearray>(PyByteArray_FromStringAndSize(
      reinterpret_cast<const char*>(bytes.data()), static_cast<Py_ssize_t>(bytes.size())));
}

// A view of `count` words of `object` from byte `offset`, holding a buffer export so the
// owner (a bytearray, say) cannot be resized under it.
pyb::array words_of(pyb::handle object, const char* name, std::size_t offset, std::size_t count, pyb::ssize_t stride) {
  const bool writable = [&] {
    Py_buffer probe{};
    if (PyObject_GetBuffer(object.ptr(), &probe, PyBUF_WRITABLE) != 0) {
      PyErr_Clear();
      return false;
    }
    PyBuffer_Release(&probe);
    return true;
  }();
  BufferArg arg(object, name, false);
  pyb::memoryview export_hold = pyb::reinterpret_steal<pyb::memoryview>(PyMemoryView_FromObject(object.ptr()));
  if (!export_hold) throw pyb::error_already_set();
  return u32_view(reinterpret_cast<const std::byte*>(arg.bytes().data()) + offset, count, stride, export_hold,
                  writable);
}

template <class F>
auto read_control(F read) {
  return [read](pyb::handle control) {
    AlignedInput in(control, "control");
    return unwrap(read(in.bytes()));
  };
}

}  // namespace

void bind_protocol(pyb::module_& m) {
  pyb::class_<WorkItem>(m, "WorkItem", "One work item: opcode, tenant and up to MAX_ARGS argument words.")
      .def(pyb::init([](std::uint32_t opcode, std::uint32_t tenant, std::vector<std::uint32_t> args) {
             return unwrap(WorkItem::make(opcode, tenant, args));
           }),
           pyb::arg("opcode"), pyb::arg("tenant") = 0, pyb::arg("args") = std::vector<std::uint32_t>{})
      .def_readwrite("opcode", &WorkItem::opcode)
      .def_readwrite("tenant", &WorkItem::tenant)
      .def_property_readonly("args",
                             [](const WorkItem& w) {
                               return std::vector<std::uint32_t>(w.args.begin(),
                                                                 w.args.begin() + std::min(w.arg_count, abi::MAX_ARGS));
                             })
      .def("__repr__", [](const WorkItem& w) {
        return "WorkItem(opcode=" + std::to_string(w.opcode) + ", tenant=" + std::to_string(w.tenant) + ", args=" +
               pyb::repr(pyb::cast(std::vector<std::uint32_t>(w.args.begin(), w.args.begin() + w.arg_count)))
                   .cast<std::string>() +
               ")";
      });

  pyb::class_<SlotView>(m, "SlotView", "A decoded ring slot.")
      .def_readonly("status", &SlotView::status)
      .def_readonly("opcode", &SlotView::opcode)
      .def_readonly("tenant", &SlotView::tenant)
      .def_readonly("result", &SlotView::result)
      .def_property_readonly(
          "args", [](const SlotView& s) { return std::vector<std::uint32_t>(s.args.begin(), s.args.end()); });
  pyb::class_<OpcodeCount>(m, "OpcodeCount", "Completions of one opcode-table entry.")
      .def_readonly("opcode", &OpcodeCount::opcode)
      .def_readonly("table_index", &OpcodeCount::table_index)
      .def_readonly("count", &OpcodeCount::count);
  pyb::class_<TenantCounters>(m, "TenantCounters", "A tenant's policy and counters in the control buffer.")
      .def_readonly("tenant", &TenantCounters::tenant)
      .def_readonly("flags", &TenantCounters::flags)
      .def_readonly("allowed_opcodes", &TenantCounters::allowed_opcodes)
      .def_property_readonly("window",
                             [](const TenantCounters& t) { return pyb::make_tuple(t.window.base, t.window.len); })
      .def_readonly("done", &TenantCounters::done)
      .def_readonly("faults", &TenantCounters::faults);

  pyb::class_<DebugRecord>(m, "DebugRecord", "One committed PRINTF record of the debug log.")
      .def_readonly("index", &DebugRecord::index)
      .def_readonly("fmt_id", &DebugRecord::fmt_id)
      .def_readonly("tenant", &DebugRecord::tenant)
      .def_readonly("slot", &DebugRecord::slot)
      .def_property_readonly(
          "args", [](const DebugRecord& r) { return std::vector<std::uint32_t>(r.args.begin(), r.args.end()); });
  pyb::class_<DebugLog>(m, "DebugLog", "A decoded debug log: committed records and the claim counters.")
      .def_readonly("records", &DebugLog::records)
      .def_readonly("capacity", &DebugLog::capacity)
      .def_readonly("claimed", &DebugLog::claimed)
      .def_readonly("dropped", &DebugLog::dropped)
      .def_readonly("partial", &DebugLog::partial);

  m.attr("WORK_ITEM_DTYPE") = work_item_dtype();

  m.def(
      "control_bytes", [](std::uint32_t n) { return unwrap(try_control_bytes(n)); }, pyb::arg("observable_count"));
  m.def(
      "ring_bytes", [](std::uint32_t n) { return unwrap(try_ring_bytes(n)); }, pyb::arg("slot_count"));
  m.def(
      "debug_log_bytes", [](std::uint32_t n) { return unwrap(try_debug_log_bytes(n)); }, pyb::arg("capacity_records"));
  m.def(
      "io_queue_bytes", [](std::uint32_t n) { return unwrap(try_io_queue_bytes(n)); }, pyb::arg("capacity_requests"));

  m.def(
      "encode_control",
      [](bool shutdown, std::uint32_t tenants, std::uint32_t observables) {
        return to_bytearray(unwrap(try_encode_control(shutdown, tenants, observables)));
      },
      pyb::arg("shutdown") = false, pyb::arg("tenant_count") = 1, pyb::arg("observable_count") = 1024,
      "A fresh control buffer (bytearray): every tenant enabled, allowed every opcode, seeing every observable.");
  m.def(
      "encode_control_into",
      [](pyb::handle out, bool shutdown, std::uint32_t tenants, std::uint32_t observables) {
        BufferArg buffer(out, "out", true);
        unwrap(try_encode_control_into(buffer.writable_bytes(), shutdown, tenants, observables));
      },
      pyb::arg("out"), pyb::arg("shutdown") = false, pyb::arg("tenant_count") = 1, pyb::arg("observable_count") = 1024);
  m.def(
      "encode_empty_ring", [](std::uint32_t n) { return to_bytearray(unwrap(try_encode_empty_ring(n))); },
      pyb::arg("slot_count"));
  m.def(
      "encode_empty_debug_log", [](std::uint32_t n) { return to_bytearray(unwrap(try_encode_empty_debug_log(n))); },
      pyb::arg("capacity_records"));
  m.def(
      "encode_empty_io_queue", [](std::uint32_t n) { return to_bytearray(unwrap(try_encode_empty_io_queue(n))); },
      pyb::arg("capacity_requests"));

  m.def(
      "validate_control",
      [](pyb::handle control) {
        AlignedInput in(control, "control");
        const auto header = unwrap(try_validate_control(in.bytes()));
        return pyb::make_tuple(header.tenant_count, header.observable_count);
      },
      pyb::arg("control"), "(tenant_count, observable_count) of a valid control buffer; Malformed otherwise.");
  m.def(
      "set_tenant_policy",
      [](pyb::handle control, std::uint32_t tenant, std::uint64_t allowed,
         std::pair<std::uint32_t, std::uint32_t> window) {
        BufferArg out(control, "control", true);
        unwrap(try_set_tenant_policy(out.writable_bytes(), tenant, allowed, Window{window.first, window.second}));
      },
      pyb::arg("control"), pyb::arg("tenant"), pyb::arg("allowed_opcodes"), pyb::arg("window"));
  m.def(
      "set_tenant_flags",
      [](pyb::handle control, std::uint32_t tenant, bool enabled, bool admin) {
        BufferArg out(control, "control", true);
        unwrap(try_set_tenant_flags(out.writable_bytes(), tenant, enabled, admin));
      },
      pyb::arg("control"), pyb::arg("tenant"), pyb::arg("enabled"), pyb::arg("admin"));
  m.def(
      "write_observables",
      [](pyb::handle control, std::uint32_t at, std::vector<std::uint32_t> words) {
        BufferArg out(control, "control", true);
        unwrap(try_write_observables(out.writable_bytes(), at, words));
      },
      pyb::arg("control"), pyb::arg("at"), pyb::arg("words"));

  m.def("read_done_count", read_control([](ConstByteSpan c) { return try_read_done_count(c); }), pyb::arg("control"));
  m.def("read_epoch", read_control([](ConstByteSpan c) { return try_read_epoch(c); }), pyb::arg("control"));
  m.def("read_last_fence_tag", read_control([](ConstByteSpan c) { return try_read_last_fence_tag(c); }),
        pyb::arg("control"));
  m.def("read_fault_count", read_control([](ConstByteSpan c) { return try_read_fault_count(c); }), pyb::arg("control"));
  m.def("read_metrics", read_control([](ConstByteSpan c) { return try_read_metrics(c); }), pyb::arg("control"));
  m.def(
      "read_observable",
      [](pyb::handle control, std::uint32_t index) {
        AlignedInput in(control, "control");
        return unwrap(try_read_observable(in.bytes(), index));
      },
      pyb::arg("control"), pyb::arg("index"));
  m.def(
      "read_tenant_counters",
      [](pyb::handle control, std::uint32_t tenant) {
        AlignedInput in(control, "control");
        return unwrap(try_read_tenant_counters(in.bytes(), tenant));
      },
      pyb::arg("control"), pyb::arg("tenant"));
  m.def(
      "read_observables",
      [](pyb::handle control) {
        std::size_t count = 0;
        {
          AlignedInput in(control, "control");
          count = unwrap(try_validate_control(in.bytes())).observable_count;
        }
        return words_of(control, "control", std::size_t{abi::CTRL_OBSERVABLES} * 4, count, 4);
      },
      pyb::arg("control"),
      "The observable words as a numpy.uint32 view of `control` (no copy; writable when control is).");

  m.def(
      "publish_slot",
      [](pyb::handle ring, std::uint32_t slot, const WorkItem& item) {
        BufferArg out(ring, "ring", true);
        unwrap(try_publish_slot(out.writable_bytes(), slot, item));
      },
      pyb::arg("ring"), pyb::arg("slot"), pyb::arg("item"));
  m.def(
      "publish_work_items",
      [](pyb::handle ring, std::uint32_t first_slot, pyb::handle items) {
        std::vector<WorkItem> scratch;
        const auto list = work_items_from(items, "items", scratch);
        BufferArg out(ring, "ring", true);
        return unwrap(try_publish_work_items(out.writable_bytes(), first_slot, list));
      },
      pyb::arg("ring"), pyb::arg("first_slot"), pyb::arg("items"),
      "Publish items into consecutive slots; the next slot.");
  m.def(
      "batch_publish",
      [](pyb::handle ring, std::uint32_t first_slot, pyb::handle items, std::uint32_t tag, std::uint32_t tenant) {
        std::vector<WorkItem> scratch;
        const auto list = work_items_from(items, "items", scratch);
        BufferArg out(ring, "ring", true);
        return unwrap(try_batch_publish(out.writable_bytes(), first_slot, list, tag, tenant));
      },
      pyb::arg("ring"), pyb::arg("first_slot"), pyb::arg("items"), pyb::arg("fence_tag"), pyb::arg("fence_tenant") = 0);
  m.def(
      "slot_count",
      [](pyb::handle ring) {
        AlignedInput in(ring, "ring");
        return unwrap(try_slot_count(in.bytes()));
      },
      pyb::arg("ring"));
  m.def(
      "read_slot",
      [](pyb::handle ring, std::uint32_t slot) {
        AlignedInput in(ring, "ring");
        return unwrap(try_read_slot(in.bytes(), slot));
      },
      pyb::arg("ring"), pyb::arg("slot"));
  m.def(
      "read_done_slots",
      [](pyb::handle ring) {
        AlignedInput in(ring, "ring");
        return unwrap(try_read_done_slots(in.bytes()));
      },
      pyb::arg("ring"));
  m.def(
      "ring_statuses",
      [](pyb::handle ring) {
        std::size_t n = 0;
        {
          AlignedInput in(ring, "ring");
          n = unwrap(try_slot_count(in.bytes()));
        }
        return words_of(ring, "ring", abi::SLOT_STATUS * 4, n, abi::SLOT_BYTES);
      },
      pyb::arg("ring"), "STATUS of every slot: a strided numpy.uint32 view of `ring` (no copy).");
  m.def(
      "ring_results",
      [](pyb::handle ring) {
        std::size_t n = 0;
        {
          AlignedInput in(ring, "ring");
          n = unwrap(try_slot_count(in.bytes()));
        }
        return words_of(ring, "ring", abi::SLOT_RESULT * 4, n, abi::SLOT_BYTES);
      },
      pyb::arg("ring"), "RESULT of every slot: a strided numpy.uint32 view of `ring` (no copy).");

  m.def(
      "read_debug_log",
      [](pyb::handle log, bool strict) {
        AlignedInput in(log, "log");
        return unwrap(try_read_debug_log(in.bytes(), strict ? DecodeMode::Strict : DecodeMode::Lenient));
      },
      pyb::arg("log"), pyb::arg("strict") = true,
      "Decode a debug log; strict: a claimed record not yet committed is Malformed (else counted in .partial).");

  m.def(
      "status_name", [](std::uint32_t s) { return std::string(status_name(s)); }, pyb::arg("status"));
  m.def(
      "fault_name", [](std::uint32_t f) { return std::string(fault_name(f)); }, pyb::arg("fault"));
  m.def(
      "builtin_opcode_name", [](std::uint32_t op) { return std::string(builtin_opcode_name(op)); }, pyb::arg("opcode"));
  m.def(
      "find_builtin_opcode", [](std::string_view name) { return find_builtin_opcode(name); }, pyb::arg("name"),
      "Opcode id of a built-in name (\"STORE_U32\"), or None.");

  // ABI constants a Python caller needs to build items and read results.
  const std::pair<const char*, std::uint32_t> constants[] = {
      {"ABI_VERSION", abi::ABI_VERSION},
      {"SLOT_WORDS", abi::SLOT_WORDS},
      {"MAX_ARGS", abi::MAX_ARGS},
      {"MAX_TENANTS", abi::MAX_TENANTS},
      {"MAX_OPCODES", abi::MAX_OPCODES},
      {"FIRST_CUSTOM_INDEX", abi::FIRST_CUSTOM_INDEX},
      {"BATCH_MAX_ITEMS", abi::BATCH_MAX_ITEMS},
      {"OP_NOP", abi::OP_NOP},
      {"OP_STORE_U32", abi::OP_STORE_U32},
      {"OP_ATOMIC_ADD", abi::OP_ATOMIC_ADD},
      {"OP_LOAD_U32", abi::OP_LOAD_U32},
      {"OP_COMPARE_SWAP", abi::OP_COMPARE_SWAP},
      {"OP_MEMCPY", abi::OP_MEMCPY},
      {"OP_DFA_STEP", abi::OP_DFA_STEP},
      {"OP_BATCH_FENCE", abi::OP_BATCH_FENCE},
      {"OP_LOAD_MISS", abi::OP_LOAD_MISS},
      {"OP_PRINTF", abi::OP_PRINTF},
      {"OP_PACKED_SLOT", abi::OP_PACKED_SLOT},
      {"OP_SHUTDOWN", abi::OP_SHUTDOWN},
      {"STATUS_EMPTY", abi::STATUS_EMPTY},
      {"STATUS_PUBLISHED", abi::STATUS_PUBLISHED},
      {"STATUS_CLAIMED", abi::STATUS_CLAIMED},
      {"STATUS_DONE", abi::STATUS_DONE},
      {"STATUS_FAULT", abi::STATUS_FAULT},
      {"FAULT_NONE", abi::FAULT_NONE},
      {"FAULT_UNKNOWN_OPCODE", abi::FAULT_UNKNOWN_OPCODE},
      {"FAULT_UNAUTHORIZED", abi::FAULT_UNAUTHORIZED},
      {"FAULT_OUT_OF_BOUNDS", abi::FAULT_OUT_OF_BOUNDS},
      {"FAULT_BAD_ARGS", abi::FAULT_BAD_ARGS},
      {"FAULT_USER_FAULT", abi::FAULT_USER_FAULT},
      {"FAULT_STEP_BUDGET", abi::FAULT_STEP_BUDGET},
      {"FAULT_DIVIDE_BY_ZERO", abi::FAULT_DIVIDE_BY_ZERO},
  };
  for (const auto& [name, value] : constants) m.attr(name) = value;
}

}  // namespace mk::py
