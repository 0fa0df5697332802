"""The agent loop: ask the backend, show events, approve, run tools, append, repeat.

The library never prints or reads the keyboard: it calls `Hooks.on_event` and `Hooks.approve`,
which the UI (or a headless runner) implements.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from minimax_agent.backends import Backend, Request
from minimax_agent.errors import BackendError, ContextOverflowError
from minimax_agent.events import Event, Finish, ToolCall, Usage
from minimax_agent.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolMessage,
    UserMessage,
)

if TYPE_CHECKING:
    from tools.approval import ApprovalPolicy
    from tools.base import Tool, ToolRegistry
    from tools.workspace import Workspace

log = logging.getLogger("minimax_agent")

GAVE_UP_MARK = "NOT DONE:"  # how a final answer says the task was not done (see prompt.py)
# finish reasons that mean the answer did not end on its own
CUT_OFF = {"length": "max_tokens", "content_filter": "the endpoint's content filter"}


@dataclass(frozen=True)
class ToolOutcome:
    """A tool call's result as it went back to the model."""

    call: ToolCall
    content: str
    is_error: bool
    seconds: float = 0.0


@dataclass(frozen=True)
class StepStarted:
    step: int


AgentEvent = Event | ToolOutcome | StepStarted


class Hooks(Protocol):
    def on_event(self, event: AgentEvent) -> None: ...

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool: ...


@dataclass
class Limits:
    max_steps: int = 50
    max_consecutive_errors: int = 3
    max_wall_s: float = 3600.0
    max_tokens: int | None = None


@dataclass
class RunResult:
    # done · gave_up · truncated · max_steps · wall_time · model_errors · interrupted ·
    # backend_error
    status: str
    final_text: str = ""
    steps: int = 0
    outcomes: list[ToolOutcome] = field(default_factory=list)
    usage: list[Usage] = field(default_factory=list)
    error: str | None = None


# (step, finish, events, error, request): `request` is what was sent, also for a failed step
Tracer = Callable[[int, Finish | None, list[Event], str | None, Any], None]


