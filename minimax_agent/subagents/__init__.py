"""Subagents: the `task` tool, which runs a child agent with its own conversation and gives
back only its answer, and the agent definitions it offers (`.minimax-agent/agents/*.md`,
`.claude/agents/*.md`)."""

from __future__ import annotations

from minimax_agent.subagents.child import TOOL_NAME
from minimax_agent.subagents.definitions import AgentDefinition, discover_agents, user_agent_dirs
from minimax_agent.subagents.tool import CHILD_MAX_STEPS, task_tool

__all__ = [
    "CHILD_MAX_STEPS",
    "TOOL_NAME",
    "AgentDefinition",
    "discover_agents",
    "task_tool",
    "user_agent_dirs",
]
