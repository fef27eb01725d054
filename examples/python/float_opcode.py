#!/usr/bin/env python3
"""A custom float opcode built with the typed IR: item i computes y = sqrt(a*a + b*b)
(a, b, y as f32 bit patterns in its words), stores y into observable word i and
returns round(y) as a u32. Sent as a compact batch; checked against NumPy.

    /usr/bin/python3 examples/python/float_opcode.py [--backend auto|cpu|cuda] [--items 4096]
"""
import argparse

import numpy as np

import megakernel as mk
from megakernel import ir

HYPOT = 0x2001  # custom opcode ids start above the built-ins


def hypot_opcode():
    # Words are u32: an f32 comes in with f32_from_bits and goes out with bits_from_f32.
    # Every f32 step rounds to nearest even (docs/ir.md §1.4: no contraction into an fma),
    # so NumPy's float32 arithmetic gives the same bits on both backends.
    a = ir.f32_from_bits(ir.arg(1))
    b = ir.f32_from_bits(ir.arg(2))
    return ir.opcode(HYPOT, "hypot", [
        ir.let("a", a, type="f32"),
        ir.let("b", b, type="f32"),
        ir.let("y", ir.sqrt(ir.var("a") * ir.var("a") + ir.var("b") * ir.var("b"))),
        ir.store(ir.arg(0), ir.bits_from_f32(ir.var("y"))),
        ir.result(ir.u32_from_f32(ir.round_(ir.var("y")))),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--items", type=int, default=4096)
    args = parser.parse_args(argv)

    kernel = mk.Megakernel.bootstrap(backend=args.backend, opcodes=[hypot_opcode()])
    n = args.items
    rng = np.random.default_rng(1)
    a = rng.uniform(-100, 100, n).astype(np.float32)
    b = rng.uniform(-100, 100, n).astype(np.float32)

    # One record per item: {observable index, a bits, b bits}; the opcode is the batch's.
    shape = mk.BatchShape.uniform(HYPOT, 0, 3)
    records = np.empty((n, 3), dtype=np.uint32)
    records[:, 0] = np.arange(n)
    records[:, 1] = a.view(np.uint32)
    records[:, 2] = b.view(np.uint32)
    out = kernel.dispatch_batch(mk.encode_control(False, 1, n), records, shape)

    y = out.observables.view(np.float32)
    expected = np.sqrt(a * a + b * b)  # float32 throughout, each step rounded: the IR's semantics
    exact = np.array_equal(y.view(np.uint32), expected.view(np.uint32))
    rounded = np.array_equal(out.results, np.rint(expected).astype(np.uint32))
    print(f"{kernel.backend_name}: {n} items, {out.fault_count} faults, bit-exact vs NumPy: {exact}, "
          f"results = round(y): {rounded}, y[0] = {y[0]:.6f}")
    return 0 if exact and rounded and out.fault_count == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
