"""One `<invoke>` of the M2 format: where it ends, and the tool call it makes.

Values are raw text, so a value may hold any tag, even a whole tool call (a file about this
format). The rules that keep such values whole:

- an invoke ends at a `</invoke>` that follows a `</parameter>` (or the head) with only
  whitespace between, and is followed, after whitespace, by the next `<invoke`, by
  `</minimax:tool_call>` (itself not followed by a `</parameter>`, which would close a value
  around it), or by the end of the stream;
- an `<invoke` head inside a value opens a nested invoke: the `</invoke>` that closes it does
  not end the outer one; a `</invoke>` that does not follow a `</parameter>` or a head is prose;
- a value ends at a `</parameter>` followed, after whitespace, by the next `<parameter` or by
  the invoke's end.

When the stream ends without such an end, the first `</invoke>` that followed a value is taken,
and what came after it goes back to the parser as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minimax_agent.dialect.call_ids import new_call_id
from minimax_agent.dialect.m2.arguments import type_arguments
from minimax_agent.dialect.m2.tags import INVOKE_CLOSE, Tag, attribute
from minimax_agent.events import ToolCall

# (tag, start, end) offsets into the invoke's text
Mark = tuple[Tag, int, int]
Look = tuple[Tag | None, str]


def strip_layout(value: str) -> str:
    """One line break each side of a value is layout (values often sit on their own lines)."""
    for lead in ("\r\n", "\n"):
        if value.startswith(lead):
            value = value[len(lead) :]
            break
    for trail in ("\r\n", "\n"):
        if value.endswith(trail):
            value = value[: -len(trail)]
            break
    return value


class InvokeScan:
    """An invoke as it streams, from its head on. The parser keeps the text; `feed` gets each
    piece with its offset from the head's start, and returns the invoke's length once its end
    is certain."""

    def __init__(self, base: int, head: str) -> None:
        self.base = base  # where the head starts in the stream
        self.chunk = 0  # the parser's: index of the chunk the head starts in, and its offset
        self.chunk_at = 0
        self.head_end = len(head)
        self.marks: list[Mark] = []
        self._depth = 0  # invokes opened inside values and not yet closed
        self._after_close = True  # only whitespace since the head or a </parameter>
        self._cand = -1  # end of a </invoke> whose fate waits on what follows
        self._cand_depth = 0
        self._past_block_close = False  # the candidate is followed by </minimax:tool_call>
        self.look: list[Look] = []  # what came after the candidate, to hand back if it ends
        self._fallback = -1  # where to end if the stream ends first, and at what depth
        self._fallback_depth = 0

    @property
    def quiet(self) -> bool:
        """True when text without a `<` cannot change anything (the parser's fast path)."""
        return self._cand < 0 and not self._after_close

    def feed(self, tag: Tag | None, text: str, start: int) -> int:
        end = start + len(text)
        if self._cand >= 0:
            self.look.append((tag, text))
            verdict = self._verdict(tag, text)
            if verdict is not None:
                if verdict and self._cand_depth == 0:
                    return self._cand
                if verdict:  # it closed an invoke written inside a value
                    self._depth -= 1
                if verdict or self._cand_depth == 0:
                    self._keep_fallback(self._cand, self._cand_depth)
                self._cand = -1
                self.look = []
        if tag is None:
            if self._after_close and not text.isspace():
                self._after_close = False
            return -1
        self.marks.append((tag, start, end))
        if tag is Tag.PARAM_CLOSE:
            self._after_close = True
            return -1
        if tag is Tag.INVOKE_HEAD:  # an invoke written inside a value
            self._depth += 1
            self._after_close = True
            return -1
        if tag is Tag.INVOKE_CLOSE and self._after_close:  # elsewhere it is prose
            self._cand, self._cand_depth = end, self._depth
            self._past_block_close = False
        self._after_close = False
        return -1

    def _verdict(self, tag: Tag | None, text: str) -> bool | None:
        """Does the pending `</invoke>` close its invoke (at depth 0: end this one)? None: not
        known yet. A nested invoke may also end the value around it (`</parameter>` next)."""
        nested = self._cand_depth > 0
        if tag is None:
            if text.isspace():
                return None
            return self._past_block_close  # visible text may follow a block, not an invoke
        if not self._past_block_close:
            if tag is Tag.BLOCK_CLOSE:
                self._past_block_close = True
                return None
            return tag is Tag.INVOKE_HEAD or (nested and tag is Tag.PARAM_CLOSE)
        # After the block close, a closing tag means the block sat inside a value.
        return nested or tag not in (Tag.PARAM_CLOSE, Tag.INVOKE_CLOSE, Tag.BLOCK_CLOSE)

    def _keep_fallback(self, end: int, depth: int) -> None:
        # The first at the shallowest depth: nesting miscounted in prose only goes deeper.
        if self._fallback < 0 or depth < self._fallback_depth:
            self._fallback, self._fallback_depth = end, depth

    def finish(self) -> int:
        """At the end of the stream: where the invoke ends, or -1 when it never closed."""
        if self._cand >= 0:
            if self._cand_depth == 0:
                return self._cand
            self._keep_fallback(self._cand, self._cand_depth)
        return self._fallback


def split_params(
    text: str, marks: Sequence[Mark], body_end: int, *, nested: bool = True
) -> tuple[list[tuple[str | None, str]], bool]:
    """The (name, raw value) pairs of an invoke body, and whether the last value was closed."""
    params: list[tuple[str | None, str]] = []
    name: str | None = None
    value_start = -1
    depth = 0
    for index, (tag, start, end) in enumerate(marks):
        if value_start < 0:
            if tag is Tag.PARAM_HEAD:
                name, value_start, depth = attribute(text[start:end], "name"), end, 0
            continue  # anything else between parameters is layout or stray, not data
        if nested and tag is Tag.INVOKE_HEAD:
            depth += 1
        elif nested and tag is Tag.INVOKE_CLOSE and depth > 0:
            if _closes_nested(text, marks, index, body_end):
                depth -= 1
        elif tag is Tag.PARAM_CLOSE and depth == 0:
            last = index + 1 == len(marks)
            next_ok = last or marks[index + 1][0] is Tag.PARAM_HEAD
            if next_ok and _blank(text, end, body_end if last else marks[index + 1][1]):
                params.append((name, text[value_start:start]))
                value_start = -1
    if value_start >= 0 and nested:  # an invoke opened inside a value never closed
        return split_params(text, marks, body_end, nested=False)
    return params, value_start < 0


def _closes_nested(text: str, marks: Sequence[Mark], index: int, body_end: int) -> bool:
    """The `</invoke>` at `marks[index]` closes an invoke written inside a value: it follows a
    `</parameter>` or a head, and the next invoke, a block close, the value's close or the
    body's end follows it (blanks aside), as `InvokeScan` decides while streaming."""
    prev_tag, _, prev_end = marks[index - 1]
    _, start, end = marks[index]
    if prev_tag not in (Tag.PARAM_CLOSE, Tag.INVOKE_HEAD) or not _blank(text, prev_end, start):
        return False
    after = index + 1
    if after == len(marks):
        return _blank(text, end, body_end)
    next_tag, next_start, _ = marks[after]
    follows = (Tag.INVOKE_HEAD, Tag.BLOCK_CLOSE, Tag.PARAM_CLOSE)
    return _blank(text, end, next_start) and next_tag in follows


def _blank(text: str, start: int, end: int) -> bool:
    return start == end or text[start:end].isspace()


def build_call(
    text: str,
    head_end: int,
    marks: Sequence[Mark],
    schemas: dict[str, dict[str, Any]] | None,
    *,
    closed: bool,
) -> ToolCall:
    """The tool call an invoke makes; `schemas` is None when any tool name is accepted."""
    name = attribute(text[:head_end], "name") or ""
    body_end = len(text) - len(INVOKE_CLOSE) if closed else len(text)
    params, _ = split_params(text, [m for m in marks if m[2] <= body_end], body_end)
    raw: dict[str, str] = {}
    problems: list[str] = []
    for key, value in params:
        if not key:
            problems.append('a <parameter> needs name="NAME"')
        elif key in raw:
            problems.append(f"parameter {key!r} is given twice")
        else:
            raw[key] = strip_layout(value)
    if not closed:
        what = f"the call to {name!r}" if name else "a tool call"
        error = (
            f"malformed tool call: the output ended inside {what} before {INVOKE_CLOSE}; "
            "write the complete <minimax:tool_call> block again"
        )
        return ToolCall(new_call_id(), name, raw, error)
    if not name:
        return ToolCall(new_call_id(), "", raw, 'malformed tool call: <invoke> needs name="TOOL"')
    if schemas is not None and name not in schemas:
        known = ", ".join(sorted(schemas))
        return ToolCall(new_call_id(), name, raw, f"unknown tool {name!r}; known: {known}")
    typed, typing_problems = type_arguments(raw, (schemas or {}).get(name))
    problems += typing_problems
    bad = f"bad arguments for {name}: " + "; ".join(problems) if problems else None
    return ToolCall(new_call_id(), name, typed, bad)
