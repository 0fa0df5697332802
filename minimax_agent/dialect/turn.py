"""What every format's streaming parser does the same way: the reasoning and the visible text.

A turn is reasoning, then visible text with tool-call blocks in it; only the tags that mark
them, and what lies inside a block, differ between formats. `TurnParserBase` keeps the shared
bookkeeping: the text held while it is unknown whether it is reasoning (`State.START`), the
block open held until what follows it shows it is one, the deltas and the finished message.
A format's parser subclasses it, says which of its tags is which (`_kind`) and handles the
inside of a block itself (`_block_token`, `_invoke_token`, `_close_stream`).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Generic, TypeVar

from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import AssistantMessage, ToolSpec

T = TypeVar("T")  # the format's own tag type


class State(Enum):
    START = "start"  # not yet known whether the text so far is reasoning
    REASONING = "reasoning"
    TEXT = "text"
    BLOCK = "block"  # inside a call block, between invokes
    INVOKE = "invoke"


class Kind(Enum):
    """The role of a tag outside an invoke, whatever the format writes for it."""

    THINK_OPEN = "think_open"
    THINK_CLOSE = "think_close"
    BLOCK_OPEN = "block_open"
    BLOCK_CLOSE = "block_close"
    INVOKE_HEAD = "invoke_head"
    OTHER = "other"


class TurnParserBase(Generic[T]):
    """The format-neutral half of a streaming parser (see the module docstring)."""

    # What `message()` strips from the ends of the reasoning and the text: the layout the
    # template adds around them ("" where it adds none, so they are kept as generated).
    _layout = ""

    def __init__(self, tools: Sequence[ToolSpec], state: State, *, leading: bool) -> None:
        # None: no tools declared, so any name is accepted and every value stays text.
        self._schemas = {t.name: t.parameters for t in tools} if tools else None
        self._state = state
        self._leading = leading  # only blanks so far: a stray reasoning open is still a tag
        # Lists, not strings: a long turn arrives in thousands of chunks.
        self._raw: list[str] = []
        self._reasoning: list[str] = []
        self._text: list[str] = []
        self.calls: list[ToolCall] = []
        self._events: list[Event] = []
        self._held: list[str] = []  # START: text whose kind is not decided yet
        self._held_blank = True
        self._opener: list[str] | None = None  # a block open and the blanks after it
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

    def reasoning_elsewhere(self) -> list[Event]:
        """The endpoint sends the reasoning in a field of its own, so the content is visible
        text: what is held back while that was unknown is shown now."""
        if self._state is not State.START:
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
        self._close_stream()
        self._end_text()
        return events

    def message(self, **provider_fields: object) -> AssistantMessage:
        """The assistant turn as it enters history, raw text kept byte for byte."""
        layout = self._layout
        return AssistantMessage(
            content=self.text.strip(layout) if layout else self.text,
            reasoning=self.reasoning.strip(layout) if layout else self.reasoning,
            tool_calls=[
                # History keeps no `error`: the tool result that follows says it.
                ToolCall(id=c.id, name=c.name, arguments=c.arguments)
                for c in self.calls
            ],
            raw=self.raw,
            provider_fields=dict(provider_fields),
        )

    # -- what a format says ---------------------------------------------------------------------

    def _kind(self, tag: T) -> Kind:
        raise NotImplementedError

    def _invoke_token(self, tag: T | None, text: str) -> None:
        raise NotImplementedError

    def _block_token(self, tag: T | None, text: str) -> None:
        raise NotImplementedError

    def _close_stream(self) -> None:
        """The stream ended: end what is open inside a block (the text comes after)."""
        raise NotImplementedError

    def _swallow(self, kind: Kind | None) -> bool:
        """A tag in the text that is dropped rather than shown (M2: a late block close)."""
        return False

    # -- tokens from the lexer ------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        self._token(None, text)

    def _on_tag(self, tag: T, text: str) -> None:
        self._token(tag, text)

    def _token(self, tag: T | None, text: str) -> None:
        state = self._state
        if state is State.INVOKE:
            self._invoke_token(tag, text)
        elif state is State.REASONING:
            self._reasoning_token(tag, text)
        elif state is State.BLOCK:
            self._block_token(tag, text)
        else:
            self._text_token(tag, text)

    def _reasoning_token(self, tag: T | None, text: str) -> None:
        kind = None if tag is None else self._kind(tag)
        if kind is Kind.THINK_CLOSE:
            self._state, self._leading = State.TEXT, False
            return
        if self._leading:
            if kind is Kind.THINK_OPEN:  # the prompt already opened the reasoning
                self._leading = False
                return
            self._leading = tag is None and text.isspace()
        self._reason(text)

    def _text_token(self, tag: T | None, text: str) -> None:
        """START and TEXT: visible text (or, in START, text not yet known to be visible)."""
        kind = None if tag is None else self._kind(tag)
        if self._opener is not None:
            if tag is None and text.isspace():
                self._opener.append(text)
                return
            opener, self._opener = self._opener, None
            if kind is Kind.INVOKE_HEAD or kind is Kind.BLOCK_CLOSE:
                self._decide_text()
                self._state = State.BLOCK
                self._block_token(tag, text)
                return
            self._plain("".join(opener))  # the block open was named in prose
        if kind is Kind.BLOCK_OPEN:
            self._opener = [text]
            return
        if self._state is State.START and (kind is Kind.THINK_OPEN or kind is Kind.THINK_CLOSE):
            if kind is Kind.THINK_CLOSE or self._held_blank:
                held, self._held = "".join(self._held), []
                if held:
                    self._reason(held)
                self._state = State.TEXT if kind is Kind.THINK_CLOSE else State.REASONING
                return
            self._decide_text()  # a reasoning open after text: the text is not reasoning
        elif self._swallow(kind):
            return
        self._plain(text)

    # -- output ---------------------------------------------------------------------------------

    def _end_text(self) -> None:
        """A block open held for what follows is text after all, and text still undecided
        is visible."""
        if self._opener is not None:
            opener, self._opener = self._opener, None
            self._plain("".join(opener))
        self._decide_text()

    def _emit_call(self, call: ToolCall) -> None:
        self.calls.append(call)
        self._events.append(call)

    def _decide_text(self) -> None:
        """START ends as visible text."""
        if self._state is not State.START:
            return
        held, self._held = "".join(self._held), []
        self._state = State.TEXT
        if held:
            self._show(held)

    def _plain(self, text: str) -> None:
        if self._state is State.START:
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
