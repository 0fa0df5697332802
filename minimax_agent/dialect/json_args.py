"""Tool-call arguments as JSON, whatever format carried them.

Native `tool_calls` from an endpoint and a dialect's typed values both end as JSON that a tool
receives: these helpers refuse what Python's json accepts but JSON is not (NaN, infinity, an
integer past Python's digit limit) and what nests too deep to serialise, as `ArgumentError`,
so a model's mistake goes back to it as a tool error, never a crash.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

# Arguments nested deeper than this are refused: no tool's schema goes near it, and pydantic
# stops serialising at about 250 levels (json's scanner at about 1000, with a RecursionError).
MAX_DEPTH = 100


class ArgumentError(ValueError):
    """A parameter value that cannot mean what its schema requires."""


def nesting_depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:  # past the limit the answer is known: too deep
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth) for child in children)
    return deepest


def short(text: str) -> str:
    """`text` quoted and cut to 40 characters, for an error message."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _no_constant(name: str) -> Any:
    raise ArgumentError(f"{name} is not a JSON number")


def finite_float(text: str) -> float:
    """A JSON number's text as a float; ArgumentError where it overflows to infinity."""
    number = float(text)
    if not math.isfinite(number):
        raise ArgumentError(f"{short(text)} is too large for a JSON number")
    return number


def bounded_int(text: str) -> int:
    """An integer's text as an int; ArgumentError past Python's digit limit."""
    limit = sys.get_int_max_str_digits()
    if limit and len(text.lstrip("+-")) > limit:
        raise ArgumentError(f"an integer of {len(text)} digits is past the {limit}-digit limit")
    return int(text)


def load_json(text: str) -> Any:
    """`json.loads` refusing, as ArgumentError, what Python's json takes but JSON is not: NaN,
    Infinity, a number that overflows to infinity, an integer past the digit limit (a bare
    ValueError otherwise). JSONDecodeError and RecursionError pass through."""
    return json.loads(
        text, parse_constant=_no_constant, parse_float=finite_float, parse_int=bounded_int
    )
