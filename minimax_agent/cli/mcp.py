"""`minimax-agent mcp list`: start each configured MCP server, say how it went, stop it.

The servers are found as a conversation finds them (extensions/loader.py: the user's
`[mcp_servers.NAME]` tables, and a trusted project's `.mcp.json`), so what this lists is what
a session in the same directory would start. Each gets its own startup timeout; the command
waits for the slowest, then closes them all. A user error ends it through cli/command.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import Command, Group, command
from minimax_agent.errors import ExitCode

if TYPE_CHECKING:
    from minimax_agent.extensions.mcp.config import McpServerConfig
    from minimax_agent.extensions.mcp.manager import ServerStatus

mcp_app = typer.Typer(
    help="MCP servers: list the configured ones, started, with their state and tools.",
    no_args_is_help=True,
    cls=Group,
)

# beyond the slowest server's own startup timeout: the manager's bookkeeping, not the servers'
_GRACE_S = 5.0


@mcp_app.command("list", cls=Command)
@command
def list_servers(
    directory: flags.Directory = None,
    as_json: flags.AsJson = False,
) -> None:
    """Start the MCP servers a session here would start, wait for each (up to its
    startup_timeout_sec), list its state and tools or its error, and stop them.

    Exit codes: 0 every server ready (or none configured), 1 one failed, 2 a config error.
    """
    from minimax_agent.config import load_settings, user_config_file
    from minimax_agent.extensions.loader import mcp_servers_for
    from minimax_agent.session.workspace import find_workspace
    from minimax_agent.ui.terminal_safe import terminal_safe

    workspace = find_workspace(directory)
    root = workspace.root
    settings = load_settings(root, here=workspace.here)
    servers, warnings = mcp_servers_for(settings, root)
    for warning in [*settings.warnings, *warnings]:  # stderr: stdout is the listing
        typer.echo(terminal_safe(f"minimax-agent: warning: {warning}"), err=True)
    if not servers:
        if as_json:
            typer.echo(json.dumps({"servers": []}, indent=2))
        else:
            typer.echo(
                f"no MCP servers configured for {root}: add [mcp_servers.NAME] tables to "
                f"{user_config_file()}, or a .mcp.json to a trusted project"
            )
        raise typer.Exit(ExitCode.OK)
    statuses = _start_and_stop(servers, root)
    if as_json:
        typer.echo(json.dumps({"servers": [_as_json(s) for s in statuses]}, indent=2))
    else:
        for line in _lines(statuses):
            typer.echo(terminal_safe(line))  # names, errors and tools come from the servers
    # a server still starting when its time ran out is as unusable as one that failed
    failed = any(s.state not in ("ready", "disabled") for s in statuses)
    raise typer.Exit(ExitCode.NOT_DONE if failed else ExitCode.OK)


def _start_and_stop(servers: dict[str, McpServerConfig], root: Path) -> list[ServerStatus]:
    """Every server started, waited for up to the slowest startup timeout, and closed."""
    from minimax_agent.extensions.mcp.manager import McpManager

    timeout = max((s.startup_timeout_s for s in servers.values() if s.enabled), default=0.0)
    # each server's stderr goes where a session's goes (its error quotes the last line)
    manager = McpManager(servers, cwd=root, notify=_ignore, log_dir=log_dir())
    try:
        manager.start()
        manager.wait_ready(timeout + _GRACE_S)
        return manager.status()
    finally:
        manager.close()


def log_dir() -> Path:
    """Where the MCP servers' stderr logs go (`NAME.log`), as in a session."""
    from minimax_agent.session.store import state_dir

    return state_dir() / "mcp"


def _ignore(_: str) -> None:
    """The manager's notices: the listing reports the same states itself."""


def _lines(statuses: list[ServerStatus]) -> list[str]:
    """One line per server: its tools when ready, else why not."""
    from minimax_agent.ui.slash_extensions import short_names

    width = max(len(s.name) for s in statuses)
    lines = []
    for s in statuses:
        head = f"{s.name:<{width}}  {s.transport:<5}  {s.state:<8}"
        if s.state == "ready":
            names = ", ".join(short_names(s)) or "(no tools)"
            lines.append(f"{head}  {len(s.tools)} tools: {names}")
        else:
            log = log_dir() / f"{s.name}.log"
            where = f" (log: {log})" if s.state == "failed" and log.is_file() else ""
            lines.append(f"{head}  {s.error or ''}{where}".rstrip())
    return lines


def _as_json(s: ServerStatus) -> dict[str, Any]:
    from minimax_agent.ui.slash_extensions import short_names

    return {
        "name": s.name,
        "transport": s.transport,
        "state": s.state,
        "error": s.error,
        "tools": short_names(s),
        "agent_tools": list(s.tools),  # the names the model calls them by
        "ready_s": s.ready_s,
    }
