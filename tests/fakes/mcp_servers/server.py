"""A real MCP server for the client's tests, written with the SDK's FastMCP.

    python server.py [--slow-start SECONDS] [--exit-at-start] [--http PORT [--sse]]

Over stdio by default; with `--http PORT`, streamable HTTP on 127.0.0.1:PORT at /mcp (with
`--sse` too, the older SSE transport at /sse).
`--slow-start` sleeps before serving (a server that is slow to come up); `--exit-at-start`
writes a line to stderr and exits (a server that cannot start).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import anyio
from mcp.server.fastmcp import Context, FastMCP
from mcp.types import ToolAnnotations

server = FastMCP("fake")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@server.tool()
def echo_env(name: str) -> str:
    """The value of an environment variable in the server's process, or <unset>."""
    return os.environ.get(name, "<unset>")


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
def crash() -> str:
    """Exit the server's process in the middle of the call."""
    print("fake server: crashing on request", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep, then answer (without blocking the server's other requests)."""
    await anyio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def auth_header(ctx: Context) -> str:  # type: ignore[type-arg]
    """The Authorization header of the HTTP request that called this tool."""
    request = ctx.request_context.request
    if request is None:
        return "<stdio>"
    return str(request.headers.get("authorization", "<none>"))


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def peek() -> str:
    """Read-only by its annotation."""
    return "peeked"


@server.tool(name="dotted.name")
def dotted() -> str:
    """A tool whose name is not a safe tool name."""
    return "dotted"


@server.tool()
def fail() -> str:
    """A tool that reports an error."""
    raise ValueError("this tool always fails")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow-start", type=float, default=0.0)
    parser.add_argument("--exit-at-start", action="store_true")
    parser.add_argument("--http", type=int, default=None)
    parser.add_argument("--sse", action="store_true")
    args = parser.parse_args()
    if args.exit_at_start:
        print("fake server: refusing to start", file=sys.stderr, flush=True)
        sys.exit(2)
    if args.slow_start:
        time.sleep(args.slow_start)
    if args.http is None:
        server.run("stdio")
        return
    server.settings.host = "127.0.0.1"
    server.settings.port = args.http
    server.settings.log_level = "WARNING"
    server.run("sse" if args.sse else "streamable-http")


if __name__ == "__main__":
    main()
