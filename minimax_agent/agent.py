"""The agent loop: ask the backend, show events, approve, run tools, append, repeat.

The library never prints or reads the keyboard. Everything a run reports, and every point where
its owner may act, goes through one `Hooks` object given at construction: the display (REPL,
headless, stream-json), the conversation (persistence, checkpoints, compaction) and a review
(which stops the run once the model has finished it) are all hooks (agent_hooks.py; imported
from here as before).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minimax_agent.agent_hooks import Hooks, Tee, ToolGate
from minimax_agent.backends import Backend, Request
from minimax_agent.errors import BackendError, ContextOverflowError
from minimax_agent.events import (
    Event,
    Finish,
    RunResult,
    RunStatus,
    StepStarted,
    ToolCall,
    ToolOutcome,
    TraceRecord,
    Usage,
)
from minimax_agent.messages import Message, SystemMessage, UserMessage, close_unanswered

if TYPE_CHECKING:
    from tools.approval import ApprovalPolicy
    from tools.base import Tool, ToolRegistry, ToolResult
    from tools.workspace import Workspace

__all__ = ["RUNNING_CALL", "Agent", "Hooks", "Limits", "Tee", "ToolGate", "ToolInterrupted"]

log = logging.getLogger("minimax_agent")

GAVE_UP_MARK = "NOT DONE:"  # how a final answer says the task was not done (see prompt.py)
# finish reasons that mean the answer did not end on its own
CUT_OFF = {"length": "max_tokens", "content_filter": "the endpoint's content filter"}
# tools whose calls of one step may run at the same time on a backend that serves parallel
# requests: the subagent tool (minimax_agent/subagents), each child with its own conversation
CONCURRENT_TOOLS = frozenset({"task"})
# how long an interrupted step waits for its concurrent calls to stop (they stop at their
# child's next event); past it their results say they were still stopping
CANCEL_WAIT_S = 30.0


class ToolInterrupted(KeyboardInterrupt):
    """Raised by a tool that the user's Ctrl-C stopped midway and that has something to say
    about it (a subagent: how far it got). The agent records `content` as the call's result,
    then ends the run as for any interrupt."""

    def __init__(self, content: str) -> None:
        super().__init__(content)
        self.content = content


@dataclass(frozen=True)
class RunningCall:
    """The call a tool runs for and the agent running it. A tool that acts for the agent
    (the subagent `task` tool: its parent's backend, hooks, policy and call id) reads it from
    `RUNNING_CALL`; a context variable, so concurrent calls in worker threads each see
    their own."""

    agent: Agent
    call: ToolCall


RUNNING_CALL: contextvars.ContextVar[RunningCall | None] = contextvars.ContextVar(
    "running_call", default=None
)


@dataclass
class Limits:
    max_steps: int = 50
    max_consecutive_errors: int = 3
    max_wall_s: float = 3600.0
    max_tokens: int | None = None


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
    ) -> None:
        self.backend = backend
        self.tools = tools
        self.workspace = workspace
        self.policy = policy
        self.hooks = hooks
        self.limits = limits or Limits()
        self.messages: list[Message] = [SystemMessage(content=system_prompt)]
        # the run in progress (a tool acting for this agent, the subagent tool, adds to it)
        self.current: RunResult | None = None
        # set when the user interrupts a step whose calls run in worker threads: each stops
        # at its next chance (a subagent at its next event)
        self.cancelled = threading.Event()

    def run(self, task: str) -> RunResult:
        self.messages.append(UserMessage(content=task))
        result = self.current = RunResult(status=RunStatus.MAX_STEPS)
        self.cancelled.clear()  # an interrupt of an earlier task must not stop this one
        started = time.monotonic()
        self.workspace.deadline = started + self.limits.max_wall_s
        errors_in_a_row = 0
        continued = 0  # times a Stop hook sent the finished model back to work
        try:
            while result.steps < self.limits.max_steps:
                if time.monotonic() - started > self.limits.max_wall_s:
                    result.status = RunStatus.WALL_TIME
                    return result
                stop = self.hooks.stop(result)
                if stop is not None:
                    result.status = stop
                    return result
                result.steps += 1
                self.hooks.on_event(StepStarted(result.steps))
                self.hooks.before_step(result)
                try:
                    finish, calls = self._ask(result)
                except ContextOverflowError:
                    # one retry after compaction frees room; a second overflow is final
                    if not self.hooks.on_overflow():
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
                        result.status, result.error = RunStatus.TRUNCATED, cut
                        return result
                    # the system prompt asks for this mark when the model gives up
                    gave_up = message.content.lstrip().upper().startswith(GAVE_UP_MARK)
                    result.status = RunStatus.GAVE_UP if gave_up else RunStatus.DONE
                    more = self.hooks.after_answer(result, continued)
                    if more is None:
                        return result
                    # sent back: the run goes on under the same step and time limits
                    continued += 1
                    result.status = RunStatus.MAX_STEPS
                    self.messages.append(UserMessage(content=more))
                    continue
                self.hooks.before_tools(calls)
                outcomes = self._execute_all(calls)
                result.outcomes.extend(outcomes)
                errors_in_a_row = errors_in_a_row + 1 if all(o.is_error for o in outcomes) else 0
                if errors_in_a_row >= self.limits.max_consecutive_errors:
                    result.status = RunStatus.MODEL_ERRORS
                    result.error = (
                        f"{errors_in_a_row} steps in a row failed: {outcomes[-1].content}"
                    )
                    return result
            return result
        except BackendError as exc:
            # a turn the run's own deadline stopped is the wall-time limit, not a failure
            late = time.monotonic() >= started + self.limits.max_wall_s
            result.status = RunStatus.WALL_TIME if late else RunStatus.BACKEND_ERROR
            result.error = str(exc)
            return result
        except KeyboardInterrupt:
            result.status, result.error = RunStatus.INTERRUPTED, "interrupted by the user"
            close_unanswered(self.messages, "interrupted by the user before this tool ran")
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
            sent = finish.request if finish else None
            if sent is None and isinstance(exc, BackendError):
                sent = exc.request
            error = f"{type(exc).__name__}: {exc}"
            self.hooks.on_trace(TraceRecord(result.steps, finish, seen, error, sent))
            raise
        if finish is None:
            raise BackendError(f"backend {self.backend.name} ended a turn without finishing it")
        self.hooks.on_trace(TraceRecord(result.steps, finish, seen, None, finish.request))
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

    def _execute_all(self, calls: list[ToolCall]) -> list[ToolOutcome]:
        together = [c for c in calls if c.name in CONCURRENT_TOOLS and not c.error]
        if len(together) < 2 or not self.backend.concurrent_requests:
            return [self._execute(call) for call in calls]
        return self._execute_concurrently(calls)

    def _execute(self, call: ToolCall) -> ToolOutcome:
        started = time.monotonic()
        gated = self._gate(call)
        if isinstance(gated, tuple):
            return self._record(call, *gated, started)
        try:
            result = self._run_tool(call, gated)
        except ToolInterrupted as stop:
            self._record(call, stop.content, True, False, started)
            raise
        return self._record(call, result.content, result.is_error, True, started)

    def _execute_concurrently(self, calls: list[ToolCall]) -> list[ToolOutcome]:
        """Every call is gated here in order (hooks, policy, the user's questions); the
        concurrent tools' calls then run in worker threads at once and the others here after
        them; the results go into history in call order. A Ctrl-C sets `cancelled`, records
        what the running calls say about it, and ends the run."""
        from concurrent.futures import ThreadPoolExecutor, wait

        started = time.monotonic()
        gated = [self._gate(call) for call in calls]
        runnable = {
            i: g
            for i, g in enumerate(gated)
            if not isinstance(g, tuple) and g.name in CONCURRENT_TOOLS
        }
        self.cancelled.clear()
        pool = ThreadPoolExecutor(
            max_workers=max(1, min(len(runnable), 8)), thread_name_prefix="task"
        )
        futures = {
            i: pool.submit(contextvars.copy_context().run, self._run_tool, calls[i], tool)
            for i, tool in runnable.items()
        }
        interrupted = False
        try:
            wait(futures.values())
        except KeyboardInterrupt:
            interrupted = True
            self.cancelled.set()
            wait(futures.values(), timeout=CANCEL_WAIT_S)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        outcomes: list[ToolOutcome] = []
        for i, call in enumerate(calls):
            g = gated[i]
            if isinstance(g, tuple):
                outcomes.append(self._record(call, *g, started))
            elif i in futures:
                outcomes.append(self._collected(call, futures[i], started))
            elif not interrupted:
                outcomes.append(self._execute_gated(call, g))
        if interrupted:
            raise KeyboardInterrupt  # the calls left unrun are closed by `run`
        return outcomes

    def _collected(self, call: ToolCall, future: Any, started: float) -> ToolOutcome:
        if not future.done():
            return self._record(
                call, "Error: interrupted by the user (still stopping)", True, False, started
            )
        try:
            result: ToolResult = future.result()
        except ToolInterrupted as stop:
            return self._record(call, stop.content, True, False, started)
        except BaseException as exc:  # Tool.run turns every Exception into a result already
            return self._record(call, f"Error: {call.name} stopped: {exc!r}", True, False, started)
        return self._record(call, result.content, result.is_error, True, started)

    def _execute_gated(self, call: ToolCall, tool: Tool) -> ToolOutcome:
        started = time.monotonic()
        result = self._run_tool(call, tool)
        return self._record(call, result.content, result.is_error, True, started)

    def _run_tool(self, call: ToolCall, tool: Tool) -> ToolResult:
        token = RUNNING_CALL.set(RunningCall(self, call))
        try:
            return tool.run(self.workspace, call.arguments)
        finally:
            RUNNING_CALL.reset(token)

    def _record(
        self, call: ToolCall, content: str, is_error: bool, ran: bool, started: float
    ) -> ToolOutcome:
        """The call's result into history and out to the hooks (PostToolUse text added to a
        call that ran)."""
        outcome = ToolOutcome(call, content, is_error, time.monotonic() - started)
        added = self.hooks.after_tool(outcome) if ran else None
        if added:
            content = f"{content}\n\n{added}"
            outcome = ToolOutcome(call, content, is_error, time.monotonic() - started)
        self.messages.append(outcome.message())
        self.hooks.on_event(outcome)
        return outcome

    def _gate(self, call: ToolCall) -> Tool | tuple[str, bool, bool]:
        """The tool to run, or (content, is_error, ran=False) when the call does not run."""
        from tools.approval import Verdict, dangerous_command

        if call.error:
            return f"Error: {call.error}", True, False
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(self.tools.names())
            return f"Error: unknown tool {call.name!r}; known: {known}", True, False
        gate = self.hooks.before_tool(call, tool)
        if gate is not None and gate.verdict == "deny":
            return f"Error: blocked by a hook: {gate.reason}", True, False
        verdict, reason = self.policy.decide(tool, call.arguments)
        if verdict is Verdict.DENY:
            return f"Error: not allowed: {reason}", True, False
        if gate is not None and gate.verdict == "ask":
            verdict, reason = Verdict.ASK, f"a hook asks: {gate.reason}"
        elif gate is not None and verdict is Verdict.ASK:
            # a hook's allow answers a question of the mode, never one about a dangerous or
            # unreadable command
            command = str(call.arguments.get("command", ""))
            if not (tool.kind == "shell" and dangerous_command(command)):
                verdict = Verdict.ALLOW
        if verdict is Verdict.ASK and not self.hooks.approve(call, tool, reason):
            return "Error: the user declined this tool call", True, False
        return tool


def _reasoning_only(finish: Finish) -> bool:
    """A turn that stopped on its own with reasoning but no answer and no tool call."""
    message = finish.message
    return (
        finish.reason not in CUT_OFF
        and not message.tool_calls
        and not message.content.strip()
        and bool(message.reasoning.strip())
    )
