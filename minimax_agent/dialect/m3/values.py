"""Tool-call arguments of the M3 format: the element tree of an `<invoke>`, typed by the schema.

The template writes each argument as its own element and expands values recursively: an object
is one element per key, a list is one `<item>` element per entry, a string is written raw, a
number as Python prints it, a boolean as `true`/`false`, and a `None` is left out. So:

- a leaf (no child elements) whose schema allows a string is that string, byte for byte (as in
  llama.cpp's M3 parser: a string accepts anything, so a union with a string is a string);
- a leaf whose schema allows no string must mean an allowed value (number, boolean, null, or a
  JSON object or array written inline), through the same conversion as M2's values;
- child elements all named `item` make a list; other children make an object, and a key given
  more than once (repeated sibling tags) makes a list of its values;
- anything that cannot mean what the schema requires is an `ArgumentError` for the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minimax_agent.dialect.json_args import MAX_DEPTH, ArgumentError, short
from minimax_agent.dialect.m2.arguments import convert_value, schema_types
from minimax_agent.dialect.m3.tags import ITEM


@dataclass
class Node:
    """One element of an invoke as it was written: its text pieces, or its child elements."""

    name: str
    text: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def leaf_text(self) -> str:
        return "".join(self.text)


def _resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}
    return schema


def _branches(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    """`schema` and every alternative it nests (anyOf, oneOf, allOf), resolved."""
    schema = _resolve(schema, root)
    found = [schema]
    if depth < 16:
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key) or []:
                found += _branches(sub, root, depth + 1)
    return found


def _property(schema: dict[str, Any], root: dict[str, Any], key: str) -> dict[str, Any]:
    for branch in _branches(schema, root):
        props = branch.get("properties")
        if isinstance(props, dict) and key in props:
            return _resolve(props[key], root)
    return {}


def _items(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    for branch in _branches(schema, root):
        if isinstance(branch.get("items"), dict):
            return _resolve(branch["items"], root)
    return {}


def type_node(node: Node, schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Any:
    """The value of one element under `schema` ({} when none is known: text stays text)."""
    if depth > MAX_DEPTH:
        raise ArgumentError(f"elements nested more than {MAX_DEPTH} levels deep")
    types = schema_types(schema, root) if schema else set()
    if not node.children:
        text = node.leaf_text()
        if not types or "string" in types:
            return text
        if not text.strip() and types & {"array", "object"}:
            return [] if "array" in types else {}
        return convert_value(text, types)
    if node.leaf_text().strip():
        raise ArgumentError(
            f"<{node.name}> mixes text {short(node.leaf_text().strip())} with elements"
        )
    if types and not types & {"array", "object"}:
        raise ArgumentError(
            f"<{node.name}> holds elements, but its schema allows no list or object"
        )
    if all(child.name == ITEM for child in node.children) and (not types or "array" in types):
        items = _items(schema, root)
        return [type_node(child, items, root, depth + 1) for child in node.children]
    if types and "object" not in types:
        raise ArgumentError(f"<{node.name}> must hold <item> elements (a list)")
    return type_members(node.children, schema, root, depth + 1)


def type_members(
    children: list[Node], schema: dict[str, Any], root: dict[str, Any], depth: int = 0
) -> dict[str, Any]:
    """An object from its member elements; a key repeated makes a list of its values."""
    grouped: dict[str, list[Node]] = {}
    for child in children:
        grouped.setdefault(child.name, []).append(child)
    out: dict[str, Any] = {}
    for key, nodes in grouped.items():
        prop = _property(schema, root, key) if schema else {}
        if len(nodes) == 1:
            out[key] = type_node(nodes[0], prop, root, depth)
            continue
        types = schema_types(prop, root) if prop else set()
        if types and "array" not in types:
            raise ArgumentError(f"parameter {key!r} is given {len(nodes)} times")
        items = _items(prop, root) if prop else {}
        out[key] = [type_node(n, items, root, depth + 1) for n in nodes]
    return out
