"""Incremental parser for M2.x output: reasoning, visible text and `<minimax:tool_call>` blocks.

Feed it text as it streams; it returns events as soon as they are certain. A suffix that could
still become a tag is held back, so a partial tag never leaks into the text. Deltas are verbatim:
joined, the reasoning and text deltas give back every character outside the tags.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from enum import Enum

from minimax_agent.dialect.arguments import type_arguments
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import AssistantMessage, ToolCallRecord, ToolSpec

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
BLOCK_OPEN = "<minimax:tool_call>"
BLOCK_CLOSE = "</minimax:tool_call>"
INVOKE_OPEN = "<invoke"
INVOKE_CLOSE = "</invoke>"
PARAM_OPEN = "<parameter"
PARAM_CLOSE = "</parameter>"

_INVOKE_HEAD = re.compile(r"<invoke\s+name\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))\s*>")
_PARAM = re.compile(
    r"<parameter\s+name\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))\s*>(.*?)</parameter>",
    re.DOTALL,
)


class _State(Enum):
    START = "start"  # not yet known whether the output opens with <think>
    REASONING = "reasoning"
    TEXT = "text"
    BLOCK = "block"


def _held_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def new_call_id() -> str:
    return "call_" + secrets.token_hex(8)


def _strip_one_newline(value: str) -> str:
    # The format puts values on their own lines at times; one newline each side is layout.
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value


class StreamParser:
    """Parse one assistant turn. `in_reasoning` is True when the prompt ended with `<think>\\n`
    (local generation); remote inline-think content may or may not open with `<think>`."""

    def __init__(self, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True) -> None:
        self._schemas = {t.name: t.parameters for t in tools}
        self._check_names = bool(tools)
        self._state = _State.REASONING if in_reasoning else _State.START
        self._buf = ""
        # Lists, not strings: a long turn arrives in thousands of chunks.
        self._raw: list[str] = []
        self._reasoning: list[str] = []
        self._text: list[str] = []
        self.calls: list[ToolCall] = []
        self._finished = False

    @property
    def raw(self) -> str:
        return "".join(self._raw)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    @property
    def text(self) -> str:
        return "".join(self._text)

    def feed(self, chunk: str) -> list[Event]:
        self._raw.append(chunk)
        self._buf += chunk
        events: list[Event] = []
        # Inside a block every tag that can change anything ends with '>': a chunk without one
        # (most of a long file body) cannot complete an invoke, so skip rescanning the buffer.
        if self._state is _State.BLOCK and ">" not in chunk:
            return events
        while self._step(events, final=False):
            pass
        return events

    def finish(self) -> list[Event]:
        """Flush whatever is held back at the end of the stream."""
        events: list[Event] = []
        if self._finished:
            return events
        self._finished = True
        while self._step(events, final=True):
            pass
        if self._state is _State.BLOCK and self._buf.strip():
            self._emit_call(events, self._buf, unclosed=True)
        elif self._buf:
            self._emit_plain(events, self._buf)
        self._buf = ""
        return events

    def message(self, **provider_fields: object) -> AssistantMessage:
        """The assistant turn as it enters history, raw text kept byte for byte."""
        return AssistantMessage(
            content=self.text.strip("\n"),
            reasoning=self.reasoning.strip("\n"),
            tool_calls=[
                ToolCallRecord(id=c.id, name=c.name, arguments=c.arguments) for c in self.calls
            ],
            raw=self.raw,
            provider_fields=dict(provider_fields),
        )

    # -- state machine ------------------------------------------------------------------------

    def _emit_plain(self, events: list[Event], text: str) -> None:
        if not text:
            return
        if self._state is _State.REASONING:
            self._reasoning.append(text)
            events.append(ReasoningDelta(text))
        else:
            self._text.append(text)
            events.append(TextDelta(text))

    def _step(self, events: list[Event], *, final: bool) -> bool:
        """Consume what can be decided from the buffer; True when the state changed."""
        buf = self._buf
        if self._state is _State.START:
            stripped = buf.lstrip()
            if stripped.startswith(THINK_OPEN):
                self._buf = stripped[len(THINK_OPEN) :]
                self._state = _State.REASONING
                return True
            if (stripped and not THINK_OPEN.startswith(stripped)) or final:
                self._state = _State.TEXT
                return True
            return False
        if self._state is _State.REASONING:
            return self._scan_plain(events, THINK_CLOSE, _State.TEXT, final)
        if self._state is _State.TEXT:
            return self._scan_plain(events, BLOCK_OPEN, _State.BLOCK, final)
        return self._scan_block(events)

    def _scan_plain(self, events: list[Event], tag: str, after: _State, final: bool) -> bool:
        at = self._buf.find(tag)
        if at >= 0:
            self._emit_plain(events, self._buf[:at])
            self._buf = self._buf[at + len(tag) :]
            self._state = after
            return True
        keep = 0 if final else _held_suffix(self._buf, tag)
        self._emit_plain(events, self._buf[: len(self._buf) - keep])
        self._buf = self._buf[len(self._buf) - keep :]
        return False

    def _scan_block(self, events: list[Event]) -> bool:
        body = self._buf.lstrip()
        if body.startswith(BLOCK_CLOSE):
            self._buf = body[len(BLOCK_CLOSE) :]
            self._state = _State.TEXT
            return True
        if body.startswith(INVOKE_OPEN):
            end = _invoke_end(body)
            if end < 0:
                return False
            self._buf = body[end:]
            self._emit_call(events, body[:end], unclosed=False)
            return True
        if not body or BLOCK_CLOSE.startswith(body) or INVOKE_OPEN.startswith(body):
            return False
        # Stray text inside a block is not a call; skip to the next tag and keep it in raw only.
        nxt = body.find("<", 1)
        if nxt < 0:
            return False
        self._buf = body[nxt:]
        return True

    def _emit_call(self, events: list[Event], chunk: str, *, unclosed: bool) -> None:
        call = self._build_call(chunk, unclosed)
        self.calls.append(call)
        events.append(call)

    def _build_call(self, chunk: str, unclosed: bool) -> ToolCall:
        head = _INVOKE_HEAD.search(chunk)
        name = next((g for g in head.groups() if g is not None), "") if head else ""
        raw_args: dict[str, str] = {}
        for match in _PARAM.finditer(chunk):
            key = next(g for g in match.groups()[:3] if g is not None)
            raw_args[key] = _strip_one_newline(match.group(4))
        if unclosed:
            what = f"the call to {name!r}" if name else "a tool call"
            return ToolCall(
                new_call_id(),
                name,
                raw_args,
                f"malformed tool call: the output ended inside {what} before "
                f"{INVOKE_CLOSE}; write the complete <minimax:tool_call> block again",
            )
        if not name:
            return ToolCall(
                new_call_id(), "", raw_args, 'malformed tool call: <invoke> needs name="TOOL"'
            )
        if self._check_names and name not in self._schemas:
            known = ", ".join(sorted(self._schemas))
            return ToolCall(new_call_id(), name, raw_args, f"unknown tool {name!r}; known: {known}")
        typed, problems = type_arguments(raw_args, self._schemas.get(name))
        error = f"bad arguments for {name}: " + "; ".join(problems) if problems else None
        return ToolCall(new_call_id(), name, typed, error)


def _invoke_end(body: str) -> int:
    """Index just past the `</invoke>` closing the invoke at the start of `body`, or -1.

    A `</invoke>` inside a parameter value (a file about this very format) does not count.
    """
    pos = 0
    while True:
        close = body.find(INVOKE_CLOSE, pos)
        param = body.find(PARAM_OPEN, pos)
        if close < 0:
            return -1
        if 0 <= param < close:
            param_end = body.find(PARAM_CLOSE, param)
            if param_end < 0:
                return -1
            pos = param_end + len(PARAM_CLOSE)
            continue
        return close + len(INVOKE_CLOSE)


def parse_complete(
    text: str, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
) -> tuple[list[Event], AssistantMessage]:
    """Parse a whole turn at once (non-streaming endpoints, tests)."""
    parser = StreamParser(tools, in_reasoning=in_reasoning)
    events = parser.feed(text) + parser.finish()
    return events, parser.message()
