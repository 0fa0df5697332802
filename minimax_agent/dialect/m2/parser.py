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
from minimax_agent.dialect.turn import Kind, State, TurnParserBase
from minimax_agent.events import Event
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


# Outside an invoke, the role of each of the lexer's tags (the rest are `Kind.OTHER`).
_KINDS = {
    Tag.THINK_OPEN: Kind.THINK_OPEN,
    Tag.THINK_CLOSE: Kind.THINK_CLOSE,
    Tag.BLOCK_OPEN: Kind.BLOCK_OPEN,
    Tag.BLOCK_CLOSE: Kind.BLOCK_CLOSE,
    Tag.INVOKE_HEAD: Kind.INVOKE_HEAD,
}


class StreamParser(TurnParserBase[Tag]):
    """Parse one assistant turn. `in_reasoning` is True when the prompt ended with `<think>\\n`
    (local generation); remote inline-think content may or may not open with `<think>`."""

    _layout = "\n"  # the template writes a newline around the reasoning and the text

    def __init__(self, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True) -> None:
        state = State.REASONING if in_reasoning else State.START
        super().__init__(tools, state, leading=in_reasoning)
        self._lexer = Lexer(self._on_text, self._on_tag)
        self._loose = False  # a block whose invoke ended at the end of the stream, unclosed
        self._scan: InvokeScan | None = None
        # Offsets into the stream: where the lexer's next token starts, how much of `_raw`
        # is counted (up to index `_counted`). Chunks that skip the lexer are counted later.
        self._pos = 0
        self._start = 0
        self._fed = 0
        self._counted = 0
        self._quiet = False  # inside a value, where text without `<` changes nothing

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

    def _close_stream(self) -> None:
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
        while self._state is State.INVOKE and self._scan is not None:
            scan = self._scan
            end = scan.finish()
            text = self._invoke_text(scan, self._pos - scan.base)
            if end < 0:
                self._end_invoke(scan, text, closed=False)
                self._state = State.TEXT
                break
            self._end_invoke(scan, text[:end], closed=True)
            # What followed the end goes through again, outside the invoke; a block close in
            # it closes the block, the rest is text.
            self._state, self._loose = State.BLOCK, True
            self._pos = scan.base + end
            Lexer(self._on_text, self._on_tag).feed(text[end:], final=True)

    # -- tokens from the lexer ------------------------------------------------------------------

    def _kind(self, tag: Tag) -> Kind:
        return _KINDS.get(tag, Kind.OTHER)

    def _swallow(self, kind: Kind | None) -> bool:
        if self._loose and kind is Kind.BLOCK_CLOSE:
            self._loose = False  # closes the block whose invoke the end of the stream ended
            return True
        return False

    def _token(self, tag: Tag | None, text: str) -> None:
        # Where this token starts in the stream (`_invoke_token` reads it first thing).
        self._start = self._pos
        self._pos += len(text)
        super()._token(tag, text)

    def _catch_up(self, upto: int) -> None:
        """Count `_raw[_counted:upto]`, chunks that skipped the lexer: text inside a value."""
        if self._counted < upto:
            self._fed += sum(map(len, self._raw[self._counted : upto]))
            self._pos = self._fed
            self._counted = upto

    def _settle(self) -> None:
        scan = self._scan
        self._quiet = (
            self._state is State.INVOKE and scan is not None and scan.quiet and not self._lexer.hold
        )

    def _block_token(self, tag: Tag | None, text: str) -> None:
        if tag is None and text.isspace():
            return  # layout between invokes
        if tag is Tag.INVOKE_HEAD:
            self._open_invoke(text, self._pos - len(text))
            return
        self._state = State.TEXT
        if tag is Tag.BLOCK_CLOSE:
            self._loose = False
            return
        self._text_token(tag, text)  # only after an invoke the end of the stream ended

    def _invoke_token(self, tag: Tag | None, text: str) -> None:
        scan = self._scan
        assert scan is not None
        end = scan.feed(tag, text, self._start - scan.base)
        if end < 0:
            return
        self._end_invoke(scan, self._invoke_text(scan, end), closed=True)
        self._state = State.BLOCK
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
        self._scan, self._state = scan, State.INVOKE

    # -- output ---------------------------------------------------------------------------------

    def _end_invoke(self, scan: InvokeScan, text: str, *, closed: bool) -> None:
        """Emit the call of `scan`, whose text is `text`."""
        self._emit_call(build_call(text, scan.head_end, scan.marks, self._schemas, closed=closed))
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
