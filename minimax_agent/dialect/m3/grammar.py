"""GBNF grammars that constrain generation to well-formed M3 tool calls (`--constrain-tools`).

The call block is written as the template writes it: `]<]minimax[>[<tool_call>`, a line break,
one or more invokes (each `...<invoke name="TOOL">`, its arguments as elements, `...</invoke>`
and a line break), and the block's close. Arguments come required first in schema order, then
the optional ones; an object with properties nests its members, a list is `<item>` elements, a
number or boolean is written bare, a string is free text. Free text never contains `]<` (where
the namespace token starts), so a string value ends only at its close.

As in M2's grammar, `max_chars` caps every free-text region at that many printable ASCII
characters (without `<` and `]`): what lets a random-weight test model finish a call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from minimax_agent.dialect.m2.grammar import text_without
from minimax_agent.dialect.m3.tags import BLOCK_CLOSE, BLOCK_OPEN, INVOKE_CLOSE, NS, THINK_CLOSE
from minimax_agent.dialect.m3.tags import THINK_OPEN as THINK_OPEN
from minimax_agent.dialect.m3.template import ThinkingMode
from minimax_agent.messages import ToolSpec

# Free text stops before this: the namespace token's first two characters.
_STOP = NS[:2]
_CONTROLS = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F"
_CAPPED_TEXT = r"\x20-\x3B\x3D-\x5C\x5E-\x7E"  # printable ASCII but `<` and `]`
_SHARED = r"""
v-bool ::= "true" | "false"
v-null ::= "null"
v-num ::= "-"? [0-9]{1,18} ( "." [0-9]{1,18} )?
json ::= json-obj | json-arr | json-str | v-num | v-bool | v-null
json-obj ::= "{" ws ( json-str ws ":" ws json ws ( "," ws json-str ws ":" ws json ws )* )? "}"
json-arr ::= "[" ws ( json ws ( "," ws json ws )* )? "]"
json-str ::= "\"" ( [^"\\__CONTROLS__\n\r\t] | "\\" ["\\/bfnrt] | "\\u" [0-9a-fA-F]{4} )* "\""
ws ::= [ \t\n]{0,8}
""".replace("__CONTROLS__", _CONTROLS)


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _free_text(name: str, until: str, max_chars: int | None) -> list[str]:
    if max_chars is not None:
        return [f"{name} ::= [{_CAPPED_TEXT}]{{0,{max_chars}}}"]
    return [f"{name} ::= {name}-0", *text_without(name, until)]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Builder:
    def __init__(self, max_chars: int | None) -> None:
        self.rules: list[str] = []
        self.needs_text = False
        self.max_chars = max_chars

    def _rule(self, body: str) -> str:
        name = f"r{len(self.rules)}"
        self.rules.append(f"{name} ::= {body}")
        return name

    def element(self, key: str, schema: dict[str, Any], depth: int) -> str:
        open_, close = _literal(f"{NS}<{key}>"), _literal(f"{NS}</{key}>")
        return self._rule(f"{open_} {self.value(schema, depth)} {close}")

    def value(self, schema: dict[str, Any], depth: int = 0) -> str:
        """A GBNF expression for one value as the M3 template writes it."""
        if schema.get("enum"):
            return "( " + " | ".join(_literal(_scalar(v)) for v in schema["enum"]) + " )"
        if "const" in schema:
            return _literal(_scalar(schema["const"]))
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            options = [self.value(b, depth) for b in branches if isinstance(b, dict)]
            return "( " + " | ".join(options) + " )"
        kind = schema.get("type")
        if isinstance(kind, list):
            if "string" in kind:  # a string accepts anything, so the union is a string
                return self.value({**schema, "type": "string"}, depth)
            return "( " + " | ".join(self.value({**schema, "type": k}, depth) for k in kind) + " )"
        if kind == "integer":
            return '( "-"? [0-9]{1,18} )'
        if kind == "number":
            return "v-num"
        if kind == "boolean":
            return "v-bool"
        if kind == "null":
            return '""'
        if depth < 8 and kind == "object" and isinstance(schema.get("properties"), dict):
            return self.members(schema, depth + 1)
        if depth < 8 and kind == "array":
            items = schema.get("items")
            item = self.element("item", items if isinstance(items, dict) else {}, depth + 1)
            return f"{item}*"
        if kind == "object":
            return "json-obj"
        self.needs_text = True
        return "sv"

    def members(self, schema: dict[str, Any], depth: int) -> str:
        props: dict[str, Any] = schema.get("properties") or {}
        required = [k for k in schema.get("required") or [] if k in props]
        parts = [self.element(k, props[k], depth) for k in required]
        parts += [self.element(k, props[k], depth) + "?" for k in props if k not in required]
        return "( " + " ".join(parts) + " )" if parts else '""'

    def invoke(self, tool: ToolSpec) -> str:
        head = _literal(f'{NS}<invoke name="{tool.name}">')
        body = self.members(tool.parameters, 0)
        return self._rule(f"{head} {body} {_literal(INVOKE_CLOSE + chr(10))}")

    def block_rest(self, tools: Sequence[ToolSpec]) -> str:
        invokes = [self.invoke(t) for t in tools]
        self.rules.append("invoke ::= " + " | ".join(invokes))
        return f'"\\n" invoke+ {_literal(BLOCK_CLOSE)}'

    def grammar(self, root: str) -> str:
        extra = _free_text("sv", _STOP, self.max_chars) if self.needs_text else []
        return "\n".join([f"root ::= {root}", *self.rules, *extra, _SHARED.strip()]) + "\n"


def call_block_grammar(tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
    """The rest of a tool-call block, from just after `]<]minimax[>[<tool_call>` to its end."""
    builder = _Builder(max_chars)
    return builder.grammar(builder.block_rest(tools))


def whole_turn_grammar(
    tools: Sequence[ToolSpec], max_chars: int | None = None, mode: ThinkingMode = "enabled"
) -> str:
    """A whole turn that must end in a tool call, from just after the generation prompt of
    `mode`: reasoning (enabled; adaptive: reasoning or a bare `</mm:think>`), text, one block."""
    builder = _Builder(max_chars)
    rest = builder.block_rest(tools)
    builder.rules += _free_text("think", THINK_CLOSE, max_chars)
    builder.rules += _free_text("say", _STOP, max_chars)
    reasoning = f"think {_literal(THINK_CLOSE)}"
    lead = {
        "enabled": reasoning,
        "disabled": "",
        "adaptive": f"( {_literal(THINK_OPEN)} {reasoning} | {_literal(THINK_CLOSE)} )",
    }[mode]
    root = f"{lead} say {_literal(BLOCK_OPEN)} {rest}".strip()
    return builder.grammar(root)
