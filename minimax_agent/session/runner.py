"""Wiring shared by the commands: settings → backend, tools, policy → Agent; result → report."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.agent import Agent, Hooks, Limits
from minimax_agent.backends import load_backend
from minimax_agent.config import Settings
from minimax_agent.errors import ExitCode
from minimax_agent.events import RunResult, RunStatus
from minimax_agent.session.prompt import system_prompt
from minimax_agent.trust import PROJECT_FILE, protected_paths
from tools.modes import ApprovalMode

if TYPE_CHECKING:
    from minimax_agent.backends import Backend
    from minimax_agent.config_sections import LimitSettings, SafetySettings
    from minimax_agent.extensions.loader import Extensions
    from tools.base import ToolRegistry
    from tools.sandbox import Sandbox

EXIT_FOR_STATUS: dict[RunStatus, ExitCode] = {
    RunStatus.DONE: ExitCode.OK,
    RunStatus.GAVE_UP: ExitCode.NOT_DONE,
    RunStatus.TRUNCATED: ExitCode.NOT_DONE,
    RunStatus.MAX_STEPS: ExitCode.NOT_DONE,
    RunStatus.WALL_TIME: ExitCode.NOT_DONE,
    RunStatus.MODEL_ERRORS: ExitCode.NOT_DONE,
    RunStatus.BACKEND_ERROR: ExitCode.BACKEND,
    RunStatus.INTERRUPTED: ExitCode.INTERRUPTED,
    RunStatus.BLOCKED: ExitCode.NOT_DONE,
}


def limits_for(limits: LimitSettings) -> Limits:
    """The run's limits from its settings' section (fix, the REPL and every review chunk)."""
    return Limits(
        max_steps=limits.max_steps,
        max_consecutive_errors=limits.max_consecutive_errors,
        max_wall_s=limits.max_wall_s,
        max_tokens=limits.max_tokens,
    )


def build_agent(
    settings: Settings,
    root: Path,
    hooks: Hooks,
    *,
    interactive: bool,
    subdir: Path = Path("."),
    extensions: Extensions | None = None,
) -> Agent:
    """The agent for one conversation; `extensions` adds the user's MCP tools (live: a server
    that becomes ready later adds them to the next step), the skill tool and the skills'
    section of the system prompt."""
    from tools.approval import ApprovalPolicy
    from tools.workspace import Workspace

    workspace = Workspace(root)
    # the repository is untrusted: write tools refuse the agent's own config, and git_commit
    # runs the repository's hooks only when the user allowed them
    workspace.protected = protected_paths(workspace.root)
    workspace.protected_names = frozenset({PROJECT_FILE.casefold()})
    workspace.git_hooks = settings.git_hooks
    # hosts web_fetch may reach on private addresses; approval lets the same ones run unasked
    workspace.web_fetch_allow = tuple(settings.web_fetch_allow)
    workspace.sandbox = sandbox_for(settings.safety, workspace.root, interactive=interactive)
    backend = load_backend(settings)
    workspace.command_env = command_env_for(settings.safety, backend)
    return Agent(
        backend,
        tools_for(settings.approval, extensions, workspace.root),
        workspace,
        # under the OS sandbox the deny-list is advice: a command the parser cannot check
        # may run headless in full-auto, since the sandbox contains it
        ApprovalPolicy(
            settings.approval,
            interactive=interactive,
            sandboxed=workspace.sandbox is not None,
            network_allow=workspace.web_fetch_allow,
        ),
        hooks,
        system_prompt=system_prompt(
            workspace.root, subdir, extensions.prompt_sections() if extensions else ()
        ),
        limits=limits_for(settings.limits),
    )


def tools_for(
    mode: ApprovalMode, extensions: Extensions | None, root: Path | None = None
) -> ToolRegistry:
    """The tools a session in `mode` offers: the built-in ones, the skill loader, the MCP
    servers' (a read-only session keeps only those that change nothing) and, given the
    workspace `root`, the subagent `task` tool with the agent definitions found for it."""
    from tools import default_tools

    extra = list(extensions.tools()) if extensions else []
    if root is not None:
        from minimax_agent.subagents import discover_agents, task_tool

        definitions, warnings = discover_agents(root)
        for warning in warnings:
            logging.getLogger("minimax_agent").warning("minimax-agent: %s", warning)
        extra.append(task_tool(definitions))
    return default_tools(
        read_only=mode is ApprovalMode.READ_ONLY,
        sources=[extensions.mcp] if extensions and extensions.mcp else [],
        extra=extra,
    )


def sandbox_for(settings: SafetySettings, root: Path, *, interactive: bool) -> Sandbox | None:
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


def command_env_for(safety: SafetySettings, backend: Backend) -> dict[str, str]:
    """The environment the run's commands get (tools/environment.py), with the variables the
    user passes through (`safety.pass_env`); first the run's own secrets, the resolved
    provider key and its secret headers, join the Redactor, so every output redacts them and
    no variable that carries them reaches a command."""
    import os

    from minimax_agent import redact
    from tools.environment import command_environment

    # the backend says which values it sends (the OpenAI backend: its resolved key and secret
    # headers), rather than the provider being resolved a second time here
    redact.add_secrets(*backend.secrets())
    return command_environment(
        os.environ, secret_values=redact.current().secrets, pass_env=safety.pass_env
    )


def usage_totals(result: RunResult) -> dict[str, Any]:
    def total(name: str) -> int | float | None:
        values = [getattr(u, name) for u in result.usage if getattr(u, name) is not None]
        return sum(values) if values else None

    totals: dict[str, Any] = {
        "prompt_tokens": total("prompt_tokens"),
        "completion_tokens": total("completion_tokens"),
        "cached_tokens": total("cached_tokens"),
        "cost": total("cost"),
        "per_step": [asdict(u) for u in result.usage],
    }
    # the prompt-cache writes an endpoint reports (the Anthropic API's cache_creation tokens)
    written = [
        u.extra["cache_creation_tokens"] for u in result.usage if "cache_creation_tokens" in u.extra
    ]
    if written:
        totals["cache_creation_tokens"] = sum(written)
    if result.subagent_usage:
        # the task tool's children: their steps are not the run's, but they are paid for
        totals["subagents"] = usage_totals(RunResult(RunStatus.DONE, usage=result.subagent_usage))
        del totals["subagents"]["per_step"]
    return totals


def result_json(result: RunResult) -> dict[str, Any]:
    """The documented `fix --output-format json` object, secrets redacted."""
    from minimax_agent.redact import current

    record = {
        "status": result.status.value,
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
