"""Wiring shared by the commands: settings → backend, tools, policy → Agent; result → report."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.agent import Agent, Hooks, Limits, RunResult, Tracer
from minimax_agent.backends import load_backend
from minimax_agent.config import Settings
from minimax_agent.errors import ExitCode
from minimax_agent.modes import ApprovalMode
from minimax_agent.session.prompt import system_prompt
from minimax_agent.trust import protected_paths

if TYPE_CHECKING:
    from minimax_agent.backends import Backend
    from tools.sandbox import Sandbox

EXIT_FOR_STATUS = {
    "done": ExitCode.OK,
    "gave_up": ExitCode.NOT_DONE,
    "truncated": ExitCode.NOT_DONE,
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
    # the repository is untrusted: write tools refuse the agent's own config, and git_commit
    # runs the repository's hooks only when the user allowed them
    workspace.protected = protected_paths(workspace.root)
    workspace.git_hooks = settings.git_hooks
    workspace.sandbox = sandbox_for(settings, workspace.root, interactive=interactive)
    backend = load_backend(settings)
    workspace.command_env = command_env_for(settings, backend)
    return Agent(
        backend,
        default_tools(read_only=settings.approval is ApprovalMode.READ_ONLY),
        workspace,
        # under the OS sandbox the deny-list is advice: a command the parser cannot check
        # may run headless in full-auto, since the sandbox contains it
        ApprovalPolicy(
            settings.approval, interactive=interactive, sandboxed=workspace.sandbox is not None
        ),
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


def sandbox_for(settings: Settings, root: Path, *, interactive: bool) -> Sandbox | None:
    """The OS sandbox for the run's commands (tools/sandbox.py). Headless and full-auto runs
    refuse to go on without one; an attended session that did not ask for a level falls back
    to none with a warning, since a person approves each command (so does a headless
    read-only run: it has no command tool)."""
    from tools.sandbox import agent_dirs, choose_sandbox

    mode = settings.approval
    sandbox, warning = choose_sandbox(
        settings.sandbox,
        root,
        unattended=mode is ApprovalMode.FULL_AUTO
        or (not interactive and mode is not ApprovalMode.READ_ONLY),
        network=settings.sandbox_network,
        git_writable=settings.sandbox_git_writable,
        hide=tuple(agent_dirs()),
    )
    if warning and interactive:
        logging.getLogger("minimax_agent").warning("minimax-agent: warning: %s", warning)
    return sandbox


def command_env_for(settings: Settings, backend: Backend) -> dict[str, str]:
    """The environment the run's commands get (tools/environment.py); first the run's own
    secrets, the resolved provider key and its secret headers, join the Redactor, so every
    output redacts them and no variable that carries them reaches a command."""
    import os

    from minimax_agent import redact
    from minimax_agent.providers import Provider
    from tools.environment import command_environment

    # Only the OpenAI-compatible backend holds a key; its resolved Provider says which (read
    # here rather than resolved a second time).
    provider = getattr(backend, "provider", None)
    if isinstance(provider, Provider):
        config = provider.config
        redact.add_secrets(
            provider.api_key,
            *redact.header_secrets(config.headers),
            *redact.header_secrets(config.extra_body),
        )
    return command_environment(
        os.environ, secret_values=redact.current().secrets, pass_env=settings.pass_env
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
    """The documented `fix --output-format json` object, secrets redacted."""
    from minimax_agent.redact import current

    record = {
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
    # values only: a tool argument that happens to be called `key` is data here
    redacted: dict[str, Any] = current().value(record, fields=False)
    return redacted
