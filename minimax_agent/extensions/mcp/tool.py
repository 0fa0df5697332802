"""An MCP server's tool as an ordinary `Tool`: its name, kind and schema.

Names are `mcp__SERVER__TOOL`, the convention other agents use, so a user's allow lists and
habits carry over. Providers accept tool names of at most 64 characters from
`[A-Za-z0-9_-]`; a server may name a tool anything, so a name outside that set is shortened
to a safe form that ends in a hash of the full name: stable across runs (an "always allow"
answer still matches) and distinct for distinct tools.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tools.base import Tool, ToolKind
from tools.workspace import Workspace

if TYPE_CHECKING:
    from mcp import types

    from minimax_agent.extensions.mcp.config import McpServerConfig

MAX_NAME = 64
_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9_-]+")

# (workspace, the server's tool name, validated arguments) -> result text
CallFn = Callable[[Workspace, str, dict[str, Any]], str]


def tool_name(server: str, tool: str) -> str:
    """The agent's name for `tool` of `server`: `mcp__SERVER__TOOL`, or a safe short form."""
    full = f"mcp__{server}__{tool}"
    if len(full) <= MAX_NAME and _SAFE.fullmatch(full):
        return full
    digest = hashlib.sha256(full.encode("utf-8")).hexdigest()[:10]
    safe = _UNSAFE_RUN.sub("_", full)
    return f"{safe[: MAX_NAME - len(digest) - 1]}_{digest}"


def tool_kind(tool: types.Tool, config: McpServerConfig) -> ToolKind:
    """ "read" only when the server says the tool changes nothing and the user trusts it to
    say so; anything else acts outside the workspace and is approved like a command."""
    hint = tool.annotations.readOnlyHint if tool.annotations is not None else None
    return "read" if hint and config.trust_read_only_hint else "external"


def offered(tool: str, config: McpServerConfig) -> bool:
    """Whether the config's allow and deny lists let the model see `tool`."""
    if config.enabled_tools is not None and tool not in config.enabled_tools:
        return False
    return tool not in config.disabled_tools


def make_tool(server: str, tool: types.Tool, config: McpServerConfig, call: CallFn) -> Tool:
    """The `Tool` for one server tool; `call` runs it on the server."""
    remote = tool.name

    def run(ws: Workspace, arguments: dict[str, Any]) -> str:
        return call(ws, remote, arguments)

    description = tool.description or tool.title or f"The {remote} tool of MCP server {server}."
    schema = dict(tool.inputSchema) if tool.inputSchema else {"type": "object", "properties": {}}
    return Tool(
        name=tool_name(server, remote),
        description=description,
        kind=tool_kind(tool, config),
        func=run,
        parameters=schema,
    )
