"""Custom-opcode IR builder: Python expressions that produce the JSON form of docs/ir.md.

    from megakernel import ir
    add3 = ir.opcode(0x1000, "add3", [ir.let("x", ir.arg(0) + ir.arg(1)), ir.store(ir.arg(2), ir.var("x")),
                                       ir.result(ir.var("x"))])
    Megakernel.bootstrap(backend="cpu", opcodes=[add3])
"""

from __future__ import annotations

from typing import Any, Iterable, Union

__all__ = ["Expr", "c", "arg", "tenant", "slot", "var", "lnot", "select", "load", "atomic_add", "cas",
           "let", "set_", "store", "if_", "for_", "printf", "result", "fault", "requeue", "opcode"]


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
    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("an IR expression has no truth value; use ir.select or 0/1 arithmetic")


ExprLike = Union[Expr, int]


def _e(value: ExprLike) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise TypeError(f"an IR operand must be an Expr or an int in [0, 2**32), got {value!r}")
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


def let(name: str, value: ExprLike) -> dict: return {"let": name, "value": _e(value).json}
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
