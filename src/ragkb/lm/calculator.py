"""The calculator tool: arithmetic the model writes as ``<calc>EXPR</calc>``, evaluated safely.

The expression is parsed with :mod:`ast` and only numbers, + - * / // % **, unary signs and
parentheses are evaluated; names, calls, attributes, subscripts and everything else are refused,
and so are powers and numbers that would take unbounded time or memory. ``eval`` is never used.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

from ragkb.errors import RagkbError

MAX_ABS = 1e15
"""Largest magnitude of any operand or result."""
MAX_EXPONENT = 64
MAX_CHARS = 200
_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_SYMBOLS = str.maketrans({"×": "*", "÷": "/", "－": "-", "＋": "+", "（": "(", "）": ")", "＊": "*", "／": "/", "^": "**"})


class CalculatorError(RagkbError):
    pass


def calculate(expression: str) -> float | int:
    """The value of an arithmetic expression; :class:`CalculatorError` for anything else."""
    text = expression.translate(_SYMBOLS).replace(",", "").strip()
    if not text or len(text) > MAX_CHARS:
        raise CalculatorError(f"not an arithmetic expression of 1-{MAX_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise CalculatorError(f"not arithmetic: {expression!r}") from None
    return _evaluate(tree.body)


def _evaluate(node: ast.AST) -> float | int:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):  # not bool, str, complex
        return _bounded(node.value)  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > MAX_EXPONENT or (left == 0 and right < 0)):
            raise CalculatorError(f"exponent {right} is out of range (at most {MAX_EXPONENT})")
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and right == 0:
            raise CalculatorError("division by zero")
        if isinstance(node.op, ast.Pow) and left < 0 and right != int(right):
            raise CalculatorError("a negative number to a fractional power is not real")
        try:
            return _bounded(_BINARY[type(node.op)](left, right))
        except OverflowError:
            raise CalculatorError(f"a number beyond ±{MAX_ABS:g}") from None
    raise CalculatorError(f"only numbers and + - * / // % ** are allowed, not {type(node).__name__}")


def _bounded(value: float | int) -> float | int:
    if abs(value) > MAX_ABS or value != value:
        raise CalculatorError(f"a number beyond ±{MAX_ABS:g}")
    return value


def format_number(value: float | int) -> str:
    """12.0 → "12", 0.1 + 0.2 → "0.3": how a person writes the result."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.2f}"
    return str(value)


def run_call(expression: str) -> str:
    """What replaces a ``<calc>`` call's result: the value, or ``?`` if it cannot be computed."""
    try:
        return format_number(calculate(expression))
    except CalculatorError:
        return "?"