class Agent:
    def __init__(
        self,
        backend: Backend,
        tools: ToolRegistry,
        workspace: Workspace,
        policy: ApprovalPolicy,
        hooks: Hooks,
        *,
        system_prompt: str,
        limits: Limits | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.backend = backend
        self.tools = tools
        self.workspace = workspace
        self.policy = policy
        self.hooks = hooks
        self.limits = limits or Limits()
        self.tracer = tracer
        self.messages: list[Message] = [SystemMessage(content=system_prompt)]
        # Optional extensions, set by conversation.py: persistence and auto-compaction before a
        # step, a checkpoint before its tools run, a compaction when the context overflows.
        self.before_step: Callable[[RunResult], None] | None = None
        self.before_tools: Callable[[list[ToolCall]], None] | None = None
        self.on_overflow: Callable[[], bool] | None = None

    def run(self, task: str) -> RunResult:
        self.messages.append(UserMessage(content=task))
        result = RunResult(status="max_steps")
        started = time.monotonic()
        self.workspace.deadline = started + self.limits.max_wall_s
        errors_in_a_row = 0
        try:
            while result.steps < self.limits.max_steps:
                if time.monotonic() - started > self.limits.max_wall_s:
                    result.status = "wall_time"
                    return result
                result.steps += 1
                self.hooks.on_event(StepStarted(result.steps))
                if self.before_step:
                    self.before_step(result)
                try:
                    finish, calls = self._ask(result)
                except ContextOverflowError:
                    # one retry after compaction frees room; a second overflow is final
                    if not (self.on_overflow and self.on_overflow()):
                        raise
                    finish, calls = self._ask(result)
                if not calls and _reasoning_only(finish):
                    # The turn ended inside its reasoning: ask once more, as if it never came.
                    log.warning("the model's turn held only reasoning; asking again")
                    self.messages.pop()
                    finish, calls = self._ask(result)
                message = finish.message
                if not calls:
                    result.final_text = message.content
                    cut = self._cut_off(finish)
                    if cut:
                        result.status, result.error = "truncated", cut
                        return result
                    # the system prompt asks for this mark when the model gives up
                    gave_up = message.content.lstrip().upper().startswith(GAVE_UP_MARK)
                    result.status = "gave_up" if gave_up else "done"
                    return result
                if self.before_tools:
                    self.before_tools(calls)
                outcomes = [self._execute(call) for call in calls]
                result.outcomes.extend(outcomes)
                errors_in_a_row = errors_in_a_row + 1 if all(o.is_error for o in outcomes) else 0
                if errors_in_a_row >= self.limits.max_consecutive_errors:
                    result.status = "model_errors"
                    result.error = (
                        f"{errors_in_a_row} steps in a row failed: {outcomes[-1].content}"
                    )
                    return result
            return result
        except BackendError as exc:
            # a turn the run's own deadline stopped is the wall-time limit, not a failure
            late = time.monotonic() >= started + self.limits.max_wall_s
            result.status, result.error = ("wall_time" if late else "backend_error"), str(exc)
            return result
        except KeyboardInterrupt:
            result.status, result.error = "interrupted", "interrupted by the user"
            self._close_open_calls("interrupted by the user before this tool ran")
            return result
        finally:
            self.workspace.deadline = None

    def _ask(self, result: RunResult) -> tuple[Finish, list[ToolCall]]:
        request = Request(
            messages=list(self.messages),
            tools=self.tools.specs(),
            max_tokens=self.limits.max_tokens,
            deadline=self.workspace.deadline,
        )
        calls: list[ToolCall] = []
        seen: list[Event] = []
        finish: Finish | None = None
        try:
            for event in self.backend.stream(request):
                seen.append(event)
                self.hooks.on_event(event)
                if isinstance(event, ToolCall):
                    calls.append(event)
                elif isinstance(event, Usage):
                    result.usage.append(event)
                elif isinstance(event, Finish):
                    finish = event
        except BaseException as exc:
            if self.tracer:
                sent = finish.request if finish else None
                if sent is None and isinstance(exc, BackendError):
                    sent = exc.request
                self.tracer(result.steps, finish, seen, f"{type(exc).__name__}: {exc}", sent)
            raise
        if finish is None:
            raise BackendError(f"backend {self.backend.name} ended a turn without finishing it")
        if self.tracer:
            self.tracer(result.steps, finish, seen, None, finish.request)
        message = finish.message
        if not (calls or message.content.strip() or message.reasoning.strip()):
            raise BackendError(f"backend {self.backend.name} returned an empty turn")
        # Kept exactly as generated: reasoning included, since M2.x degrades without it.
        self.messages.append(message)
        return finish, calls

    def _cut_off(self, finish: Finish) -> str | None:
        """Why an answer without tool calls is not a finished answer, or None when it is."""
        message = finish.message
        by = CUT_OFF.get(finish.reason)
        if by == "max_tokens":
            limit = self.limits.max_tokens
            by = f"max_tokens ({limit})" if limit else "the backend's output limit"
        if by:
            where = " while the model was still reasoning" if not message.content.strip() else ""
            return f"the answer was cut off by {by}{where}"
        if _reasoning_only(finish):
            return "the model's turn ended inside its reasoning, with no answer (twice)"
        return None

    def _execute(self, call: ToolCall) -> ToolOutcome:
        started = time.monotonic()
        content, is_error = self._outcome(call)
        outcome = ToolOutcome(call, content, is_error, time.monotonic() - started)
        self.messages.append(
            ToolMessage(tool_call_id=call.id, name=call.name, content=content, is_error=is_error)
        )
        self.hooks.on_event(outcome)
        return outcome

    def _outcome(self, call: ToolCall) -> tuple[str, bool]:
        from tools.approval import Verdict

        if call.error:
            return f"Error: {call.error}", True
        tool = self.tools.get(call.name)
        if tool is None:
            return (
                f"Error: unknown tool {call.name!r}; known: {', '.join(self.tools.names())}",
                True,
            )
        verdict, reason = self.policy.decide(tool, call.arguments)
        if verdict is Verdict.DENY:
            return f"Error: not allowed: {reason}", True
        if verdict is Verdict.ASK and not self.hooks.approve(call, tool, reason):
            return "Error: the user declined this tool call", True
        result = tool.run(self.workspace, call.arguments)
        return result.content, result.is_error

    def _close_open_calls(self, note: str) -> None:
        """Give every unanswered call of the last turn a result, so history stays well-formed."""
        last = next(
            (
                i
                for i in range(len(self.messages) - 1, -1, -1)
                if isinstance(self.messages[i], AssistantMessage)
            ),
            None,
        )
        if last is None:
            return
        answered = {m.tool_call_id for m in self.messages[last:] if isinstance(m, ToolMessage)}
        message = self.messages[last]
        assert isinstance(message, AssistantMessage)
        for call in message.tool_calls:
            if call.id not in answered:
                self.messages.append(
                    ToolMessage(tool_call_id=call.id, name=call.name, content=note, is_error=True)
                )


def _reasoning_only(finish: Finish) -> bool:
    """A turn that stopped on its own with reasoning but no answer and no tool call."""
    message = finish.message
    return (
        finish.reason not in CUT_OFF
        and not message.tool_calls
        and not message.content.strip()
        and bool(message.reasoning.strip())
    )
