"""Incremental parser for M2.x output: reasoning, visible text and `<minimax:tool_call>` blocks.

Feed it text as it streams; it returns events as soon as they are certain, and holds back only
what the text to come can still change. Deltas are verbatim: joined, the reasoning and text
deltas give back every character outside the tags, and a tag named in prose is text.

- The reasoning ends at the first `</think>`. A stray `<think>` opening the output after the
  prompt's own is a tag, not reasoning. When the output may or may not open inside the
  reasoning (`in_reasoning=False`, a remote server's content), it is reasoning if it opens with
  `<think>`, or if a `</think>` comes with no `<think>` before it (a server without a reasoning
  parser sends `R\\n</think>\\n\\nText`): until one of them, or a tool call, decides, it is held.
- A `<minimax:tool_call>` opens a block only when what follows it, after whitespace, is an
  `<invoke` head (or the block's close); otherwise it is text ("use the <minimax:tool_call>
  wrapper").
- Where a value and an invoke end is the business of `invoke.py`.

Time is linear in the output: each character is looked at a bounded number of times, and text
inside a value with no `<` in it is only appended.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from minimax_agent.dialect.m2.invoke import InvokeScan, build_call
from minimax_agent.dialect.m2.tags import (
    BLOCK_CLOSE,
    BLOCK_OPEN,
    INVOKE_CLOSE,
    INVOKE_OPEN,
    PARAM_CLOSE,
    PARAM_OPEN,
    THINK_CLOSE,
    THINK_OPEN,
    Lexer,
    Tag,
)
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import AssistantMessage, ToolSpec

__all__ = [
    "BLOCK_CLOSE",
    "BLOCK_OPEN",
    "INVOKE_CLOSE",
    "INVOKE_OPEN",
    "PARAM_CLOSE",
    "PARAM_OPEN",
    "THINK_CLOSE",
    "THINK_OPEN",
    "StreamParser",
    "parse_complete",
]


class _State(Enum):
    START = "start"  # not yet known whether the text so far is reasoning
    REASONING = "reasoning"
    TEXT = "text"
    BLOCK = "block"  # inside <minimax:tool_call>, between invokes
    INVOKE = "invoke"


class StreamParser:
    """Parse one assistant turn. `in_reasoning` is True when the prompt ended with `<think>\\n`
    (local generation); remote inline-think content may or may not open with `<think>`."""

    def __init__(self, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True) -> None:
        # None: no tools declared, so any name is accepted and every value stays text.
        self._schemas = {t.name: t.parameters for t in tools} if tools else None
        self._state = _State.REASONING if in_reasoning else _State.START
        self._leading = in_reasoning  # only whitespace so far: a stray <think> is still a tag
        self._lexer = Lexer(self._on_text, self._on_tag)
        # Lists, not strings: a long turn arrives in thousands of chunks.
        self._raw: list[str] = []
        self._reasoning: list[str] = []
        self._text: list[str] = []
        self.calls: list[ToolCall] = []
        self._events: list[Event] = []
        self._held: list[str] = []  # START: text whose kind is not decided yet
        self._held_blank = True
        self._opener: list[str] | None = None  # a <minimax:tool_call> and the blanks after it
        self._loose = False  # a block whose invoke ended at the end of the stream, unclosed
        self._scan: InvokeScan | None = None
        # Offsets into the stream: where the lexer's next token starts, how much of `_raw`
        # is counted (up to index `_counted`). Chunks that skip the lexer are counted later.
        self._pos = 0
        self._fed = 0
        self._counted = 0
        self._quiet = False  # inside a value, where text without `<` changes nothing
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
        if self._quiet and "<" not in chunk:  # the bulk of a long value: nothing to decide
            return []
        events: list[Event] = []
        self._events = events
        self._catch_up(len(self._raw) - 1)
        self._fed += len(chunk)
        self._counted += 1
        self._lexer.feed(chunk)
        self._settle()
        return events

    def reasoning_elsewhere(self) -> list[Event]:
        """The endpoint sends the reasoning in a field of its own, so the content is visible
        text: what is held back while that was unknown is shown now."""
        if self._state is not _State.START:
            return []
        events: list[Event] = []
        self._events = events
        self._decide_text()
        return events

    def finish(self) -> list[Event]:
        """Decide whatever is held back, with what the stream gave."""
        events: list[Event] = []
        if self._finished:
            return events
        self._finished = True
        self._events = events
        self._quiet = False
        self._catch_up(len(self._raw))
        hold = self._lexer.hold
        if self._opener is not None and _cut_head(hold):  # the stream ended inside the head
            self._lexer.hold = ""
            self._opener = None
            self._decide_text()
            self._open_invoke(hold)
            self._pos += len(hold)
        self._lexer.feed("", final=True)
        while self._state is _State.INVOKE and self._scan is not None:
            scan = self._scan
            end = scan.finish()
            text = self._invoke_text(scan, self._pos - scan.base)
            if end < 0:
                self._end_invoke(scan, text, closed=False)
                self._state = _State.TEXT
                break
            self._end_invoke(scan, text[:end], closed=True)
            # What followed the end goes through again, outside the invoke; a block close in
            # it closes the block, the rest is text.
            self._state, self._loose = _State.BLOCK, True
            self._pos = scan.base + end
            Lexer(self._on_text, self._on_tag).feed(text[end:], final=True)
        if self._opener is not None:
            opener, self._opener = self._opener, None
            self._plain("".join(opener))
        self._decide_text()
        return events

    def message(self, **provider_fields: object) -> AssistantMessage:
        """The assistant turn as it enters history, raw text kept byte for byte."""
        return AssistantMessage(
            content=self.text.strip("\n"),
            reasoning=self.reasoning.strip("\n"),
            tool_calls=[
                # History keeps no `error`: the tool result that follows says it.
                ToolCall(id=c.id, name=c.name, arguments=c.arguments)
                for c in self.calls
            ],
            raw=self.raw,
            provider_fields=dict(provider_fields),
        )

    # -- tokens from the lexer ------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        self._token(None, text)

    def _on_tag(self, tag: Tag, text: str) -> None:
        self._token(tag, text)

    def _token(self, tag: Tag | None, text: str) -> None:
        start = self._pos
        self._pos = start + len(text)
        state = self._state
        if state is _State.INVOKE:
            self._invoke_token(tag, text, start)
        elif state is _State.REASONING:
            self._reasoning_token(tag, text)
        elif state is _State.BLOCK:
            self._block_token(tag, text)
        else:
            self._text_token(tag, text)

    def _catch_up(self, upto: int) -> None:
        """Count `_raw[_counted:upto]`, chunks that skipped the lexer: text inside a value."""
        if self._counted < upto:
            self._fed += sum(map(len, self._raw[self._counted : upto]))
            self._pos = self._fed
            self._counted = upto

    def _settle(self) -> None:
        scan = self._scan
        self._quiet = (
            self._state is _State.INVOKE
            and scan is not None
            and scan.quiet
            and not self._lexer.hold
        )

    def _reasoning_token(self, tag: Tag | None, text: str) -> None:
        if tag is Tag.THINK_CLOSE:
            self._state, self._leading = _State.TEXT, False
            return
        if self._leading:
            if tag is Tag.THINK_OPEN:  # the prompt already opened the reasoning
                self._leading = False
                return
            self._leading = tag is None and text.isspace()
        self._reason(text)

    def _text_token(self, tag: Tag | None, text: str) -> None:
        """START and TEXT: visible text (or, in START, text not yet known to be visible)."""
        if self._opener is not None:
            if tag is None and text.isspace():
                self._opener.append(text)
                return
            opener, self._opener = self._opener, None
            if tag is Tag.INVOKE_HEAD or tag is Tag.BLOCK_CLOSE:
                self._decide_text()
                self._state = _State.BLOCK
                self._block_token(tag, text)
                return
            self._plain("".join(opener))  # the tag was named in prose
        if tag is Tag.BLOCK_OPEN:
            self._opener = [text]
            return
        if self._state is _State.START:
            if tag is Tag.THINK_CLOSE or (tag is Tag.THINK_OPEN and self._held_blank):
                held, self._held = "".join(self._held), []
                if held:
                    self._reason(held)
                self._state = _State.TEXT if tag is Tag.THINK_CLOSE else _State.REASONING
                return
            if tag is Tag.THINK_OPEN:  # a <think> inside text: the text is not reasoning
                self._decide_text()
        elif self._loose and tag is Tag.BLOCK_CLOSE:
            self._loose = False  # closes the block whose invoke the end of the stream ended
            return
        self._plain(text)

    def _block_token(self, tag: Tag | None, text: str) -> None:
        if tag is None and text.isspace():
            return  # layout between invokes
        if tag is Tag.INVOKE_HEAD:
            self._open_invoke(text, self._pos - len(text))
            return
        self._state = _State.TEXT
        if tag is Tag.BLOCK_CLOSE:
            self._loose = False
            return
        self._text_token(tag, text)  # only after an invoke the end of the stream ended

    def _invoke_token(self, tag: Tag | None, text: str, start: int) -> None:
        scan = self._scan
        assert scan is not None
        end = scan.feed(tag, text, start - scan.base)
        if end < 0:
            return
        self._end_invoke(scan, self._invoke_text(scan, end), closed=True)
        self._state = _State.BLOCK
        # What told the end (the next invoke, or text) goes through again, outside it.
        self._pos = scan.base + end
        for look_tag, look_text in scan.look:
            self._token(look_tag, look_text)

    def _open_invoke(self, head: str, start: int | None = None) -> None:
        scan = InvokeScan(self._pos if start is None else start, head)
        # The chunk the head starts in: only the lexer's short hold lies between.
        raw = self._raw
        scan.chunk, scan.chunk_at = len(raw), self._fed
        while scan.chunk_at > scan.base and scan.chunk > 0:
            scan.chunk -= 1
            scan.chunk_at -= len(raw[scan.chunk])
        self._scan, self._state = scan, _State.INVOKE

    # -- output ---------------------------------------------------------------------------------

    def _end_invoke(self, scan: InvokeScan, text: str, *, closed: bool) -> None:
        """Emit the call of `scan`, whose text is `text`."""
        call = build_call(text, scan.head_end, scan.marks, self._schemas, closed=closed)
        self.calls.append(call)
        self._events.append(call)
        self._scan = None

    def _invoke_text(self, scan: InvokeScan, length: int) -> str:
        """The stream's `length` characters from the head of `scan` on. The invoke's end is
        near the stream's end, so the chunks past it are few: skip them, join the rest."""
        raw = self._raw
        stop = scan.base + length
        index, at = len(raw), self._fed  # `at`: where raw[index] would start
        while index > scan.chunk + 1 and at - len(raw[index - 1]) >= stop:
            index -= 1
            at -= len(raw[index])
        start = scan.base - scan.chunk_at
        return "".join(raw[scan.chunk : index])[start : start + length]

    def _decide_text(self) -> None:
        """START ends as visible text."""
        if self._state is not _State.START:
            return
        held, self._held = "".join(self._held), []
        self._state = _State.TEXT
        if held:
            self._show(held)

    def _plain(self, text: str) -> None:
        if self._state is _State.START:
            self._held.append(text)
            self._held_blank = self._held_blank and text.isspace()
        else:
            self._show(text)

    def _reason(self, text: str) -> None:
        self._reasoning.append(text)
        self._events.append(ReasoningDelta(text))

    def _show(self, text: str) -> None:
        self._text.append(text)
        self._events.append(TextDelta(text))


def _cut_head(hold: str) -> bool:
    """`hold` is an `<invoke` head the stream ended inside."""
    k = len(INVOKE_OPEN)
    return hold.startswith(INVOKE_OPEN) and len(hold) > k and hold[k] in " \t\r\n"


def parse_complete(
    text: str, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
) -> tuple[list[Event], AssistantMessage]:
    """Parse a whole turn at once (non-streaming endpoints, tests)."""
    parser = StreamParser(tools, in_reasoning=in_reasoning)
    events = parser.feed(text) + parser.finish()
    return events, parser.message()
