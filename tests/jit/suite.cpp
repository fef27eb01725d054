// The JIT GPU test suite's handlers.
#include "suite.h"

namespace mk::jit_test {

std::vector<OpcodeHandler> suite_handlers() {
  using namespace mk::ir;
  std::vector<OpcodeHandler> h;
  h.push_back(
      {ARITH, "arith",
       body({let("a", arg(0)), let("b", arg(1)), let("c", arg(2)), let("d", arg(3)), let("s", var("a") + var("b")),
             let("m", var("a") * var("b")), let("sub", var("a") - var("b")), let("q", var("a") / (var("c") | 1)),
             let("r", var("a") % (var("b") | 1)), let("sh", (var("a") << var("c")) ^ (var("b") >> var("c"))),
             let("cmp", (var("a") < var("b")) | ((var("a") <= var("b")) << 1) | ((var("a") > var("b")) << 2) |
                            ((var("a") >= var("b")) << 3) | ((var("a") == var("b")) << 4) |
                            ((var("a") != var("b")) << 5)),
             let("sel", select(var("a") & 1, var("s"), var("m"))), store(var("d"), var("s") ^ var("m")),
             store(var("d") + 1, var("sub") + var("q")), store(var("d") + 2, var("r") | var("sh")),
             store(var("d") + 3, var("cmp") + !var("a") * 64 + var("sel") + (var("b") & var("c"))),
             result(var("s") * 31 + (var("m") ^ var("sub")))})});
  h.push_back({LOOPS, "loops",
               body({let("acc", arg(0)),
                     for_("i", 0, 100,
                          {set("acc", var("acc") * 33 + load(arg(1) + (var("i") & 7))),
                           if_(var("i") & 1, {store(arg(2) + (var("i") & 3), var("acc"))})}),
                     for_("j", 0, 3,
                          {for_("k", 0xFFFFFFFBu, 0xFFFFFFFFu, {set("acc", var("acc") ^ (var("j") * 5 + var("k")))})}),
                     result(var("acc"))})});
  h.push_back(
      {DIVIDE, "divide", body({store(arg(0), 1), if_(arg(3), {result(arg(1) % arg(2))}), result(arg(1) / arg(2))})});
  h.push_back({BOUNDS, "bounds",
               body({store(arg(0), 7), if_(arg(2) == 0, {let("v", load(arg(1))), store(arg(0) + 1, var("v"))}),
                     if_(arg(2) == 1, {let("x", atomic_add(arg(1), 1)), store(arg(0) + 1, var("x"))}),
                     if_(arg(2) == 2, {let("y", cas(arg(1), 0, 1)), store(arg(0) + 1, var("y"))}),
                     if_(arg(2) == 3, {store(arg(1), 5)}), result(arg(2) + 10)})});
  h.push_back({BUDGET, "budget", body({for_("i", 0, 40000, {store(arg(0), var("i"))}), result(1)})});
  h.push_back(
      {BUDGET_EDGE, "budget_edge", body({for_("i", 0, 32767, {store(arg(0), var("i"))}), store(arg(0) + 1, 99)})});
  h.push_back({BUDGET_OVER, "budget_over",
               body({for_("i", 0, 32767, {store(arg(0), var("i"))}), store(arg(0) + 1, 99), store(arg(0) + 2, 98)})});
  h.push_back({USER, "user",
               body({if_(arg(0) == 1, {fault(abi::FAULT_USER_FAULT)}), if_(arg(0) == 2, {fault(abi::FAULT_BAD_ARGS)}),
                     store(arg(1), 5), if_(arg(0) == 3, {fault(abi::FAULT_DIVIDE_BY_ZERO)}), result(arg(0))})});
  h.push_back({PRINTS, "prints",
               body({ir::printf(11, {arg(0), tenant(), slot()}),
                     for_("i", 0, 4, {ir::printf(12, {var("i"), arg(0), arg(1), arg(2), arg(3)})}), ir::printf(20),
                     result(tenant() * 1000 + slot())})});
  h.push_back({REQUEUES, "requeues",
               body({let("n", atomic_add(arg(0), 1)), if_(var("n") < arg(1), {requeue()}), result(var("n") + 100)})});
  h.push_back({COUNTER, "counter", body({let("old", atomic_add(arg(0), arg(1))), result(0)})});
  h.push_back({CAS_OWN, "cas_own",
               body({let("p", cas(arg(0), arg(1), arg(2))), store(arg(0) + 1, var("p")), result(var("p"))})});
  h.push_back({SHORT_CIRCUIT, "short_circuit", body({result(select(arg(0), load(arg(1)), load(arg(2))))})});
  h.push_back({IDENT, "ident", body({store(arg(0), (tenant() << 16) | slot()), result(load(arg(0)))})});
  h.push_back({PACKABLE, "packable", body({result(arg(0) + arg(1) * 2 + arg(2))})});
  h.push_back({PACKABLE_REQUEUE, "packable_requeue", body({requeue()})});
  return h;
}

}  // namespace mk::jit_test
