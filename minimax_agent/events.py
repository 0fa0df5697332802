"""What a backend streams for one assistant turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minimax_agent.messages import AssistantMessage


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call. When `error` is set the call was malformed: the agent sends the
    error back to the model as the tool result instead of running anything."""

    id: str
    name: str
    arguments: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class Usage:
    """Token accounting for one step; fields a backend cannot know stay None."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cost: float | None = None
    # Backend-specific numbers (tokens evaluated, prefill/decode tokens per second, ...).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finish:
    """The end of a turn. `message` is the assistant turn exactly as it should enter history;
    `request` is what was sent (rendered prompt or request body) for tracing."""

    reason: str
    message: AssistantMessage
    request: Any = None


Event = ReasoningDelta | TextDelta | ToolCall | Usage | Finish
