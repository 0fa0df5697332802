"""Tools the agent offers the model: files, shell and git, confined to the workspace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.base import Tool, ToolRegistry, ToolSource


def default_tools(
    *,
    read_only: bool = False,
    sources: Iterable[ToolSource] = (),
    extra: Iterable[Tool] = (),
) -> ToolRegistry:
    """The standard tool set, `extra` tools beside it (the skill loader) and the tools of
    `sources` (MCP servers, asked live); `read_only` keeps only the tools that change
    nothing."""
    # imported here so that importing `tools` (for tools.base, say) stays cheap
    from tools import files, git, job_tools, shell, todo, web
    from tools.base import ToolRegistry

    every = [
        files.read_file,
        files.write_file,
        files.edit_file,
        files.list_dir,
        files.glob,
        files.grep,
        shell.run_command,
        job_tools.command_output,
        job_tools.kill_command,
        git.git_status,
        git.git_diff,
        git.git_log,
        git.git_show,
        git.git_blame,
        git.git_commit,
        web.web_fetch,
        todo.todo_write,
        *extra,
    ]
    # a network tool changes nothing here, so a read-only session keeps it (approval asks)
    kept = (t for t in every if not read_only or t.kind in ("read", "network"))
    return ToolRegistry(kept, sources, read_only=read_only)
