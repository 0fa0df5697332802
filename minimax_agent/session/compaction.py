"""Context management: measure the conversation against the real context window, and compact it.

Measuring uses the numbers the backend reported (`Usage.prompt_tokens` of the last request plus
its completion) for the part of the conversation they covered, and an estimate of four
characters a token for what came after. Before anything was reported, a local model counts
the whole prompt with its tokenizer; others estimate it. A measure that is an estimate says so.

Compaction replaces the middle of the conversation with one summary note. The head (system
prompt and first user message) and the most recent steps stay verbatim: a local backend's
prefix cache then stays valid up to the summary.

The summary is asked of the backend itself, in a request that starts like the conversation
(same system prompt, tools and first message, so a local model's KV cache or an endpoint's prompt
cache already holds that part) and goes on with the middle as a transcript and the instruction,
the answer forced to text. The transcript is trimmed from its oldest end so the request fits the
window with room for the answer. Re-sending the middle verbatim would look cheaper, but the M2
template drops the reasoning of turns before a new user message, so it is not in the cache
either. If the backend gives no summary, a plain list of the steps stands in: compaction never
fails for lack of context.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from minimax_agent.backends import Backend, Request
from minimax_agent.errors import BackendError, ConfigError, ContextOverflowError
from minimax_agent.events import Finish, Usage
from minimax_agent.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolMessage,
    ToolSpec,
    UserMessage,
)

log = logging.getLogger("minimax_agent")

CHARS_PER_TOKEN = 4  # the estimate shown to the user
SAFE_CHARS_PER_TOKEN = 3  # for sizing requests: code and JSON pack more tokens per character
MESSAGE_OVERHEAD = 8  # role markers and separators, in tokens
REQUEST_OVERHEAD = 400  # tokens for the compaction request's own instructions
MIN_TRANSCRIPT_TOKENS = 64  # below this a summary request is not worth sending
TAIL_SHARE = 0.3  # of the window, kept verbatim as recent steps
RESULT_CLIP = 1500  # characters of each tool result shown to the summariser
SUMMARY_HEADER = "[Summary of the earlier part of this conversation, written to save context]"

COMPACT_SYSTEM = """You summarise a coding agent's session so the work can go on after the \
older messages are removed. Write for the agent itself: plain, specific, no preamble."""

_COMPACT_SYSTEM_MESSAGE = SystemMessage(content=COMPACT_SYSTEM)

COMPACT_TASK = """[Context compaction] Do not call any tool now. The messages after the first \
request are about to be removed to save context; summarise the session transcript below, for \
yourself, so the work can go on. Plain and specific, no preamble. Keep what the work needs:
- the user's requests, goals and constraints, in their words where it matters;
- decisions made and why;
- files read, created or changed (exact paths) and what changed;
- commands run and their outcome (tests passing or failing, errors and their fixes);
- what is still to do.
Use at most {words} words. {focus}
<transcript>
{transcript}
</transcript>"""


def _message_chars(message: Message) -> int:
    if isinstance(message, AssistantMessage):
        calls = sum(len(c.name) + len(json.dumps(c.arguments)) for c in message.tool_calls)
        return len(message.content) + len(message.reasoning) + calls
    return len(message.content)


