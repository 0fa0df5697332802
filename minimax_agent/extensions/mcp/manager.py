"""The MCP client: starts the configured servers behind the prompt and offers their tools.

One asyncio loop runs in a daemon thread; each server is a task on it that connects (stdio,
streamable HTTP or SSE), initializes, lists its tools and then holds the session open for
calls. The agent's thread calls a tool through `asyncio.run_coroutine_threadsafe` and waits.
Nothing here raises to the agent: a server that fails to start, or dies later, gives one
notice and its tools leave `tools()`; a call that cannot complete is a `ToolError` for the
model.

Two safety points. A stdio server gets the SDK's minimal environment plus its own configured
`env`, never the agent's whole environment, so API keys stay in the agent. Its stderr goes
to a log file, never to the terminal the user types in; a failure notice quotes its last line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from minimax_agent.errors import ConfigError
from minimax_agent.extensions.mcp.config import McpServerConfig, expand_server, valid_server_name
from minimax_agent.extensions.mcp.content import result_text
from minimax_agent.extensions.mcp.tool import make_tool, offered, tool_name
from minimax_agent.extensions.mcp.transport import (
    last_line,
    leaf,
    list_tools,
    open_log,
    open_transport,
)
from tools.base import Tool
from tools.errors import ToolError
from tools.workspace import Workspace

if TYPE_CHECKING:
    from mcp import ClientSession, types

log = logging.getLogger("minimax_agent")

ServerState = Literal["starting", "ready", "failed", "stopped", "disabled"]
CLOSE_TIMEOUT_S = 5.0
# how often an HTTP server is pinged while a call waits on it: a server that died mid-call
# ends its response stream silently, and only a new request finds out it is gone
HTTP_PING_S = 1.0


@dataclass(frozen=True)
class ServerStatus:
    """One server as `/mcp` and `mcp list` show it."""

    name: str
    transport: str
    state: ServerState
    error: str | None
    tools: tuple[str, ...]
    ready_s: float | None  # seconds from start() until its tools were listed


@dataclass(eq=False)
class _Server:
    name: str
    config: McpServerConfig
    state: ServerState = "starting"
    error: str | None = None
    tools: list[Tool] = field(default_factory=list)
    ready_s: float | None = None
    session: ClientSession | None = None
    log_path: Path | None = None
    stopping: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # stop asked, or connection lost
    init_scope: Any = None  # the anyio scope of the startup, cancelled by close()
    calls: set[asyncio.Task[Any]] = field(default_factory=set)


def _failed(server: _Server) -> bool:
    # a function, so that the type checker does not keep `state` narrowed across an await
    return server.state == "failed"


class McpManager:
    """The configured MCP servers as a `tools.base.ToolSource`."""

    def __init__(
        self,
        servers: Mapping[str, McpServerConfig],
        *,
        cwd: Path,
        notify: Callable[[str], None],
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self._cwd = cwd
        self._notify = notify
        self._env = dict(os.environ if env is None else env)
        self._log_dir = log_dir
        self._lock = threading.Lock()
        self._servers: dict[str, _Server] = {}
        for name, config in servers.items():
            server = _Server(name, config)
            if not valid_server_name(name):
                server.state = "failed"
                server.error = "invalid name: only letters, digits, '_' and '-' are allowed"
            elif not config.enabled:
                server.state = "disabled"
            self._servers[name] = server
        self._settled = threading.Event()
        self._stop_all = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started_at = 0.0
        self._closed = False
        self._check_settled()

    # -- the agent's side ------------------------------------------------------------------

    def start(self) -> None:
        """Start every enabled server in the background; returns at once."""
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._started_at = time.monotonic()
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._run_loop, name="mcp", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every server is ready or failed (True), or `timeout` passes (False)."""
        return self._settled.wait(timeout)

    def tools(self) -> list[Tool]:
        with self._lock:
            return [t for s in self._servers.values() if s.state == "ready" for t in s.tools]

    def approved_tool_names(self) -> set[str]:
        """Full names of the tools the config approves (`approved_tools`), for the policy."""
        return {
            tool_name(s.name, t)
            for s in self._servers.values()
            if s.state != "disabled"
            for t in s.config.approved_tools
        }

    def status(self) -> list[ServerStatus]:
        with self._lock:
            return [
                ServerStatus(
                    name=s.name,
                    transport=s.config.transport,
                    state=s.state,
                    error=s.error,
                    tools=tuple(t.name for t in s.tools),
                    ready_s=s.ready_s,
                )
                for s in self._servers.values()
            ]

    def close(self) -> None:
        """Stop every server (within about CLOSE_TIMEOUT_S); safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                loop.call_soon_threadsafe(self._stop_all.set)
            thread.join(CLOSE_TIMEOUT_S + 1)
        with self._lock:
            for s in self._servers.values():
                if s.state in ("starting", "ready"):
                    s.state, s.tools = "stopped", []
        self._settled.set()

    # -- state changes (in the loop's thread) ----------------------------------------------

    def _check_settled(self) -> None:
        if all(s.state != "starting" for s in self._servers.values()):
            self._settled.set()

    def _say(self, text: str) -> None:
        try:
            self._notify(text)
        except Exception:  # a broken notice must not take the servers down
            log.exception("mcp notice failed")

    def _fail(self, server: _Server, reason: str) -> None:
        """Mark `server` failed and say so once; its tools go away."""
        line = last_line(server.log_path)
        if line and line not in reason:
            reason = f"{reason} (stderr: {line})"
        with self._lock:
            if server.state in ("failed", "stopped") or server.stopping:
                return
            was = server.state
            server.state, server.error, server.tools = "failed", reason, []
        server.wake.set()
        self._check_settled()
        verb = "failed to start" if was == "starting" else "stopped"
        where = f"; log: {server.log_path}" if server.log_path else ""
        self._say(f"mcp: {server.name} {verb}: {reason}{where}")

    # -- the loop ----------------------------------------------------------------------------

    def _run_loop(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except Exception:
            log.exception("the MCP loop failed")
        finally:
            self._loop.close()

    async def _main(self) -> None:
        servers = [s for s in self._servers.values() if s.state == "starting"]
        tasks = [asyncio.create_task(self._serve(s), name=f"mcp {s.name}") for s in servers]
        await self._stop_all.wait()
        for s in servers:
            s.stopping = True
            s.wake.set()
            if s.init_scope is not None:
                s.init_scope.cancel()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT_S - 1)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1)

    async def _serve(self, server: _Server) -> None:
        try:
            config = expand_server(server.config, self._env)
            await self._connect_and_serve(server, config)
        except asyncio.CancelledError:
            if not server.stopping:
                raise
        except Exception as exc:  # ConfigError (a variable), OSError, McpError, ...
            self._fail(server, self._describe(leaf(exc), server))
        finally:
            server.session = None
            with self._lock:
                if server.state in ("starting", "ready"):
                    server.state, server.tools = "stopped", []
            for call in list(server.calls):  # each turns this into "stopped during the call"
                call.cancel()
            self._check_settled()

    @staticmethod
    def _describe(exc: BaseException, server: _Server) -> str:
        from mcp.shared.exceptions import McpError

        if isinstance(exc, McpError):
            return exc.error.message
        if isinstance(exc, TimeoutError):
            limit = server.config.startup_timeout_s
            return f"no answer within {limit:g} s (startup_timeout_s)"
        if isinstance(exc, ConfigError | OSError):
            return str(exc)
        return f"{type(exc).__name__}: {exc}"

    async def _connect_and_serve(self, server: _Server, config: McpServerConfig) -> None:
        import anyio
        from mcp import ClientSession
        from mcp.shared.message import SessionMessage

        async with contextlib.AsyncExitStack() as stack:
            errlog = None
            if config.transport == "stdio":
                server.log_path, errlog = open_log(server.name, self._log_dir)
                stack.enter_context(errlog)
            read, write = await open_transport(stack, config, self._cwd, errlog)
            group = await stack.enter_async_context(anyio.create_task_group())
            stack.callback(group.cancel_scope.cancel)
            # the session reads through this relay, so that the end of the server's stream
            # (its process exited) wakes this task even when no call is waiting
            relay_in, relay_out = anyio.create_memory_object_stream[SessionMessage | Exception](0)

            async def relay() -> None:
                with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                    async with relay_in:
                        async for item in read:
                            await relay_in.send(item)
                server.wake.set()

            group.start_soon(relay)
            session = await stack.enter_async_context(ClientSession(relay_out, write))
            with anyio.fail_after(config.startup_timeout_s) as scope:
                server.init_scope = scope
                if server.stopping:  # close() came while the process was starting
                    scope.cancel()
                await session.initialize()
                listed = await list_tools(session)
            server.init_scope = None
            if server.stopping:
                return
            tools = self._make_tools(server, config, listed)
            with self._lock:
                server.session, server.tools, server.state = session, tools, "ready"
                server.ready_s = round(time.monotonic() - self._started_at, 3)
            self._check_settled()
            self._say(f"mcp: {server.name} ready: {len(tools)} tools")
            if config.transport != "stdio":
                group.start_soon(self._ping_during_calls, server, session)
            await server.wake.wait()
            if not server.stopping:
                self._fail(server, "the connection closed")

    def _make_tools(
        self, server: _Server, config: McpServerConfig, listed: list[types.Tool]
    ) -> list[Tool]:
        def call(ws: Workspace, remote: str, arguments: dict[str, Any]) -> str:
            return self._call(server, ws, remote, arguments)

        tools: dict[str, Tool] = {}
        for item in listed:
            if not offered(item.name, config):
                continue
            made = make_tool(server.name, item, config, call)
            if made.name in tools:
                log.warning(
                    "mcp: %s: two tools named %s; keeping the first", server.name, made.name
                )
                continue
            tools[made.name] = made
        return list(tools.values())

    async def _ping_during_calls(self, server: _Server, session: ClientSession) -> None:
        import anyio

        while True:
            await anyio.sleep(HTTP_PING_S)
            if server.calls:
                # a failed request to a dead server ends the transport, and so this session
                with contextlib.suppress(Exception):
                    await session.send_ping()

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, server: _Server, ws: Workspace, remote: str, arguments: dict[str, Any]) -> str:
        """Run `remote` on `server` from the agent's thread; every failure is a ToolError."""
        loop = self._loop
        if loop is None or server.state != "ready":
            why = server.error or server.state
            raise ToolError(f"MCP server {server.name} is not running ({why})")
        timeout, limit = server.config.tool_timeout_s, "tool_timeout_s"
        if ws.deadline is not None:
            left = ws.deadline - time.monotonic()
            if left <= 0:
                raise ToolError("the run's time limit has passed; the tool was not called")
            if left < timeout:
                timeout, limit = left, "the run's time limit"
        try:
            future = asyncio.run_coroutine_threadsafe(
                self._acall(server, remote, arguments, timeout, limit), loop
            )
        except RuntimeError:  # the loop has closed
            raise ToolError(f"MCP server {server.name} is not running (stopped)") from None
        try:
            # short waits keep Ctrl-C responsive in this thread
            while not future.done():
                concurrent.futures.wait([future], timeout=0.2)
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            raise
        except concurrent.futures.CancelledError:
            raise ToolError(f"the call to {remote} was cancelled") from None

    async def _acall(
        self, server: _Server, remote: str, arguments: dict[str, Any], timeout: float, limit: str
    ) -> str:
        import anyio
        from mcp.shared.exceptions import McpError
        from mcp.types import CONNECTION_CLOSED

        session = server.session
        task = asyncio.current_task()
        if session is None or task is None or server.state != "ready":
            raise ToolError(f"MCP server {server.name} is not running ({server.state})")
        server.calls.add(task)
        try:
            with anyio.fail_after(timeout):
                result = await session.call_tool(remote, arguments)
        except TimeoutError:
            raise ToolError(
                f"{remote} on MCP server {server.name} gave no result within {timeout:.3g} s "
                f"({limit})"
            ) from None
        except asyncio.CancelledError:
            if _failed(server):  # cancelled by _serve: the server died
                raise ToolError(
                    f"MCP server {server.name} stopped during the call: {server.error}"
                ) from None
            raise
        except McpError as exc:
            if exc.error.code == CONNECTION_CLOSED:
                self._fail(server, "the connection closed")
                raise ToolError(
                    f"MCP server {server.name} stopped during the call: {server.error}"
                ) from None
            raise ToolError(f"MCP server {server.name}: {exc.error.message}") from None
        except Exception as exc:  # e.g. structured content that breaks the tool's own schema
            raise ToolError(f"MCP server {server.name}: {type(exc).__name__}: {exc}") from None
        finally:
            server.calls.discard(task)
        text, is_error = result_text(result)
        if is_error:
            raise ToolError(text or f"{remote} failed on MCP server {server.name}")
        return text
