"""What a run reports and where its owner decides: the `Hooks` the Agent (agent.py) is given,
`Tee` to share them between a display and a trace, and `ToolGate`, a PreToolUse hook's verdict.

A module of its own so that the loop stays the loop; agent.py re-exports all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from minimax_agent.events import (
        AgentEvent,
        RunResult,
        RunStatus,
        ToolCall,
        ToolOutcome,
        TraceRecord,
    )
    from tools.base import Tool


class Hooks:
    """Where a run's events go and where its owner decides. Every method has a default that
    does nothing (or says no), so a writer overrides only what it uses."""

    def on_event(self, event: AgentEvent) -> None:
        """A delta, tool call, tool result, usage, step start, finish or notice, in order."""

    def on_trace(self, record: TraceRecord) -> None:
        """One model exchange, after it ended (for `--trace`)."""

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        """Whether a call the policy asks about may run; unattended, nobody says yes."""
        return False

    def stop(self, result: RunResult) -> RunStatus | None:
        """Asked before each step: a status to end the run with now, or None to go on."""
        return None

    def before_step(self, result: RunResult) -> None:
        """A step has started (its `StepStarted` is out) and its request is not built yet."""

    def before_tools(self, calls: list[ToolCall]) -> None:
        """The step's tool calls are about to run."""

    def on_overflow(self) -> bool:
        """The backend said the context overflowed: True when room was made (one retry)."""
        return False

    def before_tool(self, call: ToolCall, tool: Tool) -> ToolGate | None:
        """A say on one call before the approval policy's (PreToolUse hooks), or None.

        `deny`: the call does not run and the reason goes back to the model. `ask`: the user
        is asked even where the policy would allow (headless nobody answers: denied). `allow`:
        a question the policy would ask is skipped. A gate may loosen approval, never the
        safety floor: a policy DENY (a read-only session, anything headless the mode does not
        allow) still stands, and so does the question about a command the deny-list names or
        cannot check.
        """
        return None

    def after_tool(self, outcome: ToolOutcome) -> str | None:
        """Text to add to a result the model sees (PostToolUse hooks), or None. Asked for
        calls that ran only."""
        return None

    def after_answer(self, result: RunResult, continued: int) -> str | None:
        """The model ended with an answer (done or gave up, not cut off): an instruction
        that sends it back to work (Stop hooks), or None to end the run. `continued`: how
        many times this run was sent back already."""
        return None


@dataclass(frozen=True)
class ToolGate:
    """What a PreToolUse hook decided about one call, and why (see `Hooks.before_tool`)."""

    verdict: Literal["allow", "deny", "ask"]
    reason: str


class Tee(Hooks):
    """One hooks object for several consumers (a display and a trace): every event and trace
    record reaches each of them in turn; `first` alone decides (approvals, stops) and runs the
    extension points."""

    def __init__(self, first: Hooks, *others: Hooks | None) -> None:
        self.first = first
        self.others = [o for o in others if o is not None]

    def on_event(self, event: AgentEvent) -> None:
        self.first.on_event(event)
        for other in self.others:
            other.on_event(event)

    def on_trace(self, record: TraceRecord) -> None:
        self.first.on_trace(record)
        for other in self.others:
            other.on_trace(record)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        return self.first.approve(call, tool, reason)

    def stop(self, result: RunResult) -> RunStatus | None:
        return self.first.stop(result)

    def before_step(self, result: RunResult) -> None:
        self.first.before_step(result)

    def before_tools(self, calls: list[ToolCall]) -> None:
        self.first.before_tools(calls)

    def on_overflow(self) -> bool:
        return self.first.on_overflow()

    def before_tool(self, call: ToolCall, tool: Tool) -> ToolGate | None:
        return self.first.before_tool(call, tool)

    def after_tool(self, outcome: ToolOutcome) -> str | None:
        return self.first.after_tool(outcome)

    def after_answer(self, result: RunResult, continued: int) -> str | None:
        return self.first.after_answer(result, continued)
