"""Connecting to one MCP server: the transport, its stderr log, the tool list.

Kept apart from manager.py, which decides what happens to servers; this module only knows how
to reach one. The SDK is imported inside the functions: they run in the manager's thread,
and only when a server is configured.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from minimax_agent.extensions.mcp.config import McpServerConfig

if TYPE_CHECKING:
    from mcp import ClientSession, types


def leaf(exc: BaseException) -> BaseException:
    """The first real error inside the exception groups anyio's task groups wrap it in."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def last_line(path: Path | None) -> str | None:
    """The last non-empty line of a server's stderr log (what a failure notice quotes)."""
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 4096))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else None


def open_log(name: str, log_dir: Path | None) -> tuple[Path, TextIO]:
    """Where a stdio server's stderr goes: `log_dir/NAME.log`, else a temporary file. Never
    the terminal: a server's chatter would break into the prompt the user types at."""
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"{name}.log"
        return path, path.open("a", encoding="utf-8")
    fd, temp = tempfile.mkstemp(prefix=f"minimax-agent-mcp-{name}-", suffix=".log")
    return Path(temp), open(fd, "w", encoding="utf-8")  # the caller closes it


async def open_transport(
    stack: contextlib.AsyncExitStack, config: McpServerConfig, cwd: Path, errlog: TextIO | None
) -> tuple[Any, Any]:
    """The (read, write) streams of a server, entered on `stack` (left when it closes).

    A stdio server runs with the SDK's default environment (PATH, HOME and the like) plus
    its configured `env`: the agent's own variables, API keys among them, stay out.
    """
    if config.transport == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        assert config.command is not None  # the config's validator saw to it
        params = StdioServerParameters(
            command=config.command,
            args=config.args,
            env=config.env,
            cwd=cwd / config.cwd if config.cwd else cwd,
        )
        if errlog is None:
            raise ValueError("a stdio server needs a log for its stderr")
        read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        return read, write
    assert config.url is not None
    if config.transport == "sse":
        from mcp.client.sse import sse_client

        sse = sse_client(config.url, headers=config.headers or None)
        read, write = await stack.enter_async_context(sse)
        return read, write
    import httpx
    from mcp.client.streamable_http import streamable_http_client

    client = httpx.AsyncClient(headers=config.headers, timeout=httpx.Timeout(30, read=300))
    await stack.enter_async_context(client)
    http = streamable_http_client(config.url, http_client=client)
    read, write, _ = await stack.enter_async_context(http)
    return read, write


async def list_tools(session: ClientSession) -> list[types.Tool]:
    """Every tool the server lists, across all pages."""
    from mcp import types

    listed: list[types.Tool] = []
    cursor: str | None = None
    while True:
        page = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor))
        listed.extend(page.tools)
        cursor = page.nextCursor
        if not cursor:
            return listed
