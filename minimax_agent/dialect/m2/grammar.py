"""GBNF grammars for `--constrain-tools`: well-formed M2 tool calls of known tools.

What a grammar constrains (and nothing more):

- a `<minimax:tool_call>` block holds one or more `<invoke name="NAME">`, NAME one of the offered
  tools, laid out exactly as the chat template renders calls;
- each invoke carries the tool's required parameters, then any of its optional ones, in schema
  order, each at most once, and no unknown parameter;
- values follow the schema's type where a grammar can say it cheaply: integers and numbers are
  digits (no sign when `minimum >= 0`, no more digits than `maximum` has), booleans `true|false`,
  enums one of their values, objects and arrays JSON; strings are any text without
  `</parameter>`;
- free text the grammar covers (string values; with `whole_turn_grammar` also the reasoning and
  the visible text) excludes ASCII control characters other than tab, newline and carriage
  return;
- after the block the turn ends: only the end-of-turn token can follow.

`call_block_grammar` starts right after `<minimax:tool_call>` (the backend switches it on when
the model writes that tag after its reasoning). `whole_turn_grammar` (tool_choice `required`)
covers the turn from the start: reasoning, `</think>`, optional visible text, then one block,
with the newlines the template writes around `</think>` and before the block (so a server that
re-renders the turn prints what was generated).

`max_chars` (setting `constrain_max_chars`) caps every free-text region at that many characters
of printable ASCII other than `<`. A closing tag like `</parameter>` must be spelled character by
character, which a capable model does and a random-weight test model never will: the cap is what
lets such a model finish a call. It is a blunt instrument for tiny or broken models, off by
default.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from minimax_agent.dialect.m2.tags import BLOCK_CLOSE, BLOCK_OPEN, PARAM_CLOSE, THINK_CLOSE
from minimax_agent.messages import ToolSpec

# ASCII controls other than \t \n \r: never useful in text, and NUL breaks paths and commands.
_CONTROLS = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F"
# Capped free text (below) is printable ASCII but `<`: a random model also writes bytes that are
# not UTF-8, which a server hands back as U+FFFD, so an echoed turn could never match them.
_CAPPED_TEXT = r"\x20-\x3B\x3D-\x7E"
_CLASS_ESCAPES = {"\\": "\\\\", "]": "\\]", "[": "\\[", "^": "\\^", "-": "\\-"}

_SHARED = r"""
v-bool ::= "true" | "false"
v-null ::= "null"
json ::= json-obj | json-arr | json-str | v-num | v-bool | v-null
json-obj ::= "{" ws ( json-str ws ":" ws json ws ( "," ws json-str ws ":" ws json ws )* )? "}"
json-arr ::= "[" ws ( json ws ( "," ws json ws )* )? "]"
json-str ::= "\"" ( [^"\\__CONTROLS__\n\r\t] | "\\" ["\\/bfnrt] | "\\u" [0-9a-fA-F]{4} )* "\""
ws ::= [ \t\n]{0,8}
v-num ::= "-"? [0-9]{1,18} ( "." [0-9]{1,18} )?
""".replace("__CONTROLS__", _CONTROLS)


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _token(tag: str) -> str:
    """A tag as the one token the model's vocabulary has for it (GBNF's `<...>` form), not as
    characters: a model writes the token, and text spelled out in pieces would tokenize back
    differently when a server re-renders the turn (its prompt cache would break there)."""
    return tag


def _class_char(ch: str) -> str:
    return _CLASS_ESCAPES.get(ch, json.dumps(ch, ensure_ascii=False)[1:-1])


def text_without(name: str, word: str) -> list[str]:
    """Rules for `name`: any text (controls excluded) that does not contain `word`.

    A DFA over how much of `word` the text currently ends with, one rule per state. It is exact
    for words whose first character does not occur again in them (all the tags used here), so
    that a mismatch can only restart at state 0 or, on that first character, at state 1.
    """
    first = word[0]
    assert first not in word[1:], word
    rules = []
    for state in range(len(word)):
        expect = word[state]
        excluded = {first, expect}
        other = "".join(_class_char(c) for c in sorted(excluded))
        options = ['""', f"[^{other}{_CONTROLS}] {name}-0", f"{_literal(first)} {name}-1"]
        if state > 0 and state + 1 < len(word):
            options.append(f"{_literal(expect)} {name}-{state + 1}")
        rules.append(f"{name}-{state} ::= " + " | ".join(options))
    return rules


def _integer(schema: dict[str, Any]) -> str:
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    digits = 18
    if isinstance(maximum, int) and maximum >= 0:
        digits = max(1, len(str(maximum)))
    sign = "" if isinstance(minimum, (int, float)) and minimum >= 0 else '"-"? '
    return f"{sign}[0-9]{{1,{digits}}}"


def free_text(name: str, until: str, max_chars: int | None) -> list[str]:
    """Rules defining `name`: text before the tag `until`, capped or not."""
    if max_chars is not None:
        return [f"{name} ::= [{_CAPPED_TEXT}]{{0,{max_chars}}}"]
    return [f"{name} ::= {name}-0", *text_without(name, until)]


class _Builder:
    def __init__(self, max_chars: int | None) -> None:
        self.rules: list[str] = []
        self.needs_text = False
        self.max_chars = max_chars

    def value(self, schema: dict[str, Any]) -> str:
        """A GBNF expression for one parameter value as the M2 format writes it (raw text)."""
        if schema.get("enum"):
            return "( " + " | ".join(_literal(_raw(v)) for v in schema["enum"]) + " )"
        if "const" in schema:
            return _literal(_raw(schema["const"]))
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            return "( " + " | ".join(self.value(b) for b in branches if isinstance(b, dict)) + " )"
        kind = schema.get("type")
        if isinstance(kind, list):
            return "( " + " | ".join(self.value({**schema, "type": k}) for k in kind) + " )"
        if kind == "integer":
            return "( " + _integer(schema) + " )"
        if kind == "number":
            return "v-num"
        if kind == "boolean":
            return "v-bool"
        if kind == "null":
            return "v-null"
        if kind in ("object", "array"):
            return "json-obj" if kind == "object" else "json-arr"
        self.needs_text = True
        return "pv"

    def invoke(self, index: int, tool: ToolSpec) -> str:
        props: dict[str, Any] = tool.parameters.get("properties") or {}
        required = [k for k in tool.parameters.get("required") or [] if k in props]
        optional = [k for k in props if k not in required]
        parts = [_literal(f'<invoke name="{tool.name}">\n')]
        for key in [*required, *optional]:
            rule = f"p{index}-{len(self.rules)}"
            body = f'<parameter name="{key}">'
            self.rules.append(
                f"{rule} ::= {_literal(body)} {self.value(props[key])} "
                f"{_literal(PARAM_CLOSE + chr(10))}"
            )
            parts.append(rule if key in required else rule + "?")
        parts.append(_literal("</invoke>\n"))
        name = f"inv{index}"
        self.rules.append(f"{name} ::= " + " ".join(parts))
        return name

    def block_rest(self, tools: Sequence[ToolSpec]) -> str:
        names = [self.invoke(i, t) for i, t in enumerate(tools)]
        self.rules.append("invoke ::= " + " | ".join(names))
        return f'"\\n" invoke+ {_token(BLOCK_CLOSE)}'

    def grammar(self, root: str) -> str:
        extra = free_text("pv", PARAM_CLOSE, self.max_chars) if self.needs_text else []
        return "\n".join([f"root ::= {root}", *self.rules, *extra, _SHARED.strip()]) + "\n"


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def call_block_grammar(tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
    """The rest of a tool-call block, from just after `<minimax:tool_call>` to its end."""
    builder = _Builder(max_chars)
    return builder.grammar(builder.block_rest(tools))


def whole_turn_grammar(tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
    """A whole turn that must end in a tool call: reasoning, `</think>`, text, one block."""
    builder = _Builder(max_chars)
    rest = builder.block_rest(tools)
    builder.rules += free_text("think", THINK_CLOSE, max_chars)
    builder.rules += free_text("say", BLOCK_OPEN, max_chars)
    # The template's layout around the reasoning and before the block, and reasoning that starts
    # with a visible character (the template drops an empty think block): a turn the template
    # cannot re-render byte for byte breaks a server's prompt cache inside it on the next step.
    start = "[!-;=-~]" if max_chars is not None else f"[^<{_CONTROLS}\\t\\n\\r ]"
    close = f'"\\n" {_token(THINK_CLOSE)} "\\n\\n"'
    root = f'{start} think {close} say "\\n" {_token(BLOCK_OPEN)} {rest}'
    return builder.grammar(root)
