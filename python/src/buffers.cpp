// Buffer arguments in, zero-copy NumPy views out: the checks every binding shares.
#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <cstring>

#include "bind.h"

namespace mk::py {

namespace {
std::string type_name(pyb::handle object) { return Py_TYPE(object.ptr())->tp_name; }
}  // namespace

BufferArg::BufferArg(pyb::handle object, const char* name, bool writable) {
  if (!PyObject_CheckBuffer(object.ptr()))
    throw pyb::type_error(std::string("argument '") + name +
                          "' must be a buffer (bytes, bytearray or a NumPy array), got " + type_name(object));
  if (PyObject_GetBuffer(object.ptr(), &m_view, PyBUF_RECORDS_RO) != 0) throw pyb::error_already_set();
  if (!PyBuffer_IsContiguous(&m_view, 'C')) {
    PyBuffer_Release(&m_view);
    throw pyb::value_error(std::string("argument '") + name +
                           "' must be C-contiguous; pass numpy.ascontiguousarray(...) of it");
  }
  if (writable && m_view.readonly) {
    PyBuffer_Release(&m_view);
    throw pyb::type_error(std::string("argument '") + name + "' is read-only (" + type_name(object) +
                          "); pass a bytearray or a writable NumPy array");
  }
}

BufferArg::~BufferArg() { PyBuffer_Release(&m_view); }

AlignedInput::AlignedInput(pyb::handle object, const char* name) : m_arg(object, name, false) {
  m_bytes = m_arg.bytes();
  if (reinterpret_cast<std::uintptr_t>(m_bytes.data()) % alignof(std::uint32_t) != 0 && m_bytes.size() % 4 == 0) {
    m_copy.resize(m_bytes.size() / 4);
    std::memcpy(m_copy.data(), m_bytes.data(), m_bytes.size());
    m_bytes = ConstByteSpan(reinterpret_cast<const std::byte*>(m_copy.data()), m_bytes.size());
  }
}

pyb::array_t<std::uint32_t> require_u32_matrix(pyb::handle object, const char* name, pyb::ssize_t columns_min,
                                               pyb::ssize_t columns_max) {
  const std::string arg = std::string("argument '") + name + "'";
  if (!pyb::isinstance<pyb::array>(object))
    throw pyb::type_error(arg + " must be a 2-D numpy.uint32 array, got " + type_name(object));
  auto array = pyb::reinterpret_borrow<pyb::array>(object);
  if (!array.dtype().is(pyb::dtype::of<std::uint32_t>()) &&
      !(array.dtype().kind() == 'u' && array.dtype().itemsize() == 4 && array.dtype().attr("isnative").cast<bool>()))
    throw pyb::type_error(arg + " must have dtype uint32, got " + pyb::str(array.dtype()).cast<std::string>() +
                          "; pass array.astype(numpy.uint32)");
  if (array.ndim() != 2)
    throw pyb::value_error(arg + " must be 2-D (items x words), got " + std::to_string(array.ndim()) + "-D");
  const auto columns = array.shape(1);
  if (columns < columns_min || columns > columns_max)
    throw pyb::value_error(arg + " must have " + std::to_string(columns_min) + ".." + std::to_string(columns_max) +
                           " columns, got " + std::to_string(columns));
  if (!(array.flags() & pyb::array::c_style))
    throw pyb::value_error(arg + " must be C-contiguous; pass numpy.ascontiguousarray(...) of it");
  return pyb::reinterpret_borrow<pyb::array_t<std::uint32_t>>(object);
}

pyb::dtype work_item_dtype() {
  static_assert(std::is_standard_layout_v<WorkItem> && sizeof(WorkItem) == (3 + abi::MAX_ARGS) * 4,
                "WORK_ITEM_DTYPE mirrors WorkItem's layout");
  // Leaked on purpose: a static pyb::object would be released after the interpreter finalised.
  static PyObject* const dtype =
      pyb::module_::import("numpy")
          .attr("dtype")(pyb::dict(
              pyb::arg("names") = pyb::make_tuple("opcode", "tenant", "args", "arg_count"),
              pyb::arg("formats") = pyb::make_tuple("<u4", "<u4", pyb::make_tuple("<u4", abi::MAX_ARGS), "<u4"),
              pyb::arg("offsets") = pyb::make_tuple(offsetof(WorkItem, opcode), offsetof(WorkItem, tenant),
                                                    offsetof(WorkItem, args), offsetof(WorkItem, arg_count)),
              pyb::arg("itemsize") = sizeof(WorkItem)))
          .release()
          .ptr();
  return pyb::reinterpret_borrow<pyb::dtype>(dtype);
}

std::span<const WorkItem> work_items_from(pyb::handle object, const char* name, std::vector<WorkItem>& out) {
  if (pyb::isinstance<pyb::array>(object) && pyb::reinterpret_borrow<pyb::array>(object).dtype().kind() == 'V') {
    auto array = pyb::reinterpret_borrow<pyb::array>(object);
    const std::string arg = std::string("argument '") + name + "'";
    if (!array.dtype().equal(work_item_dtype()))
      throw pyb::type_error(arg + " has a structured dtype other than megakernel.WORK_ITEM_DTYPE: " +
                            pyb::str(array.dtype()).cast<std::string>());
    if (array.ndim() != 1) throw pyb::value_error(arg + " must be 1-D (one WORK_ITEM_DTYPE record per item)");
    if (!(array.flags() & pyb::array::c_style) || !(array.flags() & pyb::detail::npy_api::NPY_ARRAY_ALIGNED_))
      throw pyb::value_error(arg + " must be C-contiguous and aligned; pass numpy.ascontiguousarray(...) of it");
    return {static_cast<const WorkItem*>(array.data()), static_cast<std::size_t>(array.shape(0))};
  }
  if (pyb::isinstance<pyb::array>(object)) {
    auto rows = require_u32_matrix(object, name, 2, 2 + abi::MAX_ARGS);
    const auto n = static_cast<std::size_t>(rows.shape(0));
    const auto columns = static_cast<std::size_t>(rows.shape(1));
    const std::uint32_t* words = rows.data();
    // One pass over reused storage (every word written): this copy is the whole Python
    // overhead of a NumPy submit, so it must not zero-fill first.
    if (out.size() != n) out.resize(n);
    for (std::size_t i = 0; i < n; ++i, words += columns) {
      WorkItem& item = out[i];
      item.opcode = words[0];
      item.tenant = words[1];
      item.arg_count = static_cast<std::uint32_t>(columns - 2);
      std::copy_n(words + 2, columns - 2, item.args.begin());
      std::fill(item.args.begin() + (columns - 2), item.args.end(), 0u);
    }
    return out;
  }
  out.clear();
  if (!pyb::isinstance<pyb::sequence>(object) || pyb::isinstance<pyb::str>(object))
    throw pyb::type_error(std::string("argument '") + name +
                          "' must be a WORK_ITEM_DTYPE array, a 2-D numpy.uint32 array of {opcode, tenant, args...} "
                          "rows or a list of WorkItem, got " +
                          type_name(object));
  auto items = pyb::reinterpret_borrow<pyb::sequence>(object);
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    pyb::object entry = items[i];
    if (!pyb::isinstance<WorkItem>(entry))
      throw pyb::type_error(std::string("argument '") + name + "[" + std::to_string(i) + "]' must be a WorkItem, got " +
                            type_name(entry));
    out.push_back(entry.cast<const WorkItem&>());
  }
  return out;
}

