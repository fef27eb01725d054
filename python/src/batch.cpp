// Compact-batch bindings: BatchShape, record arrays, Megakernel.dispatch_batch and BatchOutput views.
#include <pybind11/stl.h>

#include "bind.h"
#include "dlpack.h"
#include "mk/batch.h"
#include "mk/bulk.h"

namespace mk::py {

namespace {

// A BatchOutput and the NumPy views of it that are alive: a dispatch that could move its
// memory (more items, a larger control buffer) is refused while any view exists.
struct PyBatchOutput {
  BatchOutput out;
  int exports = 0;
  bool busy = false;
};

struct ExportToken {
  PyObject* owner;
  int* exports;
};

// A base object for a view of `self`: holds `self` and counts the export.
pyb::capsule export_of(pyb::object self) {
  auto& owner = self.cast<PyBatchOutput&>();
  ++owner.exports;
  auto* token = new ExportToken{self.release().ptr(), &owner.exports};
  return pyb::capsule(token, [](void* p) {
    auto* t = static_cast<ExportToken*>(p);
    --*t->exports;
    Py_DECREF(t->owner);
    delete t;
  });
}

// Records in backend host memory (page-locked on CUDA): a BatchBuilder owns them.
struct PyRecords {
  BatchBuilder builder;
};

}  // namespace

RecordsArg records_arg(pyb::handle records, const BatchShape& shape, const char* name) {
  const auto stride = static_cast<pyb::ssize_t>(shape.stride());
  auto rows = require_u32_matrix(records, name, stride, stride);
  const auto count = static_cast<std::uint64_t>(rows.shape(0));
  if (count > abi::BATCH_MAX_ITEMS)
    throw pyb::value_error(std::string("argument '") + name + "' has " + std::to_string(count) +
                           " rows; at most BATCH_MAX_ITEMS");
  BatchView view{shape, static_cast<std::uint32_t>(count),
                 ConstWordSpan(rows.data(), static_cast<std::size_t>(count) * shape.stride())};
  return RecordsArg{std::move(rows), view};
}

void bind_batch(pyb::module_& m) {
  pyb::class_<BatchShape>(m, "BatchShape", "What every record of a compact batch shares, and what each carries.")
      .def(pyb::init([](bool per_item_opcode, bool per_item_tenant, std::uint32_t opcode, std::uint32_t tenant,
                        std::uint32_t arg_count) {
             return BatchShape{per_item_opcode, per_item_tenant, opcode, tenant, arg_count};
           }),
           pyb::kw_only(), pyb::arg("per_item_opcode") = false, pyb::arg("per_item_tenant") = false,
           pyb::arg("opcode") = abi::OP_NOP, pyb::arg("tenant") = 0, pyb::arg("arg_count") = 0)
      .def_static("uniform", &BatchShape::uniform, pyb::arg("opcode"), pyb::arg("tenant"), pyb::arg("arg_count"),
                  "Every item runs `opcode` for `tenant`: records are `arg_count` words.")
      .def_static("mixed", &BatchShape::mixed, pyb::arg("arg_count"),
                  "Records carry {opcode, tenant, args[arg_count]}.")
      .def_readwrite("per_item_opcode", &BatchShape::per_item_opcode)
      .def_readwrite("per_item_tenant", &BatchShape::per_item_tenant)
      .def_readwrite("opcode", &BatchShape::opcode)
      .def_readwrite("tenant", &BatchShape::tenant)
      .def_readwrite("arg_count", &BatchShape::arg_count)
      .def_property_readonly("stride", &BatchShape::stride, "Words per record.")
      .def_property_readonly("flags", &BatchShape::flags)
      .def("__repr__", [](const BatchShape& s) {
        return "BatchShape(per_item_opcode=" + std::string(s.per_item_opcode ? "True" : "False") +
               ", per_item_tenant=" + (s.per_item_tenant ? "True" : "False") + ", opcode=" + std::to_string(s.opcode) +
               ", tenant=" + std::to_string(s.tenant) + ", arg_count=" + std::to_string(s.arg_count) + ")";
      });

  pyb::class_<PyBatchOutput> batch_output(
      m, "BatchOutput", "A dispatched batch's results. Views are NumPy arrays (no copy) that keep it alive.");
  batch_output.def(pyb::init<>())
      .def("__len__", [](const PyBatchOutput& o) { return o.out.size(); })
      .def_property_readonly("size", [](const PyBatchOutput& o) { return o.out.size(); })
      .def_property_readonly(
          "results",
          [](pyb::object self) {
            auto words = self.cast<PyBatchOutput&>().out.results();
            return u32_view(words.data(), words.size(), 4, export_of(self), false);
          },
          "RESULT per item (the fault code where faulted): read-only numpy.uint32 view.")
      .def_property_readonly(
          "fault_bits",
          [](pyb::object self) {
            auto words = self.cast<PyBatchOutput&>().out.fault_bits();
            return u32_view(words.data(), words.size(), 4, export_of(self), false);
          },
          "Bit i % 32 of word i // 32: item i faulted.")
      .def_property_readonly(
          "control",
          [](pyb::object self) {
            const auto& control = self.cast<PyBatchOutput&>().out.control();
            return u8_view(control.data(), control.size(), export_of(self), false);
          },
          "The control buffer after the batch (read-only numpy.uint8 view).")
      .def_property_readonly("observables",
                             [](pyb::object self) {
                               const auto& control = self.cast<PyBatchOutput&>().out.control();
                               const auto header = unwrap(try_validate_control(control));
                               return u32_view(control.data() + std::size_t{abi::CTRL_OBSERVABLES} * 4,
                                               header.observable_count, 4, export_of(self), false);
                             })
      .def(
          "faulted",
          [](const PyBatchOutput& o, std::uint32_t item) {
            if (item >= o.out.size())
              throw pyb::index_error("item " + std::to_string(item) + " >= size " + std::to_string(o.out.size()));
            return o.out.faulted(item);
          },
          pyb::arg("item"))
      .def_property_readonly("fault_count", [](const PyBatchOutput& o) { return o.out.fault_count(); })
      .def(
          "faults",
          [](const PyBatchOutput& o) {
            std::vector<std::pair<std::uint32_t, std::uint32_t>> list;
            for (const auto& f : o.out.faults()) list.emplace_back(f.item, f.code);
            return list;
          },
          "[(item, fault code)] in ascending item order.")
      .def_property_readonly("stats", [](const PyBatchOutput& o) { return o.out.stats(); });
  // DLPack of `results` (host memory, read-only): the capsule counts as a view, so a
  // reuse that would move the words is refused while a consumer holds them.
  def_dlpack(
      batch_output,
      [](pyb::handle) {
        return DlDevice{DL_CPU, 0};
      },
      [](pyb::handle self) {
        auto words = self.cast<PyBatchOutput&>().out.results();
        return dl_host_u32(words.data(), words.size(), 1, true);
      },
      [](pyb::handle self) { return pyb::object(export_of(pyb::reinterpret_borrow<pyb::object>(self))); });

  auto megakernel = pyb::reinterpret_borrow<pyb::class_<Megakernel, std::shared_ptr<Megakernel>>>(m.attr("Megakernel"));
  megakernel.def(
      "dispatch_batch",
      [](const Megakernel& k, pyb::handle control, pyb::handle records, const BatchShape& shape, pyb::object out) {
        const auto batch = records_arg(records, shape, "records");
        const auto count = batch.view.count;
        AlignedInput c(control, "control");
        if (out.is_none()) out = pyb::cast(PyBatchOutput{});
        if (!pyb::isinstance<PyBatchOutput>(out)) throw pyb::type_error("argument 'out' must be a BatchOutput or None");
        auto& target = out.cast<PyBatchOutput&>();
        if (target.exports > 0 && (count > target.out.size() || c.bytes().size() > target.out.control().size()))
          throw pyb::buffer_error(
              "argument 'out' has live NumPy views and this batch may move its memory; "
              "drop the views or pass a fresh BatchOutput");
        if (target.busy) throw pyb::value_error("argument 'out' is in use by another dispatch_batch");
        Result<DispatchStats> stats = fail(ErrorKind::Backend, "not run", "");
        {
          struct Busy {
            bool& flag;
            ~Busy() { flag = false; }
          } busy{target.busy = true};
          pyb::gil_scoped_release release;
          stats = k.dispatch_batch(c.bytes(), batch.view, target.out);
        }
        unwrap(std::move(stats));
        return out;
      },
      pyb::arg("control"), pyb::arg("records"), pyb::arg("shape"), pyb::arg("out") = pyb::none(),
      "Run every record of a compact batch once. `records`: C-contiguous numpy.uint32 of shape (n, shape.stride), "
      "read in place (no copy). Returns `out` (reused: no allocation when n does not grow) or a new BatchOutput.");
  megakernel.def(
      "batch_records",
      [](pyb::object self, const BatchShape& shape, std::uint32_t count) {
        auto& k = self.cast<Megakernel&>();
        auto owned = std::make_unique<PyRecords>(PyRecords{unwrap(BatchBuilder::make(k, shape, count))});
        Word* words = owned->builder.append(count);
        const auto stride = static_cast<pyb::ssize_t>(shape.stride());
        auto* raw = owned.release();
        pyb::capsule free(raw, [](void* p) { delete static_cast<PyRecords*>(p); });
        return pyb::array(pyb::dtype::of<std::uint32_t>(), {static_cast<pyb::ssize_t>(count), stride},
                          {stride * 4, pyb::ssize_t{4}}, words, free);
      },
      pyb::arg("shape"), pyb::arg("count"),
      "An uninitialised (count, shape.stride) numpy.uint32 record array in the backend's host memory "
      "(page-locked on CUDA, so dispatch_batch copies it by DMA); fill every word.");
}

}  // namespace mk::py
