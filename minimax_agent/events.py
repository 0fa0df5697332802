"""What a run reports, in one stream: a backend's events for one assistant turn, the agent's own
events around them, and how the run ended.

A backend streams `Event`s (deltas, tool calls, usage, the finish). The agent passes each on to
its hooks and adds its own: `StepStarted`, a `ToolOutcome` for every call it answered; the
conversation adds `Notice`s. So a writer (the REPL, headless text, stream-json, a review)
reads one `AgentEvent` stream; a `TraceRecord` per model exchange goes to the same hooks object.

A tool result has three shapes, one per boundary, and no more: a tool returns
`tools.base.ToolResult` (the tools library cannot know the agent's types), the agent reports a
`ToolOutcome` (the result with its call and how long it took), and history keeps the
`ToolMessage` that `ToolOutcome.message()` makes from it (the shape that goes back to the model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from minimax_agent.messages import AssistantMessage, ToolCall, ToolMessage

__all__ = [
    "AgentEvent",
    "ChildEvent",
    "Event",
    "Finish",
    "HookRun",
    "Notice",
    "ReasoningDelta",
    "RunResult",
    "RunStatus",
    "StepStarted",
    "TextDelta",
    "ToolCall",
    "ToolOutcome",
    "TraceRecord",
    "Usage",
    "call_summary",
]


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class TextDelta:
    text: str


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


# what a backend streams for one assistant turn
Event = ReasoningDelta | TextDelta | ToolCall | Usage | Finish


@dataclass(frozen=True)
class StepStarted:
    step: int


@dataclass(frozen=True)
class ToolOutcome:
    """A tool call's result as it went back to the model."""

    call: ToolCall
    content: str
    is_error: bool
    seconds: float = 0.0

    def message(self) -> ToolMessage:
        """The result as history keeps it."""
        return ToolMessage(
            tool_call_id=self.call.id,
            name=self.call.name,
            content=self.content,
            is_error=self.is_error,
        )


@dataclass(frozen=True)
class Notice:
    """Something the user should see that is not part of the model's stream."""

    kind: str  # compacted · checkpoint_failed · overflow · kv_state
    text: str


@dataclass(frozen=True)
class HookRun:
    """One hook command that ran (minimax_agent/extensions/hooks.py), for the display,
    `--trace` and stream-json."""

    event: str  # PreToolUse · PostToolUse · UserPromptSubmit · Stop · SessionStart · PreCompact
    command: str
    exit_code: int | None  # None: it timed out or could not start
    seconds: float
    # what it decided: allow · deny · ask · block · continue, or None (it only ran)
    decision: str | None = None
    message: str = ""  # its stderr or reason, shortened

    def summary(self) -> str:
        """One line for the display: `hook PreToolUse ./check.sh: exit 2, deny: why (0.1 s)`."""
        command = self.command if len(self.command) <= 60 else self.command[:59] + "…"
        ended = "timed out" if self.exit_code is None else f"exit {self.exit_code}"
        parts = [ended, *([self.decision] if self.decision else [])]
        why = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return (
            f"hook {self.event} {command}: {', '.join(parts)}"
            + (f": {why[:200]}" if why else "")
            + f" ({self.seconds:.1f} s)"
        )


@dataclass(frozen=True)
class ChildEvent:
    """An event of a subagent's run, under the parent's `task` call `parent` (its call id):
    the REPL folds the child's tool calls under that call, stream-json marks the line with
    `"parent"`. Nothing of it enters the parent's history."""

    parent: str
    event: Event | StepStarted | ToolOutcome | Notice | HookRun


# everything a writer is shown, in order
AgentEvent = Event | StepStarted | ToolOutcome | Notice | HookRun | ChildEvent


@dataclass(frozen=True)
class TraceRecord:
    """One model exchange for `--trace`: the step, what was sent (also for a failed step, which
    has no `finish`), the events that came back and the error that ended it, if any."""

    step: int
    finish: Finish | None
    events: list[Event]
    error: str | None = None
    request: Any = None


class RunStatus(StrEnum):
    """How a run ended; the values are what `fix --output-format json` prints."""

    DONE = "done"
    GAVE_UP = "gave_up"
    TRUNCATED = "truncated"
    MAX_STEPS = "max_steps"
    WALL_TIME = "wall_time"
    MODEL_ERRORS = "model_errors"
    INTERRUPTED = "interrupted"
    BACKEND_ERROR = "backend_error"
    BLOCKED = "blocked"  # a UserPromptSubmit hook refused the task


@dataclass
class RunResult:
    status: RunStatus
    final_text: str = ""
    steps: int = 0
    outcomes: list[ToolOutcome] = field(default_factory=list)
    usage: list[Usage] = field(default_factory=list)
    error: str | None = None
    # the steps of the subagents this run's `task` calls ran (not in `usage`, which is one
    # entry per step of this run), for the totals the user pays for
    subagent_usage: list[Usage] = field(default_factory=list)


# how wide one shortened argument may be in a call's one-line summary
ARG_CHARS = 40
SUMMARY_CHARS = 120


def call_summary(call: ToolCall) -> tuple[str | None, str]:
    """(main, rest): a tool call on one line, for the REPL, headless progress and checkpoint
    labels. `main` is the argument that says what the call is about (the command, else the
    path, else the pattern), as given; `rest` the other arguments as `key=value`, each
    shortened to one line of at most 40 characters, together at most 120; edit_file's strings
    are left out (its diff shows them)."""
    args = dict(call.arguments)
    main = args.pop("command", None) or args.pop("path", None) or args.pop("pattern", None)
    rest = []
    for key, value in args.items():
        if call.name == "edit_file" and key in ("old_string", "new_string"):
            continue
        shown = value if isinstance(value, str) else json.dumps(value)
        shown = shown.replace("\n", "\\n")
        rest.append(f"{key}={shown[:ARG_CHARS] + '…' if len(shown) > ARG_CHARS else shown}")
    return (None if main is None else str(main)), " ".join(rest)[:SUMMARY_CHARS]
