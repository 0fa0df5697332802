"""`minimax-agent mcp list` against real MCP servers (tests/fakes/mcp_servers/server.py, the
SDK's FastMCP over stdio), through typer's CliRunner: exit codes, one line per server, JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import RunCli, make_repo
from tests.fakes.mcp_servers import SERVER


def toml_server(name: str, *args: str) -> str:
    # json.dumps writes strings TOML reads the same way (paths with backslashes included)
    argv = json.dumps([str(SERVER), *args])
    return f"[mcp_servers.{name}]\ncommand = {json.dumps(sys.executable)}\nargs = {argv}\n"


def user_config(home: Path, text: str) -> None:
    path = home / ".config" / "minimax-agent" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_ready_server_lists_its_tools(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    user_config(isolated_home, toml_server("fake"))
    proc = invoke_cli("mcp", "list", "-C", str(repo))
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.strip().splitlines()
    name, transport, state, rest = line.split(maxsplit=3)
    assert (name, transport, state) == ("fake", "stdio", "ready")
    assert "tools:" in rest and "add" in rest and "echo" in rest
    assert "mcp__fake__" not in rest  # the server's own names, short

    shown = invoke_cli("mcp", "list", "-C", str(repo), "--json")
    assert shown.returncode == 0, shown.stderr
    [server] = json.loads(shown.stdout)["servers"]
    assert server["state"] == "ready" and server["error"] is None
    assert {"add", "echo", "peek"} <= set(server["tools"])
    assert "mcp__fake__add" in server["agent_tools"]
    assert server["ready_s"] > 0


def test_a_broken_server_is_one_line_and_exit_1(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    user_config(isolated_home, toml_server("good") + toml_server("broken", "--exit-at-start"))
    proc = invoke_cli("mcp", "list", "-C", str(repo))
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2, proc.stdout
    broken = next(line for line in lines if line.startswith("broken"))
    assert broken.split()[1:3] == ["stdio", "failed"]
    assert "refusing to start" in broken  # the last line the server wrote to stderr
    assert any(line.split()[:3] == ["good", "stdio", "ready"] for line in lines)
    assert "Traceback" not in proc.stderr + proc.stdout

    shown = invoke_cli("mcp", "list", "-C", str(repo), "--json")
    assert shown.returncode == 1
    states = {s["name"]: (s["state"], s["error"]) for s in json.loads(shown.stdout)["servers"]}
    assert states["good"] == ("ready", None)
    assert states["broken"][0] == "failed" and states["broken"][1]


def test_a_program_that_does_not_exist(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    missing = tmp_path / "no-such-server"
    user_config(isolated_home, f"[mcp_servers.gone]\ncommand = {json.dumps(str(missing))}\n")
    proc = invoke_cli("mcp", "list", "-C", str(repo))
    assert proc.returncode == 1
    [line] = proc.stdout.strip().splitlines()
    assert line.split()[:3] == ["gone", "stdio", "failed"]
    assert "Traceback" not in proc.stderr + proc.stdout


def test_none_configured_is_exit_0_with_a_note(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    proc = invoke_cli("mcp", "list", "-C", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "no MCP servers configured" in proc.stdout and "[mcp_servers.NAME]" in proc.stdout
    shown = invoke_cli("mcp", "list", "-C", str(repo), "--json")
    assert json.loads(shown.stdout) == {"servers": []}


def test_a_project_mcp_json_starts_only_when_trusted(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    spec = {"mcpServers": {"proj": {"command": sys.executable, "args": [str(SERVER)]}}}
    repo = make_repo(tmp_path / "repo", {".mcp.json": json.dumps(spec)})
    untrusted = invoke_cli("mcp", "list", "-C", str(repo))
    assert untrusted.returncode == 0, untrusted.stderr
    assert "no MCP servers configured" in untrusted.stdout
    assert "not starting the MCP servers of untrusted" in untrusted.stderr
    assert "proj" in untrusted.stderr

    user_config(isolated_home, f"trusted_projects = [{json.dumps(str(repo))}]\n")
    trusted = invoke_cli("mcp", "list", "-C", str(repo))
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.split()[:3] == ["proj", "stdio", "ready"]


def test_a_bad_server_table_is_a_config_error(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    user_config(isolated_home, '[mcp_servers.nothing]\nargs = ["x"]\n')  # no command, no url
    proc = invoke_cli("mcp", "list", "-C", str(repo))
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("minimax-agent: error: invalid settings") and "mcp_servers" in line


def test_mcp_without_a_subcommand_shows_help(invoke_cli: RunCli) -> None:
    proc = invoke_cli("mcp")
    assert "list" in proc.stdout + proc.stderr
