"""Headless runs with nothing configured: a lone key in the environment picks its provider
(said once on stderr); none or several give one error line naming the ways to choose."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import make_repo, write_script
from tests.fakes.openai_server import FakeOpenAIServer, Turn
from tests.setup.conftest import KEY, Cli, table

NOTICE = (
    "minimax-agent: using provider openrouter (OPENROUTER_API_KEY is set); choose with --provider"
)


def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"notes.txt": "hello\n"})


def test_one_key_in_the_environment_chooses_its_provider_and_says_so(
    tmp_path: Path, cli: Cli, config_dir: Path, endpoint: FakeOpenAIServer
) -> None:
    (config_dir / "config.toml").write_text(table(endpoint))
    endpoint.add(Turn(reasoning="Nothing to do.", text="All good."))
    proc = cli("fix", "say hi", "-C", str(repo(tmp_path)), env={"OPENROUTER_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count(NOTICE) == 1
    assert "All good." in proc.stdout
    request = endpoint.chat_requests[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_no_key_and_no_config_is_one_line_naming_the_three_ways(tmp_path: Path, cli: Cli) -> None:
    proc = cli("fix", "say hi", "-C", str(repo(tmp_path)))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("minimax-agent: error: no backend configured")
    for way in ("--provider NAME", "openrouter", "--base-url URL", "--model FILE.gguf"):
        assert way in line
    assert "minimax-agent setup" in line and "minimax-agent demo" in line


def test_two_keys_are_not_guessed_between(tmp_path: Path, cli: Cli) -> None:
    env = {"OPENROUTER_API_KEY": KEY, "MINIMAX_API_KEY": KEY + "-minimax"}
    proc = cli("fix", "say hi", "-C", str(repo(tmp_path)), env=env)
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert "\n" not in line
    assert "OPENROUTER_API_KEY and MINIMAX_API_KEY are all set: pick one with --provider" in line
    assert KEY not in line


def test_a_named_backend_wins_over_a_key_in_the_environment(tmp_path: Path, cli: Cli) -> None:
    script = write_script(tmp_path / "script.json", ["Done.\n</think>\n\nNothing to change."])
    proc = cli(
        "fix",
        "say hi",
        "-C",
        str(repo(tmp_path)),
        "--backend",
        f"scripted:{script}",
        env={"OPENROUTER_API_KEY": KEY},
    )
    assert proc.returncode == 0, proc.stderr
    assert "using provider" not in proc.stderr


def test_a_provider_in_the_user_config_is_not_replaced(
    tmp_path: Path, cli: Cli, config_dir: Path
) -> None:
    (config_dir / "config.toml").write_text('provider = "nvidia"\n')
    proc = cli("fix", "say hi", "-C", str(repo(tmp_path)), env={"OPENROUTER_API_KEY": KEY})
    assert proc.returncode == 2
    assert "nvidia needs an API key" in proc.stderr and "minimax-agent setup" in proc.stderr
    assert "using provider" not in proc.stderr


def test_a_mistyped_provider_gets_did_you_mean(tmp_path: Path, cli: Cli) -> None:
    proc = cli("fix", "say hi", "-C", str(repo(tmp_path)), "--provider", "openroutr")
    assert proc.returncode == 2
    assert "unknown provider 'openroutr'; did you mean 'openrouter'?" in proc.stderr


def test_doctor_names_the_key_variables_set_never_their_values(
    cli: Cli, config_dir: Path, endpoint: FakeOpenAIServer
) -> None:
    (config_dir / "config.toml").write_text(table(endpoint))
    proc = cli("doctor", "--no-tiny", "--json", env={"OPENROUTER_API_KEY": KEY})
    assert KEY not in proc.stdout + proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    keys = checks["api keys"]
    assert keys["data"] == {"set": ["OPENROUTER_API_KEY"], "stored": [], "selects": "openrouter"}
    assert "OPENROUTER_API_KEY set (selects openrouter)" in keys["detail"]
    assert checks["endpoint"]["status"] == "ok", checks["endpoint"]


def test_doctor_with_no_key_says_how_to_get_one(cli: Cli) -> None:
    proc = cli("doctor", "--no-tiny", "--json")
    keys = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}["api keys"]
    assert keys["data"]["set"] == [] and keys["data"]["selects"] is None
    assert (
        "none of OPENROUTER_API_KEY" in keys["detail"] and "minimax-agent setup" in keys["detail"]
    )
