"""Incremental parser for M3 output: reasoning, visible text and `]<]minimax[>[<tool_call>` blocks.

Feed it text as it streams; it returns events as soon as they are certain, and holds back only
what the text to come can still change. Deltas are verbatim: joined, the reasoning and text
deltas give back every character outside the tags, and a tag without the namespace prefix
(`<tool_call>` named in prose, `<path>` inside a string value) is text.

- Where the output starts (`start`): inside the reasoning (the prompt ended with `<mm:think>`),
  in the visible text (it ended with `</mm:think>`: thinking disabled), or undecided (adaptive
  thinking, or a remote server's content): then it is reasoning if it opens with `<mm:think>`,
  or if a `</mm:think>` comes before any `<mm:think>`; until one of them, or a tool call,
  decides, it is held.
- The reasoning ends at the first `</mm:think>`; a tool call inside it is reasoning.
- A block opens at the prefixed `<tool_call>` only when an `<invoke name="...">` (or the block's
  close) follows it after blanks; otherwise it is text.
- Inside an invoke every prefixed tag opens or closes an element (`values.py` types them); a
  close that does not match, text outside any element, an invoke that never closes: the call is
  an error the model gets back, never a crash, and nothing it wrote is dropped from `raw`.

Time is linear in the output: the lexer looks at each character a bounded number of times, and
element text is only appended.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from minimax_agent.dialect.call_ids import new_call_id
from minimax_agent.dialect.json_args import ArgumentError
from minimax_agent.dialect.m3.tags import BLOCK, BLOCK_OPEN, INVOKE, INVOKE_CLOSE, Lexer, Tag
from minimax_agent.dialect.m3.values import Node, type_members
from minimax_agent.dialect.turn import Kind, State, TurnParserBase
from minimax_agent.events import Event, ToolCall
from minimax_agent.messages import AssistantMessage, ToolSpec

Start = Literal["reasoning", "text", "undecided"]


class _Invoke:
    """One invoke as it streams: its name, the elements still open, the finished ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.open: list[Node] = []
        self.members: list[Node] = []
        self.problems: list[str] = []


class StreamParser(TurnParserBase[Tag]):
    """Parse one assistant turn of the M3 format. The template writes reasoning and text with
    no layout around them, so `message()` keeps them as generated."""

    def __init__(self, tools: Sequence[ToolSpec] = (), *, start: Start = "reasoning") -> None:
        state = {"reasoning": State.REASONING, "text": State.TEXT}.get(start, State.START)
        super().__init__(tools, state, leading=start == "reasoning")
        self._lexer = Lexer(self._on_text, self._on_tag)
        self._invoke: _Invoke | None = None

    def feed(self, chunk: str) -> list[Event]:
        self._raw.append(chunk)
        events: list[Event] = []
        self._events = events
        self._lexer.feed(chunk)
        return events

    def _close_stream(self) -> None:
        self._lexer.feed("", final=True)
        if self._invoke is not None:
            self._end_invoke(closed=False)
            self._state = State.TEXT

    # -- tokens from the lexer ------------------------------------------------------------------

    def _kind(self, tag: Tag) -> Kind:
        if tag.think:
            return Kind.THINK_CLOSE if tag.closing else Kind.THINK_OPEN
        if _is_invoke_head(tag):
            return Kind.INVOKE_HEAD
        if tag.is_open(BLOCK):
            return Kind.BLOCK_OPEN
        return Kind.BLOCK_CLOSE if tag.is_close(BLOCK) else Kind.OTHER

    def _block_token(self, tag: Tag | None, text: str) -> None:
        if tag is None and text.isspace():
            return  # layout between invokes
        if tag is not None and _is_invoke_head(tag):
            self._invoke = _Invoke(tag.attr("name") or "")
            self._state = State.INVOKE
            return
        self._state = State.TEXT
        if tag is not None and tag.is_close(BLOCK):
            return
        self._text_token(tag, text)  # text after the calls, in a block that never closed

    def _invoke_token(self, tag: Tag | None, text: str) -> None:
        invoke = self._invoke
        assert invoke is not None
        if tag is None or tag.think:  # element text; a reasoning tag in a value is text too
            if invoke.open:
                invoke.open[-1].text.append(text)
            elif not text.isspace():
                invoke.problems.append(f"text outside any argument: {text.strip()[:40]!r}")
            return
        if _is_invoke_head(tag):  # the next invoke began before this one closed
            self._end_invoke(closed=False)
            self._state = State.BLOCK
            self._block_token(tag, text)
            return
        if not tag.closing:
            invoke.open.append(Node(tag.name))
            return
        if invoke.open and invoke.open[-1].name == tag.name:
            node = invoke.open.pop()
            (invoke.open[-1].children if invoke.open else invoke.members).append(node)
        elif tag.name == INVOKE:
            if invoke.open:
                invoke.problems.append(f"<{invoke.open[-1].name}> is never closed")
            self._end_invoke(closed=True)
            self._state = State.BLOCK
        elif tag.name == BLOCK:
            self._end_invoke(closed=False)
            self._state = State.TEXT
        else:
            inside = f"<{invoke.open[-1].name}>" if invoke.open else "the invoke"
            invoke.problems.append(f"</{tag.name}> closes nothing open in {inside}")

    # -- output ---------------------------------------------------------------------------------

    def _end_invoke(self, *, closed: bool) -> None:
        invoke = self._invoke
        assert invoke is not None
        self._invoke = None
        self._emit_call(_build_call(invoke, self._schemas, closed=closed))


def _is_invoke_head(tag: Tag) -> bool:
    return tag.is_open(INVOKE) and tag.attr("name") is not None


def _untyped(members: list[Node]) -> dict[str, Any]:
    try:
        return type_members(members, {}, {})
    except ArgumentError:
        return {}


def _build_call(
    invoke: _Invoke, schemas: dict[str, dict[str, Any]] | None, *, closed: bool
) -> ToolCall:
    name = invoke.name
    if not closed:
        what = f"the call to {name!r}" if name else "a tool call"
        error = (
            f"malformed tool call: the output ended inside {what} before {INVOKE_CLOSE}; "
            f"write the complete {BLOCK_OPEN} block again"
        )
        return ToolCall(new_call_id(), name, _untyped(invoke.members), error)
    if not name:
        error = 'malformed tool call: <invoke> needs name="TOOL"'
        return ToolCall(new_call_id(), "", _untyped(invoke.members), error)
    if schemas is not None and name not in schemas:
        known = ", ".join(sorted(schemas))
        error = f"unknown tool {name!r}; known: {known}"
        return ToolCall(new_call_id(), name, _untyped(invoke.members), error)
    schema = (schemas or {}).get(name) or {}
    problems = list(invoke.problems)
    try:
        arguments = type_members(invoke.members, schema, schema)
    except (ArgumentError, RecursionError) as exc:
        arguments = _untyped(invoke.members)
        problems.append(str(exc) or "arguments nested too deep")
    bad = f"bad arguments for {name}: " + "; ".join(problems) if problems else None
    return ToolCall(new_call_id(), name, arguments, bad)


def parse_complete(
    text: str, tools: Sequence[ToolSpec] = (), *, start: Start = "reasoning"
) -> tuple[list[Event], AssistantMessage]:
    """Parse a whole turn at once (non-streaming endpoints, tests)."""
    parser = StreamParser(tools, start=start)
    events = parser.feed(text) + parser.finish()
    return events, parser.message()
