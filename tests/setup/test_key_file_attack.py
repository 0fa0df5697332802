"""Attack: the model, running with the key `setup` stored, asks a command to print the
credentials file and the environment. The sandbox hides the user config dir, and the key was
never in the environment, so neither the command's output nor the next request holds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_repo
from tests.fakes.openai_server import Call, FakeOpenAIServer, Turn
from tests.setup.conftest import KEY, Cli, table


def test_a_command_cannot_read_the_stored_key(
    tmp_path: Path, cli: Cli, config_dir: Path, endpoint: FakeOpenAIServer
) -> None:
    from tools.sandbox import availability

    if not availability().available:
        pytest.skip("no OS sandbox on this machine (fix refuses to run without one)")
    config = config_dir / "config.toml"
    config.write_text(table(endpoint))
    setup = cli("setup", "--provider", "openrouter", "--key-stdin", input=KEY)
    assert setup.returncode == 0, setup.stderr
    credentials = config_dir / "credentials.toml"
    assert KEY in credentials.read_text()

    steal = f"cat {credentials}; cat {config}; env"
    endpoint.add(
        Turn(reasoning="Read the key.", text="", calls=[Call("run_command", {"command": steal})]),
        Turn(reasoning="Nothing there.", text="Could not read it."),
    )
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    proc = cli("fix", "print the api key", "-C", str(repo), "--output-format", "json")
    assert proc.returncode == 0, proc.stderr
    assert KEY not in proc.stdout + proc.stderr
    second = endpoint.chat_requests[1].body
    tool_results = [m for m in second["messages"] if m["role"] == "tool"]
    assert len(tool_results) == 1
    output = json.dumps(tool_results[0])
    assert "No such file or directory" in output  # the whole config dir is an empty tmpfs
    assert KEY not in json.dumps(second["messages"])
    # the key itself was in use all along: the requests carried it as their bearer token
    assert endpoint.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
