"""Custom-opcode IR builder: Python expressions that produce the JSON form of docs/ir.md.

    from megakernel import ir
    add3 = ir.opcode(0x1000, "add3", [ir.let("x", ir.arg(0) + ir.arg(1)), ir.store(ir.arg(2), ir.var("x")),
                                       ir.result(ir.var("x"))])
    Megakernel.bootstrap(backend="cpu", opcodes=[add3])

Typed values (i32, f32, u64) mirror include/mk/ir.h: constants c_i32 / c_f32 / c_f32_bits /
c_u64, the named operations (sqrt, fma, f32_from_bits, bits_from_f32, ...), and
let(name, value, type="f32"). Nothing converts implicitly (docs/ir.md §1): words are u32,
so an f32 comes in through f32_from_bits(arg(i)) and goes out through bits_from_f32. A
Python int operand is a u32 constant, a Python float an f32 constant.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Union
import math
import struct

__all__ = ["Expr", "c", "arg", "tenant", "slot", "var", "lnot", "select", "load", "atomic_add", "cas",
           "let", "set_", "store", "if_", "for_", "printf", "result", "fault", "requeue", "opcode",
           "c_i32", "c_f32", "c_f32_bits", "c_u64", "load64", "atomic_add64", "store64",
           "neg", "abs_", "min_", "max_", "mul_hi", "mul_wide", "sqrt", "floor", "ceil", "round_", "fma",
           "f32_from_u32", "f32_from_i32", "u32_from_f32", "i32_from_f32", "f32_from_bits", "bits_from_f32",
           "i32_from_u32", "u32_from_i32", "u64_from_u32", "u64_from_i32", "u64_lo", "u64_hi", "u64_from_words",
           "TYPES"]

TYPES = ("u32", "i32", "f32", "u64")


class Expr:
    """An IR expression; operators build nodes (comparisons yield 0/1 values, not bools)."""

    __slots__ = ("json",)

    def __init__(self, json: Any) -> None:
        self.json = json

    def _bin(self, op: str, other: ExprLike, swap: bool = False) -> Expr:
        a, b = (_e(other), self) if swap else (self, _e(other))
        return Expr({"op": op, "a": a.json, "b": b.json})

    def __add__(self, o: ExprLike) -> Expr: return self._bin("+", o)
    def __radd__(self, o: ExprLike) -> Expr: return self._bin("+", o, True)
    def __sub__(self, o: ExprLike) -> Expr: return self._bin("-", o)
    def __rsub__(self, o: ExprLike) -> Expr: return self._bin("-", o, True)
    def __mul__(self, o: ExprLike) -> Expr: return self._bin("*", o)
    def __rmul__(self, o: ExprLike) -> Expr: return self._bin("*", o, True)
    def __truediv__(self, o: ExprLike) -> Expr: return self._bin("/", o)
    def __rtruediv__(self, o: ExprLike) -> Expr: return self._bin("/", o, True)
    def __floordiv__(self, o: ExprLike) -> Expr: return self._bin("/", o)
    def __mod__(self, o: ExprLike) -> Expr: return self._bin("%", o)
    def __and__(self, o: ExprLike) -> Expr: return self._bin("&", o)
    def __or__(self, o: ExprLike) -> Expr: return self._bin("|", o)
    def __xor__(self, o: ExprLike) -> Expr: return self._bin("^", o)
    def __lshift__(self, o: ExprLike) -> Expr: return self._bin("<<", o)
    def __rshift__(self, o: ExprLike) -> Expr: return self._bin(">>", o)
    def __eq__(self, o: ExprLike) -> Expr: return self._bin("==", o)  # type: ignore[override]
    def __ne__(self, o: ExprLike) -> Expr: return self._bin("!=", o)  # type: ignore[override]
    def __lt__(self, o: ExprLike) -> Expr: return self._bin("<", o)
    def __le__(self, o: ExprLike) -> Expr: return self._bin("<=", o)
    def __gt__(self, o: ExprLike) -> Expr: return self._bin(">", o)
    def __ge__(self, o: ExprLike) -> Expr: return self._bin(">=", o)
    def __neg__(self) -> Expr: return neg(self)
    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("an IR expression has no truth value; use ir.select or 0/1 arithmetic")


ExprLike = Union[Expr, int, float]


def _e(value: ExprLike) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, float):
        return c_f32(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise TypeError(f"an IR operand must be an Expr, an int in [0, 2**32) or a float, got {value!r}")
    return Expr(value)


def _body(statements: Iterable[dict]) -> list:
    return list(statements)


def c(value: int) -> Expr: return _e(value)
def arg(index: int) -> Expr: return Expr({"arg": index})
def tenant() -> Expr: return Expr("tenant")
def slot() -> Expr: return Expr("slot")
def var(name: str) -> Expr: return Expr({"var": name})
def lnot(a: ExprLike) -> Expr: return Expr({"not": _e(a).json})
def select(cond: ExprLike, a: ExprLike, b: ExprLike) -> Expr: return Expr({"select": [_e(cond).json, _e(a).json, _e(b).json]})
def load(addr: ExprLike) -> Expr: return Expr({"load": _e(addr).json})
def atomic_add(addr: ExprLike, delta: ExprLike) -> Expr: return Expr({"atomic_add": [_e(addr).json, _e(delta).json]})
def cas(addr: ExprLike, expected: ExprLike, desired: ExprLike) -> Expr:
    return Expr({"cas": [_e(addr).json, _e(expected).json, _e(desired).json]})


def c_i32(value: int) -> Expr:
    if isinstance(value, bool) or not isinstance(value, int) or not -2**31 <= value < 2**31:
        raise TypeError(f"c_i32 takes an int in [-2**31, 2**31), got {value!r}")
    return Expr({"i32": value})


def c_f32(value: float) -> Expr:
    """The f32 nearest `value` (ties to even); NaNs and infinities are spelled by their bits."""
    bits = struct.unpack("<I", struct.pack("<f", value))[0]  # OverflowError past the f32 range
    if math.isnan(value) or math.isinf(value):
        return Expr({"f32_bits": bits})
    return Expr({"f32": float(value)})


def c_f32_bits(bits: int) -> Expr:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 0 <= bits < 2**32:
        raise TypeError(f"c_f32_bits takes an int in [0, 2**32), got {bits!r}")
    return Expr({"f32_bits": bits})


def c_u64(value: int) -> Expr:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise TypeError(f"c_u64 takes an int in [0, 2**64), got {value!r}")
    return Expr({"u64": value})


def load64(addr: ExprLike) -> Expr: return Expr({"load64": _e(addr).json})
def atomic_add64(addr: ExprLike, delta: ExprLike) -> Expr:
    return Expr({"atomic_add64": [_e(addr).json, _e(delta).json]})


def _call(name: str, *operands: ExprLike) -> Expr:
    if len(operands) == 1:
        return Expr({name: _e(operands[0]).json})
    return Expr({name: [_e(o).json for o in operands]})


# Named operations (docs/ir.md §1.3). abs_, min_, max_ and round_ keep Python's builtins usable.
def neg(a: ExprLike) -> Expr: return _call("neg", a)
def abs_(a: ExprLike) -> Expr: return _call("abs", a)
def min_(a: ExprLike, b: ExprLike) -> Expr: return _call("min", a, b)
def max_(a: ExprLike, b: ExprLike) -> Expr: return _call("max", a, b)
def mul_hi(a: ExprLike, b: ExprLike) -> Expr: return _call("mul_hi", a, b)
def mul_wide(a: ExprLike, b: ExprLike) -> Expr: return _call("mul_wide", a, b)
def sqrt(a: ExprLike) -> Expr: return _call("sqrt", a)
def floor(a: ExprLike) -> Expr: return _call("floor", a)
def ceil(a: ExprLike) -> Expr: return _call("ceil", a)
def round_(a: ExprLike) -> Expr: return _call("round", a)
def fma(a: ExprLike, b: ExprLike, c_: ExprLike) -> Expr: return _call("fma", a, b, c_)
def f32_from_u32(a: ExprLike) -> Expr: return _call("f32_from_u32", a)
def f32_from_i32(a: ExprLike) -> Expr: return _call("f32_from_i32", a)
def u32_from_f32(a: ExprLike) -> Expr: return _call("u32_from_f32", a)
def i32_from_f32(a: ExprLike) -> Expr: return _call("i32_from_f32", a)
def f32_from_bits(a: ExprLike) -> Expr: return _call("f32_from_bits", a)
def bits_from_f32(a: ExprLike) -> Expr: return _call("bits_from_f32", a)
def i32_from_u32(a: ExprLike) -> Expr: return _call("i32_from_u32", a)
def u32_from_i32(a: ExprLike) -> Expr: return _call("u32_from_i32", a)
def u64_from_u32(a: ExprLike) -> Expr: return _call("u64_from_u32", a)
def u64_from_i32(a: ExprLike) -> Expr: return _call("u64_from_i32", a)
def u64_lo(a: ExprLike) -> Expr: return _call("u64_lo", a)
def u64_hi(a: ExprLike) -> Expr: return _call("u64_hi", a)
def u64_from_words(lo: ExprLike, hi: ExprLike) -> Expr: return _call("u64_from_words", lo, hi)


def let(name: str, value: ExprLike, type: Optional[str] = None) -> dict:
    """New variable `name` = value; `type` ("u32", "i32", "f32", "u64") declares what value must be."""
    if type is None:
        return {"let": name, "value": _e(value).json}
    if type not in TYPES:
        raise ValueError(f"let type must be one of {TYPES}, got {type!r}")
    return {"let": name, "type": type, "value": _e(value).json}


def store64(addr: ExprLike, value: ExprLike) -> dict: return {"store64": _e(addr).json, "value": _e(value).json}
def set_(name: str, value: ExprLike) -> dict: return {"set": name, "value": _e(value).json}
def store(addr: ExprLike, value: ExprLike) -> dict: return {"store": _e(addr).json, "value": _e(value).json}
def if_(cond: ExprLike, then: Iterable[dict], else_: Iterable[dict] = ()) -> dict:
    return {"if": _e(cond).json, "then": _body(then), "else": _body(else_)}
def for_(name: str, start: int, stop: int, body: Iterable[dict]) -> dict:
    return {"for": name, "from": start, "to": stop, "body": _body(body)}
def printf(fmt_id: int, *args: ExprLike) -> dict: return {"printf": fmt_id, "args": [_e(a).json for a in args]}
def result(value: ExprLike) -> dict: return {"result": _e(value).json}
def fault(code: int = 7) -> dict: return {"fault": code}
def requeue() -> dict: return {"requeue": True}


def opcode(opcode_id: int, name: str, body: Iterable[dict]) -> dict:
    """One custom opcode in the CLI's JSON form, for Megakernel.bootstrap(opcodes=[...])."""
    return {"opcode": opcode_id, "name": name, "body": _body(body)}
