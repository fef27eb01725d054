// Downstream use of the installed package: one STORE_U32 through the CPU backend, in process and isolated.
#include <cstdio>
#include <mk/mk.h>

int main() {
  auto mk = mk::value_or_throw(mk::Megakernel::bootstrap(mk::make_cpu_backend()));
  auto control = mk::encode_control(false, 1, 16);
  auto ring = mk::encode_empty_ring(mk.slot_count());
  mk::publish_slot(ring, 0,
                   mk::value_or_throw(mk::WorkItem::make(mk::abi::OP_STORE_U32, 0, std::vector<std::uint32_t>{3, 7})));
  auto out = mk::value_or_throw(mk.dispatch(std::move(control), std::move(ring)));
  std::printf("observable 3 = %u\n", mk::read_observable(out.control, 3));
  // The same through the installed worker process (MK_WORKER_PATH names it here; an
  // installed library also finds it under <prefix>/<libdir>/megakernel/).
  mk::BackendOptions isolated;
  isolated.isolation = mk::Isolation::Process;
  auto imk = mk::value_or_throw(mk::Megakernel::bootstrap(mk::value_or_throw(mk::make_backend("cpu", isolated))));
  auto ring2 = mk::encode_empty_ring(imk.slot_count());
  mk::publish_slot(ring2, 0,
                   mk::value_or_throw(mk::WorkItem::make(mk::abi::OP_STORE_U32, 0, std::vector<std::uint32_t>{3, 7})));
  auto iout = mk::value_or_throw(imk.dispatch(mk::encode_control(false, 1, 16), std::move(ring2)));
  std::printf("isolated observable 3 = %u\n", mk::read_observable(iout.control, 3));
  return 0;
}
