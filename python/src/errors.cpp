// mk::ErrorKind as Python exceptions: megakernel.Error (.kind, .message, .fix) and one subclass per kind.
#include <array>

#include "bind.h"

namespace mk::py {

namespace {
constexpr std::array<ErrorKind, 6> KINDS = {ErrorKind::QueueFull, ErrorKind::Malformed,  ErrorKind::Unsupported,
                                            ErrorKind::Backend,   ErrorKind::DeviceLost, ErrorKind::InvalidArgument};
// Python names; ErrorKind::Backend is BackendError so it does not read as a backend object.
constexpr std::array<const char*, 6> NAMES = {"QueueFull",    "Malformed",  "Unsupported",
                                              "BackendError", "DeviceLost", "InvalidArgument"};
// Owned by the module for the interpreter's life (never released: classes outlive calls).
PyObject* g_base = nullptr;
std::array<PyObject*, 6> g_classes{};

PyObject* class_of(ErrorKind kind) {
  for (std::size_t i = 0; i < KINDS.size(); ++i)
    if (KINDS[i] == kind) return g_classes[i];
  return g_base;
}
}  // namespace

void throw_error(const Error& error) {
  PyObject* cls = class_of(error.kind());
  pyb::object instance = pyb::reinterpret_borrow<pyb::object>(cls)(std::string(error.what()));
  instance.attr("kind") = std::string(to_string(error.kind()));
  instance.attr("message") = error.message();
  instance.attr("fix") = error.fix();
  PyErr_SetObject(cls, instance.ptr());
  throw pyb::error_already_set();
}

void bind_errors(pyb::module_& m) {
  g_base = PyErr_NewExceptionWithDoc("megakernel.Error",
                                     "A megakernel call failed: .kind names mk::ErrorKind, .message what went wrong "
                                     "(buffer, word index), .fix how to fix it.",
                                     PyExc_RuntimeError, nullptr);
  if (g_base == nullptr) throw pyb::error_already_set();
  m.add_object("Error", pyb::handle(g_base));
  for (std::size_t i = 0; i < KINDS.size(); ++i) {
    // InvalidArgument is also a ValueError: what Python code already catches for bad values.
    pyb::tuple bases = KINDS[i] == ErrorKind::InvalidArgument
                           ? pyb::make_tuple(pyb::handle(g_base), pyb::handle(PyExc_ValueError))
                           : pyb::make_tuple(pyb::handle(g_base));
    const std::string qualified = std::string("megakernel.") + NAMES[i];
    g_classes[i] = PyErr_NewException(qualified.c_str(), bases.ptr(), nullptr);
    if (g_classes[i] == nullptr) throw pyb::error_already_set();
    m.add_object(NAMES[i], pyb::handle(g_classes[i]));
  }
  pyb::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& error) {
      try {
        throw_error(error);
      } catch (pyb::error_already_set& set) {
        set.restore();
      }
    }
  });
}

}  // namespace mk::py
