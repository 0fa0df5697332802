"""The REPL's view of the user's extensions: `/mcp`, `/skills` and custom commands `/NAME`.

The extensions themselves are loaded with the conversation (minimax_agent/extensions/loader.py)
and reached as `repl.conv.extensions`; this module only shows them and turns a custom
command's line into the prompt it stands for. ui/slash.py calls in here lazily, so nothing
below is imported before the prompt is drawn.

What is shown comes from outside the agent (a server's names, errors and tool descriptions, a
SKILL.md's front matter), so it is printed as `Text`, never as rich markup, through the
session's escape-safe console.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minimax_agent.extensions.commands import CustomCommand
    from minimax_agent.extensions.loader import Extensions
    from minimax_agent.extensions.mcp.manager import ServerStatus
    from minimax_agent.ui.repl_protocol import Repl

# where a user puts what the REPL finds (said when nothing is there yet)
MCP_WHERE = (
    "add [mcp_servers.NAME] tables (command/args/env, or url) to {config}, or a .mcp.json "
    '({{"mcpServers": {{...}}}}) at the project root of a trusted directory'
)
SKILLS_WHERE = (
    "put SKILL.md files (YAML front matter: name, description) in .agents/skills/NAME/ or "
    ".claude/skills/NAME/ of the project, or in {user}"
)


def _where(path: Path, root: Path) -> str:
    """A path as the user reads it: relative inside the workspace, `~/…` under home."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


# -- /mcp ---------------------------------------------------------------------------------------


def short_names(status: ServerStatus) -> list[str]:
    """A server's tools as it names them (`add`), not as the agent does (`mcp__NAME__add`);
    a name the agent had to make safe (with a digest) stays whole."""
    prefix = f"mcp__{status.name}__"
    return [t.removeprefix(prefix) for t in status.tools]


def show_mcp(repl: Repl, arg: str) -> None:
    """`/mcp`: every configured server, its state and tool count; `/mcp NAME`: its tools."""
    from rich.table import Table
    from rich.text import Text

    manager = repl.conv.extensions.mcp
    statuses = manager.status() if manager is not None else []
    if not statuses:
        from minimax_agent.config import user_config_file

        repl.say("no MCP servers configured")
        repl.say("  " + MCP_WHERE.format(config=_where(user_config_file(), repl.root)), "dim")
        return
    if arg:
        found = [s for s in statuses if s.name == arg]
        if not found:
            known = ", ".join(s.name for s in statuses)
            repl.say(f"no MCP server {arg!r}; configured: {known}", "red")
            return
        _show_server_tools(repl, found[0].name)
        return
    table = Table(box=None, padding=(0, 2), header_style="bold")
    for column in ("server", "transport", "state", "tools", "error"):
        table.add_column(column)
    for status in statuses:
        style = {"ready": "green", "failed": "red", "starting": "yellow"}.get(status.state, "dim")
        count = str(len(status.tools)) if status.state == "ready" else "-"
        table.add_row(
            Text(status.name),
            Text(status.transport),
            Text(status.state, style=style),
            Text(count),
            Text(status.error or "", style="red"),
        )
    repl.console.print(table)
    repl.say("/mcp NAME lists a server's tools", "dim")


def _show_server_tools(repl: Repl, name: str) -> None:
    from rich.table import Table
    from rich.text import Text

    manager = repl.conv.extensions.mcp
    assert manager is not None  # the caller found the server in its status
    status = next(s for s in manager.status() if s.name == name)
    if status.state != "ready":
        detail = f": {status.error}" if status.error else ""
        repl.say(f"MCP server {name} is {status.state}{detail}", "yellow")
        return
    about = {t.name: t.description for t in manager.tools()}
    repl.say(f"MCP server {name} ({status.transport}): {len(status.tools)} tools", "bold")
    table = Table(show_header=False, box=None, padding=(0, 2))
    for agent_name, short in zip(status.tools, short_names(status), strict=True):
        # the first line of a description: some servers write pages
        first = about.get(agent_name, "").strip().split("\n", 1)[0]
        table.add_row(Text(short), Text(first), Text(agent_name, style="dim"))
    repl.console.print(table)


# -- /skills ------------------------------------------------------------------------------------


def show_skills(repl: Repl, arg: str) -> None:
    """`/skills`: each skill the model is told about: name, scope, file, description."""
    skills = repl.conv.extensions.skills
    if not skills:
        from minimax_agent.extensions.skills import user_skill_dirs

        users = " or ".join(_where(d, repl.root) + "/NAME/" for d in user_skill_dirs())
        repl.say("no skills found")
        repl.say("  " + SKILLS_WHERE.format(user=users), "dim")
        return
    # lines, not a table: a description or path is never cut or wrapped into a column
    for skill in skills:
        repl.say(f"{skill.name}  ({skill.scope})  {_where(skill.path, repl.root)}", "bold")
        repl.say(f"    {skill.description}")


# -- custom commands ----------------------------------------------------------------------------


def _commands(repl: Repl) -> Mapping[str, CustomCommand]:
    return repl.conv.extensions.commands


def custom_prompt(repl: Repl, line: str, builtin: frozenset[str]) -> str | None:
    """The prompt a `/NAME args` line stands for when NAME is a custom command (and not one of
    the `builtin` names, which win), with a dim line saying where it came from; else None.
    "" when the command could not be expanded (said in red)."""
    from minimax_agent.errors import USER_ERRORS
    from minimax_agent.extensions.commands import expand_command

    name, _, arguments = line[1:].strip().partition(" ")
    if not name or name in builtin:
        return None
    found = _commands(repl).get(name)
    if found is None:
        return None
    try:
        prompt = expand_command(found, arguments.strip())
    except USER_ERRORS as exc:  # a command file that cannot be read back: the session goes on
        repl.say(f"/{name}: {exc}", "red")
        return ""
    repl.say(f"(/{name} → {len(prompt):,} characters from {_where(found.path, repl.root)})", "dim")
    return prompt


def usage(command: CustomCommand) -> str:
    """`/NAME ARGUMENT-HINT`, as /help and completion show it."""
    hint = f" {command.argument_hint}" if command.argument_hint else ""
    return f"/{command.name}{hint}"


def help_rows(repl: Repl) -> list[tuple[str, str]]:
    """The "Custom commands" part of /help: (usage, description) per command."""
    return [(usage(found), found.description) for found in _commands(repl).values()]


def completions(extensions: Extensions) -> dict[str, str]:
    """Custom command name → what the completion menu shows beside it (the loader has left
    out any that a built-in name would hide)."""
    return {name: found.description for name, found in extensions.commands.items()}
