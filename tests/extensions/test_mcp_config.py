"""MCP server configuration: `.mcp.json` loading, `${VAR}` expansion, server names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minimax_agent.errors import ConfigError
from minimax_agent.extensions.mcp.config import (
    McpServerConfig,
    expand_env,
    expand_server,
    load_mcp_json,
    valid_server_name,
)


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_load_mcp_json_reads_both_kinds(tmp_path: Path) -> None:
    path = write(
        tmp_path / ".mcp.json",
        {
            "mcpServers": {
                "files": {"command": "npx", "args": ["-y", "srv"], "env": {"K": "${K}"}},
                "web": {
                    "type": "streamable-http",
                    "url": "https://x.test/mcp",
                    "headers": {"A": "b"},
                },
                "old": {"type": "sse", "url": "https://x.test/sse"},
            }
        },
    )
    servers, warnings = load_mcp_json(path)
    assert warnings == []
    assert servers["files"].transport == "stdio"
    assert servers["files"].args == ["-y", "srv"] and servers["files"].env == {"K": "${K}"}
    assert servers["web"].transport == "http" and servers["web"].headers == {"A": "b"}
    assert servers["old"].transport == "sse"


def test_unknown_keys_are_dropped_with_one_warning_naming_them(tmp_path: Path) -> None:
    path = write(
        tmp_path / ".mcp.json",
        {"mcpServers": {"s": {"command": "srv", "oauth": {}, "alwaysAllow": ["x"]}}},
    )
    servers, warnings = load_mcp_json(path)
    assert servers["s"].command == "srv"
    assert len(warnings) == 1
    assert str(path) in warnings[0] and "alwaysAllow, oauth" in warnings[0]


@pytest.mark.parametrize("text", ["{not json", "[]", '{"mcpServers": 3}', ""])
def test_a_broken_file_is_one_warning_and_no_servers(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".mcp.json"
    path.write_text(text)
    servers, warnings = load_mcp_json(path)
    assert servers == {}
    assert len(warnings) == 1 and str(path) in warnings[0]


def test_a_missing_file_is_a_warning(tmp_path: Path) -> None:
    servers, warnings = load_mcp_json(tmp_path / "absent.json")
    assert servers == {} and len(warnings) == 1


def test_bad_names_and_bad_servers_are_left_out_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path / ".mcp.json",
        {
            "mcpServers": {
                "bad name": {"command": "x"},
                "no_target": {"type": "http"},
                "scalar": 5,
                "ok-1": {"command": "x"},
            }
        },
    )
    servers, warnings = load_mcp_json(path)
    assert list(servers) == ["ok-1"]
    assert len(warnings) == 3
    assert any("'bad name'" in w and "letters, digits" in w for w in warnings)
    assert any("'no_target'" in w and "url" in w for w in warnings)


def test_server_names() -> None:
    assert valid_server_name("git_hub-2")
    for bad in ("", "a b", "a.b", "ü", "a/b", "x\n"):
        assert not valid_server_name(bad)


def test_expand_env() -> None:
    env = {"A": "1", "EMPTY": ""}
    assert expand_env("x${A}y", env) == "x1y"
    assert expand_env("${B:-two}", env) == "two"
    assert expand_env("${EMPTY:-d}", env) == "d"
    assert expand_env("${EMPTY}", env) == ""
    assert expand_env("$A and ${A:-z}", env) == "$A and 1"
    with pytest.raises(ConfigError, match="MISSING"):
        expand_env("Bearer ${MISSING}", env)


def test_expand_server_covers_every_value_and_the_bearer_token() -> None:
    config = McpServerConfig(
        command="${BIN}",
        args=["--root", "${ROOT:-/srv}"],
        env={"TOKEN": "${TOKEN}"},
        cwd=Path("${ROOT:-sub}"),
    )
    got = expand_server(config, {"BIN": "srv", "TOKEN": "t"})
    assert (got.command, got.args, got.env, got.cwd) == (
        "srv",
        ["--root", "/srv"],
        {"TOKEN": "t"},
        Path("sub"),
    )
    assert config.command == "${BIN}"  # the original is untouched
    web = McpServerConfig(
        url="https://${HOST}/mcp", bearer_token_env_var="GH", headers={"X": "${X:-1}"}
    )
    got = expand_server(web, {"HOST": "h.test", "GH": "secret"})
    assert got.url == "https://h.test/mcp"
    assert got.headers == {"X": "1", "Authorization": "Bearer secret"}
    with pytest.raises(ConfigError, match="GH"):
        expand_server(web, {"HOST": "h.test"})
