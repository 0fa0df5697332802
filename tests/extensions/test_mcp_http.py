"""The MCP client against a real FastMCP server over streamable HTTP (a subprocess)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimax_agent.extensions.mcp.config import McpServerConfig
from minimax_agent.extensions.mcp.manager import McpManager
from tests.fakes.mcp_servers import HttpServer, Notices, http_server, wait_for
from tools.base import Tool
from tools.errors import ToolError
from tools.workspace import Workspace


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HttpServer]:
    with http_server(tmp_path / "server.log") as running:
        yield running


@pytest.fixture
def notices() -> Notices:
    return Notices()


@pytest.fixture
def manager(server: HttpServer, tmp_path: Path, notices: Notices) -> Iterator[McpManager]:
    config = McpServerConfig(
        type="http",
        url=server.url.replace("127.0.0.1", "${HOST}"),
        bearer_token_env_var="WEB_TOKEN",
        tool_timeout_s=60,
    )
    env = {"HOST": "127.0.0.1", "WEB_TOKEN": "tok-123"}
    mcp = McpManager({"web": config}, cwd=tmp_path, notify=notices, env=env)
    mcp.start()
    assert mcp.wait_ready(60)
    yield mcp
    mcp.close()


def tool(manager: McpManager, name: str) -> Tool:
    found = {t.name: t for t in manager.tools()}
    assert name in found, sorted(found)
    return found[name]


def test_lists_tools_and_a_typed_call_returns_structured_json(
    manager: McpManager, notices: Notices, tmp_path: Path
) -> None:
    names = {t.name for t in manager.tools()}
    assert {"mcp__web__add", "mcp__web__echo", "mcp__web__peek"} <= names
    assert notices.items == [f"mcp: web ready: {len(names)} tools"]
    [status] = manager.status()
    assert (status.state, status.transport) == ("ready", "http")
    result = tool(manager, "mcp__web__add").run(Workspace(tmp_path), {"a": 2, "b": 3})
    assert not result.is_error
    lines = result.content.splitlines()
    assert lines[0] == "5" and json.loads(lines[1]) == {"result": 5}
    echoed = tool(manager, "mcp__web__echo").run(Workspace(tmp_path), {"text": "héllo"})
    assert echoed.content == "héllo"
    sent = tool(manager, "mcp__web__auth_header").run(Workspace(tmp_path), {})
    assert sent.content == "Bearer tok-123"  # bearer_token_env_var, expanded from env


def test_a_crash_mid_call_is_a_tool_error_and_the_tools_go(
    manager: McpManager, notices: Notices, server: HttpServer, tmp_path: Path
) -> None:
    crash = tool(manager, "mcp__web__crash")
    with pytest.raises(ToolError, match="MCP server web stopped during the call"):
        crash.func(Workspace(tmp_path), {})
    assert server.process.wait(timeout=30) == 3
    assert manager.tools() == []
    assert wait_for(lambda: len(notices.about("stopped")) == 1)
    assert manager.status()[0].state == "failed"
    assert len(notices.about("stopped")) == 1


def test_a_server_that_is_not_there_fails_with_one_notice(tmp_path: Path) -> None:
    from tests.fakes.mcp_servers import free_port

    notices = Notices()
    config = McpServerConfig(url=f"http://127.0.0.1:{free_port()}/mcp", startup_timeout_s=20)
    mcp = McpManager({"gone": config}, cwd=tmp_path, notify=notices)
    try:
        mcp.start()
        assert mcp.wait_ready(60)
        assert mcp.status()[0].state == "failed"
        assert len(notices.items) == 1 and "gone failed to start" in notices.items[0]
    finally:
        mcp.close()


def test_the_older_sse_transport(tmp_path: Path) -> None:
    notices = Notices()
    with http_server(tmp_path / "sse.log", sse=True) as running:
        config = McpServerConfig(type="sse", url=running.url)
        mcp = McpManager({"old": config}, cwd=tmp_path, notify=notices)
        try:
            mcp.start()
            assert mcp.wait_ready(60)
            assert mcp.status()[0].transport == "sse"
            result = tool(mcp, "mcp__old__add").run(Workspace(tmp_path), {"a": 20, "b": 22})
            assert result.content.splitlines()[0] == "42"
        finally:
            mcp.close()
        assert mcp.status()[0].state == "stopped"
