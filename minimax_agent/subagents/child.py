"""What a child agent gets from its parent: tools, workspace, policy, and hooks that carry its
events out under the parent's call.

The child never gets more than the parent: its tools are a subset of the parent's (never the
`task` tool itself: no nesting), a write, shell or external tool only where the parent's mode
lets such tools run at all, the same approval mode, sandbox, command environment and protected
paths, and no "always allow" answer the user gave the parent. Its questions go to the same
user through the parent's hooks, its PreToolUse/PostToolUse hooks are the parent's too.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from minimax_agent.agent import Hooks, ToolGate
from minimax_agent.events import AgentEvent, ChildEvent, Notice, RunStatus

if TYPE_CHECKING:
    from minimax_agent.agent import Agent
    from minimax_agent.events import RunResult, ToolCall, ToolOutcome
    from minimax_agent.subagents.definitions import AgentDefinition
    from tools.approval import ApprovalPolicy
    from tools.base import Tool, ToolRegistry
    from tools.workspace import Workspace

TOOL_NAME = "task"
# the read-only tools a child gets when its definition names none
DEFAULT_TOOLS = (
    "read_file",
    "list_dir",
    "glob",
    "grep",
    "git_status",
    "git_diff",
    "git_log",
    "git_show",
    "git_blame",
    "load_skill",
)
# one lock for every child's calls into its parent's hooks: concurrent children (remote
# backends) run in worker threads, and a display or a session writer is not thread-safe
_HOOKS_LOCK = threading.RLock()


class ChildHooks(Hooks):
    """A child's hooks: every event goes to the parent's hooks wrapped in `ChildEvent`;
    questions and tool hooks are the parent's; the parent's `cancelled` (a Ctrl-C during
    concurrent children) stops the child at its next event."""

    def __init__(self, parent: Agent, call_id: str, label: str) -> None:
        self.parent = parent
        self.call_id = call_id
        self.label = label

    def _check(self) -> None:
        if self.parent.cancelled.is_set():
            raise KeyboardInterrupt  # the child's run ends as interrupted

    def on_event(self, event: AgentEvent) -> None:
        if isinstance(event, ChildEvent):  # a child never runs children; kept flat anyway
            event = event.event
        with _HOOKS_LOCK:
            self.parent.hooks.on_event(ChildEvent(self.call_id, event))
        self._check()

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        with _HOOKS_LOCK:
            return self.parent.hooks.approve(call, tool, f"subagent {self.label}: {reason}")

    def stop(self, result: RunResult) -> RunStatus | None:
        return RunStatus.INTERRUPTED if self.parent.cancelled.is_set() else None

    def before_tools(self, calls: list[ToolCall]) -> None:
        # the parent's checkpoint before a step that may change files covers a child's too
        with _HOOKS_LOCK:
            self.parent.hooks.before_tools(calls)

    def before_tool(self, call: ToolCall, tool: Tool) -> ToolGate | None:
        with _HOOKS_LOCK:
            return self.parent.hooks.before_tool(call, tool)

    def after_tool(self, outcome: ToolOutcome) -> str | None:
        with _HOOKS_LOCK:
            return self.parent.hooks.after_tool(outcome)

    def notice(self, kind: str, text: str) -> None:
        with _HOOKS_LOCK:
            self.parent.hooks.on_event(ChildEvent(self.call_id, Notice(kind, text)))


def child_tools(
    parent: ToolRegistry, read_only: bool, definition: AgentDefinition | None
) -> tuple[ToolRegistry, list[str]]:
    """The child's tools and notes on what a definition asked for and did not get."""
    from tools.base import ToolRegistry

    wanted: Sequence[str] = DEFAULT_TOOLS
    if definition is not None and definition.tools is not None:
        wanted = definition.tools
    notes: list[str] = []
    chosen: list[Tool] = []
    for name in wanted:
        found = parent.get(name)
        if name == TOOL_NAME:
            notes.append("a subagent cannot start subagents: task left out")
        elif found is None:
            if definition is not None and definition.tools is not None:
                notes.append(f"tool {name!r} is not one this session has: left out")
        elif found.kind != "read" and read_only:
            notes.append(f"tool {name!r} changes things and the session is read-only: left out")
        else:
            chosen.append(found)
    return ToolRegistry(chosen, read_only=read_only), notes


def child_policy(parent: ApprovalPolicy) -> ApprovalPolicy:
    """The parent's mode, interactivity, sandboxing and web_fetch allow list (the user's
    settings), without the answers remembered during the session."""
    from tools.approval import ApprovalPolicy

    return ApprovalPolicy(
        parent.mode, parent.interactive, parent.sandboxed, network_allow=parent.network_allow
    )


def child_workspace(parent: Workspace) -> Workspace:
    """The same root, sandbox, environment and protected paths, as a separate object: a run
    sets and clears its workspace's deadline, which must not end the parent's."""
    return copy.copy(parent)
