# The Python IR builder's typed operations emit docs/ir.md's JSON, and the CPU backend runs what they build.
import math
import struct

import numpy as np
import pytest

import megakernel as mk
from megakernel import ir


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def test_typed_constants():
    assert ir.c_i32(-5).json == {"i32": -5}
    assert ir.c_f32(1.5).json == {"f32": 1.5}
    assert ir.c_f32(math.inf).json == {"f32_bits": 0x7F800000}
    assert ir.c_f32(math.nan).json == {"f32_bits": 0x7FC00000}
    assert ir.c_f32_bits(0x7FC00001).json == {"f32_bits": 0x7FC00001}
    assert ir.c_u64(1 << 40).json == {"u64": 1 << 40}
    with pytest.raises(TypeError):
        ir.c_i32(2**31)
    with pytest.raises(TypeError):
        ir.c_u64(-1)


def test_named_operations_and_typed_let():
    a = ir.f32_from_bits(ir.arg(0))
    assert a.json == {"f32_from_bits": {"arg": 0}}
    assert ir.fma(a, a, 0.5).json == {"fma": [a.json, a.json, {"f32": 0.5}]}
    assert (a / 2.0).json == {"op": "/", "a": a.json, "b": {"f32": 2.0}}
    assert (-a).json == {"neg": a.json}
    assert ir.min_(a, a).json == {"min": [a.json, a.json]}
    assert ir.let("x", a, type="f32") == {"let": "x", "type": "f32", "value": a.json}
    assert ir.store64(2, ir.c_u64(7)) == {"store64": 2, "value": {"u64": 7}}
    with pytest.raises(ValueError, match="let type"):
        ir.let("x", a, type="f64")


def run_one(opcode, words, observables=8):
    kernel = mk.Megakernel.bootstrap(backend="cpu", cpu_threads=1, opcodes=[opcode])
    records = np.array([words], dtype=np.uint32)
    out = kernel.dispatch_batch(mk.encode_control(False, 1, observables), records,
                                mk.BatchShape.uniform(opcode["opcode"], 0, len(words)))
    return out


def test_f32_opcode_runs_on_the_cpu():
    x = ir.var("x")
    op = ir.opcode(0x3001, "scale", [
        ir.let("x", ir.f32_from_bits(ir.arg(0)), type="f32"),
        ir.store(0, ir.bits_from_f32(ir.fma(x, 3.0, 0.25))),
        ir.store(1, ir.bits_from_f32(ir.sqrt(x))),
        ir.result(ir.u32_from_f32(ir.floor(x * 10.0))),
    ])
    out = run_one(op, [f32_bits(2.0)])
    assert out.fault_count == 0
    assert out.observables[:2].view(np.float32).tolist() == [6.25, np.float32(np.sqrt(np.float32(2.0)))]
    assert out.results[0] == 20


def test_u64_and_i32_opcode_runs_on_the_cpu():
    op = ir.opcode(0x3002, "wide", [
        ir.let("n", ir.atomic_add64(2, ir.mul_wide(ir.arg(0), ir.arg(0)))),
        ir.store(0, ir.u32_from_i32(ir.abs_(ir.c_i32(-9)))),
        ir.result(ir.u64_hi(ir.load64(2))),
    ])
    out = run_one(op, [0x10000])  # 2**16 squared = 2**32: high word 1
    assert out.fault_count == 0
    assert out.results[0] == 1
    assert list(out.observables[:4]) == [9, 0, 0, 1]


def test_type_errors_come_back_from_bootstrap():
    op = ir.opcode(0x3003, "bad", [ir.result(ir.f32_from_bits(ir.arg(0)))])  # RESULT must be u32
    with pytest.raises(mk.Error) as info:
        mk.Megakernel.bootstrap(backend="cpu", cpu_threads=1, opcodes=[op])
    assert "u32" in str(info.value)