namespace {
pyb::array mark_read_only(pyb::array array, bool writable) {
  if (!writable) pyb::detail::array_proxy(array.ptr())->flags &= ~pyb::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return array;
}
}  // namespace

pyb::array u32_view(const void* data, std::size_t count, pyb::ssize_t stride, pyb::handle owner, bool writable) {
  static const std::uint32_t empty = 0;
  pyb::array view(pyb::dtype::of<std::uint32_t>(), {static_cast<pyb::ssize_t>(count)}, {stride},
                  data != nullptr ? data : &empty, owner);
  return mark_read_only(std::move(view), writable);
}

pyb::array u8_view(const void* data, std::size_t size, pyb::handle owner, bool writable) {
  static const std::uint8_t empty = 0;
  pyb::array view(pyb::dtype::of<std::uint8_t>(), {static_cast<pyb::ssize_t>(size)}, {pyb::ssize_t{1}},
                  data != nullptr ? data : &empty, owner);
  return mark_read_only(std::move(view), writable);
}

pyb::array u32_array(std::vector<std::uint32_t>&& words) {
  auto* owned = new std::vector<std::uint32_t>(std::move(words));
  pyb::capsule free(owned, [](void* p) { delete static_cast<std::vector<std::uint32_t>*>(p); });
  return pyb::array(pyb::dtype::of<std::uint32_t>(), {static_cast<pyb::ssize_t>(owned->size())},
                    {pyb::ssize_t{sizeof(std::uint32_t)}}, owned->data(), free);
}

std::string json_text(pyb::handle value) {
  if (pyb::isinstance<pyb::str>(value)) return value.cast<std::string>();
  return pyb::module_::import("json").attr("dumps")(value).cast<std::string>();
}

std::chrono::nanoseconds seconds_arg(pyb::handle timeout) {
  if (timeout.is_none()) return std::chrono::hours(24 * 365);
  const double seconds = timeout.cast<double>();
  if (!(seconds >= 0)) throw pyb::value_error("argument 'timeout' must be >= 0 seconds or None");
  if (seconds > 3.0e7) return std::chrono::hours(24 * 365);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
}

}  // namespace mk::py