def estimate_tokens(messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> int:
    chars = sum(_message_chars(m) for m in messages)
    chars += sum(len(json.dumps(t.openai_shape())) for t in tools)
    return chars // CHARS_PER_TOKEN + MESSAGE_OVERHEAD * len(messages)


@dataclass(frozen=True)
class ContextMeasure:
    tokens: int
    window: int | None
    estimated: bool

    @property
    def fraction(self) -> float | None:
        return self.tokens / self.window if self.window else None

    def describe(self) -> str:
        how = " (estimated at 4 characters a token)" if self.estimated else ""
        if not self.window:
            return f"{self.tokens:,} tokens{how}; context window unknown"
        return f"{self.tokens:,} of {self.window:,} tokens ({self.fraction or 0:.0%}){how}"


@dataclass(frozen=True)
class Compaction:
    messages: list[Message]
    summary: str
    removed: int  # messages folded into the summary
    before: int  # tokens, as measured
    after: int  # tokens, estimated
    by_model: bool  # False when the plain fallback summary was used


class ContextKeeper:
    """Tracks how full the context is and compacts the conversation when asked."""

    def __init__(self, backend: Backend, window: int | None, threshold: float = 0.8) -> None:
        self.backend = backend
        self.window = window
        self.threshold = threshold
        # (messages covered, tokens) from the last usage the backend reported
        self._anchor: tuple[int, int] | None = None

    def observe(self, covered: int, usage: Usage) -> None:
        """`usage` was reported for a request of `covered - 1` messages plus its answer."""
        if usage.prompt_tokens is not None:
            self._anchor = (covered, usage.prompt_tokens + (usage.completion_tokens or 0))

    def forget(self) -> None:
        """The history was rewritten: reported numbers no longer match it."""
        self._anchor = None

    def measure(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> ContextMeasure:
        if self._anchor and self._anchor[0] <= len(messages):
            covered, tokens = self._anchor
            rest = messages[covered:]
            return ContextMeasure(tokens + estimate_tokens(rest), self.window, estimated=False)
        # nothing reported yet (a new or resumed session, or just compacted): a local model
        # can count exactly with its own tokenizer
        counted = self.backend.count_tokens(messages, tools)
        if counted is not None:
            return ContextMeasure(counted, self.window, estimated=False)
        return ContextMeasure(estimate_tokens(messages, tools), self.window, estimated=True)

    def require_room(self, system: Message, tools: Sequence[ToolSpec]) -> None:
        """Refuse a window that the system prompt and tools all but fill: compaction keeps
        them whole, so with them over the threshold it would run before every step and never
        make room. The advice is a window where they take half (the backend says how)."""
        if not self.window:
            return
        measured = self.measure([system], tools)
        if measured.tokens <= self.window * self.threshold:
            return
        about = "about " if measured.estimated else ""
        hint = self.backend.longer_context_hint(2 * measured.tokens) or (
            "use a model with a longer context (or set context_window, if that figure is wrong)"
        )
        raise ConfigError(
            f"the system prompt and tools take {about}{measured.tokens} tokens but the model's "
            f"context is {self.window}: {hint}"
        )

    def over_threshold(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> bool:
        fraction = self.measure(messages, tools).fraction
        return fraction is not None and fraction >= self.threshold

    def compact(
        self,
        messages: list[Message],
        tools: Sequence[ToolSpec],
        focus: str | None = None,
        *,
        force: bool = False,
        appendix: str | None = None,
    ) -> Compaction | None:
        """The conversation with its middle summarised, or None when there is no middle. With
        `force` (an overflow, or the user asking), recent steps are summarised too when they
        are all there is. `appendix` (the model's task list) ends the summary note."""
        before = self.measure(messages, tools).tokens
        window = self.window or before
        head = 2 if len(messages) > 1 and isinstance(messages[1], UserMessage) else 1
        start = _tail_start(messages, head, int(window * TAIL_SHARE))
        if start == head and force:
            start = len(messages)
        middle = messages[head:start]
        if not middle:
            return None
        summary_tokens = min(2000, max(150, window // 10))
        room = window - summary_tokens - REQUEST_OVERHEAD
        summary, by_model = self._summarise(
            messages[:start], head, tools, focus, summary_tokens, room
        )
        last_user = next((m for m in reversed(middle) if isinstance(m, UserMessage)), None)
        note = f"{SUMMARY_HEADER}\n{summary.strip()}"
        if focus:
            note += f"\n\n(Summary focused on: {focus})"
        if last_user is not None and not last_user.content.startswith(SUMMARY_HEADER):
            note += f"\n\nThe user's latest request, verbatim:\n{last_user.content}"
        if appendix:
            note += f"\n\n{appendix}"
        compacted = [*messages[:head], UserMessage(content=note), *messages[start:]]
        self.forget()
        return Compaction(
            compacted, summary, len(middle), before, estimate_tokens(compacted, tools), by_model
        )

    def _summarise(
        self,
        upto: list[Message],
        head: int,
        tools: Sequence[ToolSpec],
        focus: str | None,
        max_tokens: int,
        room: int,
    ) -> tuple[str, bool]:
        """A summary of `upto[head:]`, from the model if it gives one; `room` is the tokens
        the request may use. The request keeps the conversation's head where it fits (for the
        cache), else it stands alone."""
        middle = upto[head:]
        blocks = _transcript_blocks(middle)
        words = max(60, max_tokens * 3 // 5)
        focus_line = f"Focus on: {focus}." if focus else ""

        def ask(transcript: str) -> UserMessage:
            task = COMPACT_TASK.format(words=words, focus=focus_line, transcript=transcript)
            return UserMessage(content=task)

        requests = []
        for start, specs in ((list(upto[:head]), list(tools)), ([_COMPACT_SYSTEM_MESSAGE], [])):
            left = room - _safe_tokens([*start, ask("")], specs)
            if left >= MIN_TRANSCRIPT_TOKENS:
                transcript = _fit(blocks, left * SAFE_CHARS_PER_TOKEN)
                requests.append(
                    Request([*start, ask(transcript)], specs, max_tokens, tool_choice="none")
                )
        for request in requests:
            try:
                finish = None
                for event in self.backend.stream(request):
                    if isinstance(event, Finish):
                        finish = event
                if finish and finish.message.content.strip() and not finish.message.tool_calls:
                    return finish.message.content, True
                break
            except ContextOverflowError as exc:  # the estimate was short: try the smaller one
                log.warning("compaction: the summary request overflowed (%s)", exc)
            except BackendError as exc:
                log.warning("compaction: the backend gave no summary (%s)", exc)
                break
        return _plain_summary(middle), False


def _safe_tokens(messages: Sequence[Message], tools: Sequence[ToolSpec]) -> int:
    """A token count for sizing requests: code and JSON pack more tokens per character than
    the estimate shown to the user assumes."""
    return estimate_tokens(messages, tools) * CHARS_PER_TOKEN // SAFE_CHARS_PER_TOKEN


def _tail_start(messages: Sequence[Message], head: int, budget: int) -> int:
    """Where the verbatim tail begins: at a turn boundary (never between a tool call and its
    result), holding as many recent steps as fit `budget` tokens, and at least the last one."""
    boundaries = [
        i
        for i in range(head, len(messages))
        if isinstance(messages[i], AssistantMessage | UserMessage)
    ]
    if not boundaries:
        return len(messages)
    start = boundaries[-1]
    for candidate in reversed(boundaries[:-1]):
        if estimate_tokens(messages[candidate:]) > budget:
            break
        start = candidate
    return start


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} chars cut]"


def _transcript_blocks(middle: Sequence[Message]) -> list[str]:
    blocks = []
    for message in middle:
        if isinstance(message, UserMessage):
            blocks.append(f"USER:\n{_clip(message.content, 4 * RESULT_CLIP)}")
        elif isinstance(message, AssistantMessage):
            lines = [f"ASSISTANT:\n{message.content.strip()}" if message.content.strip() else ""]
            for call in message.tool_calls:
                lines.append(f"-> {call.name}({_clip(json.dumps(call.arguments), 400)})")
            blocks.append("\n".join(line for line in lines if line) or "ASSISTANT: (no text)")
        elif isinstance(message, ToolMessage):
            mark = "ERROR " if message.is_error else ""
            blocks.append(f"{mark}RESULT {message.name}:\n{_clip(message.content, RESULT_CLIP)}")
    return blocks


def _fit(blocks: list[str], budget_chars: int) -> str:
    """As many of the newest blocks as fit; an earlier summary (the first block) is kept first."""
    keep_first = bool(blocks) and SUMMARY_HEADER in blocks[0]
    first = [_clip(blocks[0], budget_chars // 2)] if keep_first else []
    room = budget_chars - sum(len(b) for b in first)
    kept: list[str] = []
    for block in reversed(blocks[1:] if keep_first else blocks):
        if len(block) + 2 > room:
            break
        kept.append(block)
        room -= len(block) + 2
    omitted = len(blocks) - len(first) - len(kept)
    marker = [f"[{omitted} earlier messages omitted]"] if omitted else []
    return "\n\n".join([*first, *marker, *reversed(kept)])


def _plain_summary(middle: Sequence[Message]) -> str:
    """A summary without the model: each request, and each tool call with its first line."""
    lines = []
    results = {m.tool_call_id: m for m in middle if isinstance(m, ToolMessage)}
    for message in middle:
        if isinstance(message, UserMessage):
            lines.append(f"- user: {_clip(message.content.strip(), 300)}")
        elif isinstance(message, AssistantMessage):
            for call in message.tool_calls:
                result = results.get(call.id)
                first = result.content.strip().splitlines()[0] if result and result.content else ""
                lines.append(
                    f"- {call.name}({_clip(json.dumps(call.arguments), 120)}) -> {first[:120]}"
                )
            if message.content.strip() and not message.tool_calls:
                lines.append(f"- assistant: {_clip(message.content.strip(), 300)}")
    return "Steps so far (the model could not summarise them):\n" + "\n".join(lines)
