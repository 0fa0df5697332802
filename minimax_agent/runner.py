"""Wiring shared by the commands: settings → backend, tools, policy → Agent; result → report."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from minimax_agent.agent import Agent, Hooks, Limits, RunResult, Tracer
from minimax_agent.backends import load_backend
from minimax_agent.config import Settings
from minimax_agent.errors import ExitCode
from minimax_agent.modes import ApprovalMode
from minimax_agent.prompt import system_prompt

EXIT_FOR_STATUS = {
    "done": ExitCode.OK,
    "gave_up": ExitCode.NOT_DONE,
    "max_steps": ExitCode.NOT_DONE,
    "wall_time": ExitCode.NOT_DONE,
    "model_errors": ExitCode.NOT_DONE,
    "backend_error": ExitCode.BACKEND,
    "interrupted": ExitCode.INTERRUPTED,
}


def build_agent(
    settings: Settings,
    root: Path,
    hooks: Hooks,
    *,
    interactive: bool,
    tracer: Tracer | None = None,
) -> Agent:
    from tools import default_tools
    from tools.approval import ApprovalPolicy
    from tools.workspace import Workspace

    workspace = Workspace(root)
    backend = load_backend(settings)
    return Agent(
        backend,
        default_tools(read_only=settings.approval is ApprovalMode.READ_ONLY),
        workspace,
        ApprovalPolicy(settings.approval, interactive=interactive),
        hooks,
        system_prompt=system_prompt(workspace.root),
        limits=Limits(
            max_steps=settings.max_steps,
            max_consecutive_errors=settings.max_consecutive_errors,
            max_wall_s=settings.max_wall_s,
            max_tokens=settings.max_tokens,
        ),
        tracer=tracer,
    )


def usage_totals(result: RunResult) -> dict[str, Any]:
    def total(name: str) -> int | float | None:
        values = [getattr(u, name) for u in result.usage if getattr(u, name) is not None]
        return sum(values) if values else None

    return {
        "prompt_tokens": total("prompt_tokens"),
        "completion_tokens": total("completion_tokens"),
        "cached_tokens": total("cached_tokens"),
        "cost": total("cost"),
        "per_step": [asdict(u) for u in result.usage],
    }


def result_json(result: RunResult) -> dict[str, Any]:
    """The documented `fix --output-format json` object."""
    return {
        "status": result.status,
        "exit_code": EXIT_FOR_STATUS[result.status],
        "final_answer": result.final_text,
        "steps": result.steps,
        "tool_calls": [
            {
                "id": o.call.id,
                "name": o.call.name,
                "arguments": o.call.arguments,
                "is_error": o.is_error,
                "result": o.content,
                "seconds": round(o.seconds, 4),
            }
            for o in result.outcomes
        ],
        "usage": usage_totals(result),
        "error": result.error,
    }
