"""The MCP client against a real FastMCP server it starts over stdio."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.extensions.mcp.config import McpServerConfig
from minimax_agent.extensions.mcp.manager import McpManager
from tests.fakes.mcp_servers import SERVER, Notices, wait_for
from tools import default_tools
from tools.base import Tool
from tools.errors import ToolError
from tools.workspace import Workspace

Start = Callable[..., tuple[McpManager, Notices]]


def stdio(*args: str, env: dict[str, str] | None = None, **settings: Any) -> McpServerConfig:
    # the server imports what the tests import; PYTHONPATH is not in the SDK's default env
    path = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    return McpServerConfig(
        command=sys.executable, args=[str(SERVER), *args], env={**path, **(env or {})}, **settings
    )


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    managers: list[McpManager] = []

    def run(servers: dict[str, McpServerConfig], **kw: Any) -> tuple[McpManager, Notices]:
        notices = Notices()
        kw.setdefault("log_dir", tmp_path / "logs")
        manager = McpManager(servers, cwd=tmp_path, notify=notices, **kw)
        managers.append(manager)
        manager.start()
        return manager, notices

    yield run
    for manager in managers:
        manager.close()


def by_name(manager: McpManager, name: str) -> Tool:
    found = {t.name: t for t in manager.tools()}
    assert name in found, sorted(found)
    return found[name]


def call(manager: McpManager, ws: Workspace, tool: str, /, **arguments: Any) -> str:
    found = by_name(manager, tool)
    return found.func(ws, found.validate(arguments))


def test_lists_tools_and_a_typed_call_returns_structured_json(start: Start, tmp_path: Path) -> None:
    manager, notices = start({"fake": stdio()})
    assert manager.wait_ready(60)
    names = {t.name for t in manager.tools()}
    assert {"mcp__fake__add", "mcp__fake__echo", "mcp__fake__crash", "mcp__fake__peek"} <= names
    assert notices.items == [f"mcp: fake ready: {len(names)} tools"]
    add = by_name(manager, "mcp__fake__add")
    assert add.spec().parameters["properties"]["a"]["type"] == "integer"
    assert add.description == "Add two integers."
    result = add.run(Workspace(tmp_path), {"a": 2, "b": 3})
    assert not result.is_error
    lines = result.content.splitlines()
    assert lines[0] == "5" and json.loads(lines[1]) == {"result": 5}
    [status] = manager.status()
    assert (status.state, status.transport, status.error) == ("ready", "stdio", None)
    assert status.ready_s is not None and set(status.tools) == names


def test_kinds_filters_and_approved_names(start: Start) -> None:
    config = stdio(
        disabled_tools=["crash"],
        approved_tools=["echo"],
        enabled_tools=["add", "echo", "peek", "crash"],
    )
    manager, _ = start({"fake": config, "cautious": stdio(trust_read_only_hint=False)})
    assert manager.wait_ready(60)
    assert {t.name for t in manager.tools() if t.name.startswith("mcp__fake__")} == {
        "mcp__fake__add",
        "mcp__fake__echo",
        "mcp__fake__peek",
    }
    assert by_name(manager, "mcp__fake__peek").kind == "read"
    assert by_name(manager, "mcp__fake__add").kind == "external"
    assert by_name(manager, "mcp__cautious__peek").kind == "external"
    assert manager.approved_tool_names() == {"mcp__fake__echo"}


def test_an_unsafe_tool_name_gets_a_stable_safe_form(start: Start, tmp_path: Path) -> None:
    manager, _ = start({"fake": stdio()})
    assert manager.wait_ready(60)
    [dotted] = [t for t in manager.tools() if "dotted" in t.name]
    assert dotted.name.startswith("mcp__fake__dotted_name_") and "." not in dotted.name
    assert dotted.run(Workspace(tmp_path), {}).content == "dotted"


def test_errors_reach_the_model_as_tool_errors(start: Start, tmp_path: Path) -> None:
    manager, _ = start({"fake": stdio()})
    assert manager.wait_ready(60)
    ws = Workspace(tmp_path)
    bad = by_name(manager, "mcp__fake__add").run(ws, {"a": "x", "b": 1})
    assert bad.is_error and "a: 'x' is not of type 'integer'" in bad.content
    failed = by_name(manager, "mcp__fake__fail").run(ws, {})
    assert failed.is_error and "this tool always fails" in failed.content
    assert manager.status()[0].state == "ready"  # a tool's error is not the server's


def test_a_call_past_its_timeout_is_a_tool_error(start: Start, tmp_path: Path) -> None:
    manager, _ = start({"fake": stdio(tool_timeout_s=0.5)})
    assert manager.wait_ready(60)
    with pytest.raises(ToolError, match=r"0\.5 s \(tool_timeout_s\)"):
        call(manager, Workspace(tmp_path), "mcp__fake__slow", seconds=30)
    assert manager.status()[0].state == "ready"  # a slow tool is not a dead server


def test_a_call_never_outlives_the_run_deadline(start: Start, tmp_path: Path) -> None:
    manager, _ = start({"fake": stdio()})
    assert manager.wait_ready(60)
    ws = Workspace(tmp_path)
    ws.deadline = time.monotonic() + 0.5
    with pytest.raises(ToolError, match="the run's time limit"):
        call(manager, ws, "mcp__fake__slow", seconds=30)
    ws.deadline = time.monotonic() - 1
    with pytest.raises(ToolError, match="time limit has passed"):
        call(manager, ws, "mcp__fake__echo", text="x")


def test_ctrl_c_cancels_the_call_and_propagates(start: Start, tmp_path: Path) -> None:
    manager, _ = start({"fake": stdio()})
    assert manager.wait_ready(60)
    ws = Workspace(tmp_path)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call(manager, ws, "mcp__fake__slow", seconds=60)
    finally:
        timer.cancel()
    # the server stays up and answers the next call
    assert call(manager, ws, "mcp__fake__echo", text="after").startswith("after")


def test_a_crash_mid_call_is_a_tool_error_and_the_tools_go(start: Start, tmp_path: Path) -> None:
    manager, notices = start({"fake": stdio()})
    assert manager.wait_ready(60)
    with pytest.raises(ToolError, match="MCP server fake stopped during the call") as info:
        call(manager, Workspace(tmp_path), "mcp__fake__crash")
    assert "crashing on request" in str(info.value)  # the last stderr line
    assert manager.tools() == []
    assert wait_for(lambda: len(notices.about("stopped")) == 1)
    assert len(notices.about("stopped")) == 1
    [status] = manager.status()
    assert status.state == "failed" and status.tools == ()
    log = tmp_path / "logs" / "fake.log"
    assert "crashing on request" in log.read_text()


def test_a_server_that_fails_at_start_gives_one_notice(start: Start, tmp_path: Path) -> None:
    manager, notices = start(
        {
            "broken": stdio("--exit-at-start"),
            "missing": McpServerConfig(command=str(tmp_path / "no-such-program")),
            "fake": stdio(),
        }
    )
    assert manager.wait_ready(60)
    states = {s.name: s.state for s in manager.status()}
    assert states == {"broken": "failed", "missing": "failed", "fake": "ready"}
    [broken] = notices.about("broken")
    assert "failed to start" in broken and "refusing to start" in broken
    assert len(notices.about("missing")) == 1
    assert all(t.name.startswith("mcp__fake__") for t in manager.tools())


def test_a_slow_server_does_not_block_start(start: Start) -> None:
    manager, notices = start({"slow": stdio("--slow-start", "3")})
    assert manager.tools() == []  # start() has returned while the server sleeps
    assert manager.status()[0].state == "starting"
    assert not manager.wait_ready(0.1)
    assert manager.wait_ready(60)
    assert "mcp__slow__add" in {t.name for t in manager.tools()}
    assert notices.items == [notices.about("ready")[0]]


def test_a_startup_timeout_fails_the_server(start: Start) -> None:
    manager, notices = start({"slow": stdio("--slow-start", "30", startup_timeout_s=0.5)})
    assert manager.wait_ready(60)
    [status] = manager.status()
    assert status.state == "failed" and "startup_timeout_s" in (status.error or "")
    assert len(notices.items) == 1


def test_env_expansion_reaches_the_server_and_secrets_do_not(
    start: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "agent-secret")
    config = stdio(env={"GREETING": "${GREETING_SRC}", "PLAIN": "${NOPE:-fallback}"})
    manager, _ = start({"fake": config}, env={**os.environ, "GREETING_SRC": "hello"})
    assert manager.wait_ready(60)
    ws = Workspace(tmp_path)
    assert call(manager, ws, "mcp__fake__echo_env", name="GREETING") == "hello"
    assert call(manager, ws, "mcp__fake__echo_env", name="PLAIN") == "fallback"
    assert call(manager, ws, "mcp__fake__echo_env", name="SECRET_TOKEN") == "<unset>"
    assert call(manager, ws, "mcp__fake__echo_env", name="PATH") != "<unset>"


def test_a_missing_variable_fails_that_server_alone(start: Start) -> None:
    manager, notices = start(
        {"needs": stdio(env={"T": "${UNSET_FOR_TEST}"}), "fake": stdio()}, env={}
    )
    assert manager.wait_ready(60)
    states = {s.name: s.state for s in manager.status()}
    assert states == {"needs": "failed", "fake": "ready"}
    assert "UNSET_FOR_TEST" in notices.about("needs")[0]


def test_close_leaves_no_server_process(start: Start, tmp_path: Path) -> None:
    manager, _ = start({"fake": stdio()})
    assert manager.wait_ready(60)
    ws = Workspace(tmp_path)
    pid_tool = by_name(manager, "mcp__fake__pid")
    pid = int(pid_tool.func(ws, {}).splitlines()[0])
    os.kill(pid, 0)  # alive now
    manager.close()
    manager.close()  # idempotent
    assert wait_for(lambda: _gone(pid), 30)
    assert manager.tools() == [] and manager.status()[0].state == "stopped"
    # the agent may still hold a tool from before close(): calling it is a tool error
    late = pid_tool.run(ws, {})
    assert late.is_error and "not running" in late.content


def _gone(pid: int) -> bool:
    """No such process, or only its exit status is left (a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_close_before_ready_and_without_start(start: Start, tmp_path: Path) -> None:
    McpManager({"fake": stdio()}, cwd=tmp_path, notify=Notices()).close()
    manager, notices = start({"slow": stdio("--slow-start", "30")})
    manager.close()
    assert manager.status()[0].state == "stopped"
    assert notices.items == []


def test_the_registry_sees_server_tools_live(start: Start, tmp_path: Path) -> None:
    manager, _ = start({"fake": stdio()})
    registry = default_tools(sources=[manager])
    read_only = default_tools(read_only=True, sources=[manager])
    assert manager.wait_ready(60)
    assert "mcp__fake__add" in registry and "read_file" in registry
    assert "mcp__fake__peek" in read_only.names() and "mcp__fake__add" not in read_only
