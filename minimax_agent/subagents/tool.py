"""The `task` tool: delegate a self-contained piece of work to a child agent.

The child is an `Agent` of its own: a system prompt of the child's role (and the chosen
definition's instructions), its own messages, read-only tools unless a definition names
others (see child.py for what it may get), a step limit, and the parent's backend. Only its
final answer and a usage line come back as the call's result; none of its steps enter the
parent's history. Its events reach the parent's hooks as `ChildEvent`s under the call's id.

In-process, the child's prompt would evict the parent's KV cache, so the child runs inside
`backend.keep_cache()`: the local backend copies the cache before and puts it back after, and
the parent's next step evaluates only what it adds (benchmarks/subagent_cache.py).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from minimax_agent.agent import RUNNING_CALL, Agent, Limits, ToolInterrupted
from minimax_agent.events import RunResult, RunStatus
from minimax_agent.subagents.child import (
    TOOL_NAME,
    ChildHooks,
    child_policy,
    child_tools,
    child_workspace,
)
from tools.base import Tool, tool
from tools.errors import ToolError
from tools.modes import ApprovalMode
from tools.workspace import Workspace  # at run time: pydantic reads the signature

if TYPE_CHECKING:
    from minimax_agent.subagents.definitions import AgentDefinition

__all__ = ["CHILD_MAX_STEPS", "CHILD_ROLE", "task_tool"]

CHILD_MAX_STEPS = 20
LISTED_AGENTS = 50
LISTING_CHARS = 4000
CHILD_ROLE = """You are a subagent of minimax-agent: another agent gave you one task in the
user's repository and sees nothing of your work but your final answer. Work through your tools,
then end with an answer that stands on its own: what you found or did, with the paths, names
and lines the other agent needs. Do not ask questions; nobody answers them. If you cannot
finish, begin your final answer with "NOT DONE:" and say why. Paths are relative to the
workspace root."""

DESCRIPTION = """Run a subagent: a separate agent with its own conversation and read-only tools
(unless its definition says otherwise) that works on `prompt` and returns only its final answer.
Use it for self-contained exploration or research whose steps need not fill this conversation
(find where something is implemented, survey how a feature works across files). The prompt
must say everything the subagent needs: it does not see this conversation. Several task calls
in one turn may run at the same time."""


def task_tool(
    definitions: Sequence[AgentDefinition] = (), *, max_steps: int = CHILD_MAX_STEPS
) -> Tool:
    """The `task` tool over `definitions` (kind "read": what the child may do is decided by
    its own tools and policy, which are never looser than the parent's)."""
    by_name = {d.name: d for d in definitions}

    def task(
        ws: Workspace,
        description: Annotated[
            str, Field(description="A short (3-6 words) label of the task, shown to the user.")
        ],
        prompt: Annotated[str, Field(description="The full task for the subagent.")],
        agent: Annotated[
            str | None,
            Field(description="The name of an agent definition listed below; default: none."),
        ] = None,
    ) -> str:
        running = RUNNING_CALL.get()
        if running is None:
            raise ToolError("the task tool runs only inside an agent's step")
        definition = None
        if agent is not None and agent.strip():
            definition = by_name.get(agent.strip())
            if definition is None:
                known = ", ".join(sorted(by_name)) or "(none defined)"
                raise ToolError(f"no agent named {agent!r}; the agents are: {known}")
        if not prompt.strip():
            raise ToolError("prompt must say what the subagent is to do")
        steps = min(max_steps, running.agent.limits.max_steps)
        return _run_child(running.agent, running.call.id, description, prompt, definition, steps)

    made = tool("read", name=TOOL_NAME)(task)
    return dataclasses.replace(made, description=DESCRIPTION + _listing(definitions))


def _listing(definitions: Sequence[AgentDefinition]) -> str:
    if not definitions:
        return ""
    lines = ["", "", "Agents (pass one's name as `agent`):"]
    used = 0
    for d in definitions[:LISTED_AGENTS]:
        line = f"- {d.name}: {d.description}"
        if used + len(line) > LISTING_CHARS:
            break
        lines.append(line)
        used += len(line) + 1
    shown = len(lines) - 3
    if shown < len(definitions):
        lines.append(f"({len(definitions) - shown} more not listed)")
    return "\n".join(lines)


def _system_prompt(parent: Agent, definition: AgentDefinition | None) -> str:
    from minimax_agent.session.memory import project_instructions

    root = parent.workspace.root
    parts = [CHILD_ROLE, f"# Workspace\n- Workspace root: {root}"]
    parts += project_instructions(root)
    if definition is not None and definition.prompt:
        parts.append(f"# Your role: {definition.name}\n{definition.prompt}")
    return "\n\n".join(parts)


def _run_child(
    parent: Agent,
    call_id: str,
    description: str,
    prompt: str,
    definition: AgentDefinition | None,
    max_steps: int,
) -> str:
    label = definition.name if definition else "general"
    hooks = ChildHooks(parent, call_id, label)
    read_only = parent.policy.mode is ApprovalMode.READ_ONLY
    tools, notes = child_tools(parent.tools, read_only, definition)
    if definition is not None and definition.model and definition.model != "inherit":
        own = parent.backend.model_name
        if definition.model != own:
            notes.append(
                f"model {definition.model!r} ignored: subagents run on the session's backend "
                f"({parent.backend.name}{', ' + own if own else ''})"
            )
    for note in notes:
        hooks.notice("subagent", f"subagent {label}: {note}")
    # the child may not outlive the parent's own wall-time limit
    deadline = parent.workspace.deadline
    left = deadline - time.monotonic() if deadline is not None else parent.limits.max_wall_s
    child = Agent(
        parent.backend,
        tools,
        child_workspace(parent.workspace),
        child_policy(parent.policy),
        hooks,
        system_prompt=_system_prompt(parent, definition),
        limits=Limits(
            max_steps=max_steps,
            max_consecutive_errors=parent.limits.max_consecutive_errors,
            max_wall_s=max(left, 1.0),
            max_tokens=parent.limits.max_tokens,
        ),
    )
    task = f"{description.strip()}\n\n{prompt.strip()}" if description.strip() else prompt
    with parent.backend.keep_cache():
        result = child.run(task)
    if parent.current is not None:  # what the child cost counts in the parent run's totals
        parent.current.subagent_usage.extend(result.usage)
    return _answer(label, result)


def _usage_line(label: str, result: RunResult) -> str:
    prompt = sum(u.prompt_tokens or 0 for u in result.usage)
    completion = sum(u.completion_tokens or 0 for u in result.usage)
    return (
        f"[subagent {label}: {result.steps} step{'s' if result.steps != 1 else ''}, "
        f"{prompt} prompt + {completion} completion tokens]"
    )


def _answer(label: str, result: RunResult) -> str:
    usage = _usage_line(label, result)
    if result.status is RunStatus.INTERRUPTED:
        raise ToolInterrupted(
            f"Error: the subagent was interrupted by the user after {result.steps} steps, "
            f"before it answered. {usage}"
        )
    if result.status in (RunStatus.DONE, RunStatus.GAVE_UP):
        return f"{result.final_text.strip()}\n\n{usage}"
    why = result.error or {
        RunStatus.MAX_STEPS: f"it reached its step limit ({result.steps} steps)",
        RunStatus.WALL_TIME: "it ran out of time",
    }.get(result.status, result.status.value)
    raise ToolError(f"the subagent did not finish ({result.status.value}): {why}. {usage}")
