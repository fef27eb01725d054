// The megakernel._megakernel extension module: one bind_* call per concept.
#include "bind.h"

PYBIND11_MODULE(_megakernel, m) {
  m.doc() = "megakernel: a persistent GPU bytecode interpreter (C++ bindings; import megakernel instead).";
  mk::py::bind_errors(m);
  mk::py::bind_protocol(m);
  mk::py::bind_megakernel(m);
  mk::py::bind_batch(m);
  mk::py::bind_live(m);
  mk::py::bind_resident(m);
  mk::py::bind_job(m);
  mk::py::bind_bench(m);
  mk::py::bind_test_hooks(m);
}
