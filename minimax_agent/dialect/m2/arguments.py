"""Type raw M2 XML parameter values from the tool's JSON schema.

M2.x writes a string parameter raw and everything else with `tojson`, so the schema says what a
value means:

- a string-only parameter (or one without a schema) keeps the text as it is;
- where a string is also allowed, the text converts only when it is exactly the `tojson` form
  of an allowed value (`null`, `7`, `true`, `{"a": 1}`): `None`, `007` and `True` stay strings,
  and the value re-renders byte for byte;
- where no string is allowed, the text must mean an allowed value: JSON, or the Python
  spellings models slip into (`True`, `None`, single-quoted lists); anything else, and anything
  that is not valid JSON once converted (NaN, infinity, an integer past Python's digit limit,
  nesting past MAX_DEPTH), is an error for the model, never a crash.
"""

from __future__ import annotations

import ast
import json
import math
import re
from typing import Any

from minimax_agent.dialect.json_args import (
    MAX_DEPTH,
    ArgumentError,
    bounded_int,
    finite_float,
    load_json,
    nesting_depth,
    short,
)

_INT = re.compile(r"[-+]?\d+")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def _resolve(prop: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return prop
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def schema_types(prop: dict[str, Any], root: dict[str, Any], depth: int = 0) -> set[str]:
    """Every JSON type a (sub)schema admits, looking through $ref, anyOf, oneOf, allOf, enum."""
    if depth > 16:
        return set()
    prop = _resolve(prop, root)
    found: set[str] = set()
    declared = prop.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(t for t in declared if isinstance(t, str))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in prop.get(key, []) or []:
            if isinstance(sub, dict):
                found |= schema_types(sub, root, depth + 1)
    values = list(prop.get("enum", []) or [])
    if "const" in prop:
        values.append(prop["const"])
    found.update(_JSON_TYPES.get(type(v), "string") for v in values)
    if "number" in found:
        found.add("integer")
    return found


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), "value")


def _allowed(value: Any, types: set[str]) -> bool:
    kind = _json_type(value)
    return kind in types or (kind == "integer" and "number" in types)


def _exact_form(value: str, types: set[str]) -> Any:
    """The value `value` is the exact `tojson` form of, or `value` itself."""
    try:
        parsed = load_json(value)
    except (ValueError, RecursionError):  # ArgumentError and JSONDecodeError are ValueErrors
        return value
    if not _allowed(parsed, types) or nesting_depth(parsed) > MAX_DEPTH:
        return value
    try:
        exact = json.dumps(parsed, ensure_ascii=False) == value
    except (ValueError, RecursionError):
        exact = False
    return parsed if exact else value


def convert_value(value: str, types: set[str]) -> Any:
    if not types or types == {"string"}:
        return value
    if "string" in types:
        return _exact_form(value, types)
    text = value.strip()  # nothing here is a string, so whitespace is layout
    if "null" in types and text.lower() in ("null", "none"):
        return None
    if "integer" in types and _INT.fullmatch(text):
        try:
            return bounded_int(text)
        except ValueError:
            if "number" not in types:
                raise
    if "number" in types and _NUMBER.fullmatch(text):
        return finite_float(text)
    if "boolean" in types and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if types & {"object", "array"}:
        return _structured(text, types)
    raise ArgumentError(f"expected {_kinds(types)}, got {short(text)}")


def _kinds(types: set[str]) -> str:
    names = {"integer": "an integer", "number": "a number", "boolean": "true or false"}
    names |= {"null": "null", "object": "a JSON object", "array": "a JSON array"}
    shown = sorted(types - {"integer"} if "number" in types else types)
    return " or ".join(names.get(t, t) for t in shown)


def _structured(text: str, types: set[str]) -> Any:
    parsed, problem = _parse_structured(text)
    if problem is None and nesting_depth(parsed) > MAX_DEPTH:
        parsed, problem = None, f"JSON nested more than {MAX_DEPTH} levels deep"
    if problem is None and _allowed(parsed, types):
        return parsed
    got = problem or "a JSON " + _json_type(parsed)
    raise ArgumentError(f"expected {_kinds(types)}, got {got}")


def _parse_structured(text: str) -> tuple[Any, str | None]:
    try:
        return load_json(text), None
    except ArgumentError as exc:
        return None, str(exc)
    except json.JSONDecodeError as exc:
        problem = f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:  # json's C scanner recurses once per bracket
        return None, f"JSON nested more than {MAX_DEPTH} levels deep"
    try:  # models sometimes write Python literals (single quotes, True/None)
        literal = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None, problem
    try:
        return _jsonable(literal, 0), None
    except ArgumentError as exc:
        return None, str(exc)


def _jsonable(value: Any, depth: int) -> Any:
    """A Python literal as the JSON value it spells, or ArgumentError (sets, bytes, complex,
    infinity and the like have no JSON form)."""
    if depth > MAX_DEPTH:
        raise ArgumentError(f"JSON nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        try:  # `0xfff…` spells an integer whose decimal form is past the digit limit
            str(value)
        except ValueError:
            raise ArgumentError("an integer past the digit limit has no JSON form") from None
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ArgumentError("a number that is not finite has no JSON form")
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item, depth + 1) for item in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _jsonable(v, depth + 1) for k, v in value.items()}
    raise ArgumentError(f"a Python {type(value).__name__} has no JSON form")


def type_arguments(
    raw: dict[str, str], schema: dict[str, Any] | None
) -> tuple[dict[str, Any], list[str]]:
    """Typed arguments and the problems found (missing required, unconvertible values)."""
    schema = schema or {}
    props: dict[str, Any] = schema.get("properties", {}) or {}
    typed: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in raw.items():
        prop = props.get(name)
        if not isinstance(prop, dict):  # not in the schema: leave it to validation, as text
            typed[name] = value
            continue
        try:
            typed[name] = convert_value(value, schema_types(prop, schema))
        except ArgumentError as exc:
            problems.append(f"parameter {name!r}: {exc}")
            typed[name] = value
    missing = [r for r in schema.get("required", []) or [] if r not in raw]
    if missing:
        problems.append("missing required parameter(s): " + ", ".join(missing))
    return typed, problems
