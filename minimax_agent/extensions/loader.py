"""Everything the user's extensions add to one conversation, found and started in one place.

`load_extensions` collects, for a workspace:

- MCP servers: the user's `[mcp_servers.NAME]` tables (and a trusted project file's), then a
  trusted project's `.mcp.json` at the workspace root and the top of its repository; a server
  the user configured under the same name wins. Untrusted, a project's `.mcp.json` starts
  nothing and one warning names the servers it would have started;
- skills and custom commands (text, read in any directory, like AGENTS.md);
- hooks: the user's `[[hooks.EVENT]]` (and a trusted project file's), then a trusted
  project's `.claude/settings.json` hooks, which run after them.

The MCP servers start in the background (`McpManager.start`); nothing here waits for them.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from minimax_agent.trust import CLAUDE_SETTINGS, MCP_JSON, is_trusted, printable, project_roots

if TYPE_CHECKING:
    from minimax_agent.config import Settings
    from minimax_agent.extensions.commands import CustomCommand
    from minimax_agent.extensions.hook_config import HooksConfig
    from minimax_agent.extensions.hooks import HookRunner
    from minimax_agent.extensions.mcp.config import McpServerConfig
    from minimax_agent.extensions.mcp.manager import McpManager
    from minimax_agent.extensions.skills import Skill
    from tools.base import Tool


@dataclass
class Extensions:
    """What one conversation gets from the user's extensions."""

    mcp: McpManager | None = None
    skills: list[Skill] = field(default_factory=list)
    commands: dict[str, CustomCommand] = field(default_factory=dict)
    hooks: HookRunner | None = None  # set once the agent's command environment is known
    hooks_config: HooksConfig = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # what the MCP servers report from their thread (ready, failed, died), for the display;
    # `wake` (the REPL's) is called after each, so an idle prompt shows it at once
    notices: queue.SimpleQueue[str] = field(default_factory=queue.SimpleQueue)
    wake: Callable[[], None] | None = None

    def notify(self, text: str) -> None:
        self.notices.put(text)
        if self.wake is not None:
            self.wake()

    def tools(self) -> list[Tool]:
        """The tools added beside the built-in ones (MCP tools come live from `mcp`)."""
        if not self.skills:
            return []
        from minimax_agent.extensions.skills import load_skill_tool

        return [load_skill_tool(self.skills)]

    def prompt_sections(self) -> list[str]:
        """What the system prompt adds: the skills' names and descriptions."""
        if not self.skills:
            return []
        from minimax_agent.extensions.skills import skills_prompt

        section = skills_prompt(self.skills)
        return [section] if section else []

    def close(self) -> None:
        if self.mcp is not None:
            self.mcp.close()


def project_trusted(settings: Settings, root: Path) -> bool:
    """Whether the workspace's own files may start programs (the trust of trust.py)."""
    return settings.trust_project or is_trusted(root, settings.trusted_projects)


def mcp_servers_for(
    settings: Settings, root: Path, *, trusted: bool | None = None
) -> tuple[dict[str, McpServerConfig], list[str]]:
    """The MCP servers configured for `root`, and warnings (ignored or broken `.mcp.json`)."""
    from minimax_agent.extensions.mcp.config import load_mcp_json

    if trusted is None:
        trusted = project_trusted(settings, root)
    servers = dict(settings.mcp_servers)
    warnings: list[str] = []
    for directory in project_roots(root):
        path = directory / MCP_JSON
        if not path.is_file():
            continue
        found, problems = load_mcp_json(path)
        if not trusted:
            if found:
                names = ", ".join(printable(n) for n in found)
                warnings.append(
                    f"not starting the MCP servers of untrusted {printable(str(path))}: "
                    f"{names} (trust it with --trust-project or /trust)"
                )
            continue
        warnings += problems
        for name, config in found.items():
            servers.setdefault(name, config)  # the user's own config wins
    return servers, warnings


def hooks_for(
    settings: Settings, root: Path, *, trusted: bool | None = None
) -> tuple[HooksConfig, list[str]]:
    """The hooks that apply in `root`: the settings' own, then a trusted project's Claude Code
    settings file's."""
    from minimax_agent.extensions.hook_config import load_claude_hooks

    if trusted is None:
        trusted = project_trusted(settings, root)
    merged: HooksConfig = {event: list(matchers) for event, matchers in settings.hooks.items()}
    warnings: list[str] = []
    for directory in project_roots(root):
        path = directory / CLAUDE_SETTINGS
        if not path.is_file():
            continue
        found, problems = load_claude_hooks(path)
        if not trusted:
            if found:
                warnings.append(
                    f"not running the hooks of untrusted {printable(str(path))} "
                    "(trust it with --trust-project or /trust)"
                )
            continue
        warnings += problems
        for event, matchers in found.items():
            merged.setdefault(event, []).extend(matchers)
    return merged, warnings


def load_extensions(
    settings: Settings,
    root: Path,
    *,
    reserved_commands: Collection[str] = (),
    env: Mapping[str, str] | None = None,
    log_dir: Path | None = None,
    start_mcp: bool = True,
) -> Extensions:
    """The extensions for a conversation in `root`; its MCP servers already starting (their
    stderr goes to `log_dir/NAME.log`)."""
    from minimax_agent.extensions.commands import discover_commands
    from minimax_agent.extensions.skills import discover_skills

    trusted = project_trusted(settings, root)
    found = Extensions()
    skills, skill_warnings = discover_skills(root)
    commands, command_warnings = discover_commands(root, reserved=reserved_commands)
    found.skills, found.commands = skills, commands
    servers, mcp_warnings = mcp_servers_for(settings, root, trusted=trusted)
    found.hooks_config, hook_warnings = hooks_for(settings, root, trusted=trusted)
    found.warnings = [*skill_warnings, *command_warnings, *mcp_warnings, *hook_warnings]
    if servers:
        from minimax_agent.extensions.mcp.manager import McpManager

        found.mcp = McpManager(servers, cwd=root, notify=found.notify, env=env, log_dir=log_dir)
        if start_mcp:
            found.mcp.start()
    return found
