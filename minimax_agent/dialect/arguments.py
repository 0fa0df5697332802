"""Type raw XML parameter values from the tool's JSON schema.

M2.x writes every parameter value as raw text; the schema says what it means. The order follows
the format's rules: null, then integer, number, boolean, object/array as JSON, otherwise string.
A value that does not convert stays a string so that argument validation can explain the problem,
except invalid JSON for an object/array-only parameter, which is reported here with the cause.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

_INT = re.compile(r"[-+]?\d+")
_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


class ArgumentError(ValueError):
    """A parameter value that cannot mean what its schema requires."""


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


def convert_value(value: str, types: set[str]) -> Any:
    if not types or types == {"string"}:
        return value
    text = value.strip()
    if "null" in types and text.lower() in ("null", "none"):
        return None
    if "integer" in types and _INT.fullmatch(text):
        return int(text)
    if "number" in types:
        try:
            return float(text)
        except ValueError:
            pass
    if "boolean" in types and text.lower() in ("true", "false"):
        return text.lower() == "true"
    wanted = types & {"object", "array"}
    if wanted:
        parsed, problem = _parse_structured(text)
        if isinstance(parsed, dict) and "object" in wanted:
            return parsed
        if isinstance(parsed, list) and "array" in wanted:
            return parsed
        if "string" not in types:
            kind = " or ".join(sorted(wanted))
            raise ArgumentError(f"expected a JSON {kind}, got {problem or _describe(parsed)}")
    return value


def _parse_structured(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        problem = f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    try:  # models sometimes write Python literals (single quotes, True/None)
        return ast.literal_eval(text), None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None, problem


def _describe(value: Any) -> str:
    return f"a JSON {_JSON_TYPES.get(type(value), 'value')}"


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
