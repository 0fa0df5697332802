"""`minimax-agent setup` scripted (`--provider`, the key from the environment or `--key-stdin`)
against the fake endpoint: what it writes, what it keeps, what it refuses."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from minimax_agent.keys import CLOUD_KEYS, needs_setup
from minimax_agent.providers import PRESETS
from minimax_agent.setup.store import with_provider
from tests.conftest import make_repo
from tests.fakes.openai_server import FakeOpenAIServer, Turn
from tests.setup.conftest import KEY, Cli, table

USER_CONFIG = '# my settings\napproval = "auto-edit"\nmax_steps = 7\n\n'


def test_setup_with_a_key_on_stdin_writes_config_and_a_private_key_file(
    tmp_path: Path, cli: Cli, config_dir: Path, endpoint: FakeOpenAIServer
) -> None:
    config = config_dir / "config.toml"
    config.write_text(USER_CONFIG + table(endpoint))
    proc = cli("setup", "--provider", "openrouter", "--key-stdin", input=KEY + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "accepted the key" in proc.stdout and KEY not in proc.stdout + proc.stderr
    # the provider line goes before the first table; every other line stays as written
    assert config.read_text() == USER_CONFIG + 'provider = "openrouter"\n' + table(endpoint)
    credentials = config_dir / "credentials.toml"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert tomllib.loads(credentials.read_text()) == {"OPENROUTER_API_KEY": KEY}
    assert endpoint.requests[-1].path.endswith("/key")  # OpenRouter's /models takes any key

    # a later run with no key in the environment uses the stored one, unannounced
    endpoint.add(Turn(reasoning="Fine.", text="Hello."))
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    run = cli("fix", "say hello", "-C", str(repo))
    assert run.returncode == 0, run.stderr
    assert "using provider" not in run.stderr
    assert endpoint.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_setup_again_replaces_the_provider_line_and_keeps_other_keys(
    cli: Cli, config_dir: Path, endpoint: FakeOpenAIServer
) -> None:
    (config_dir / "config.toml").write_text('provider = "nvidia"\n' + table(endpoint))
    (config_dir / "credentials.toml").write_text('NVIDIA_API_KEY = "nvapi-0123456789"\n')
    proc = cli("setup", "--provider", "openrouter", "--key-stdin", input=KEY)
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads((config_dir / "config.toml").read_text())
    assert data["provider"] == "openrouter"
    stored = tomllib.loads((config_dir / "credentials.toml").read_text())
    assert stored == {"NVIDIA_API_KEY": "nvapi-0123456789", "OPENROUTER_API_KEY": KEY}


def test_a_refused_key_is_not_saved(cli: Cli, config_dir: Path, endpoint: FakeOpenAIServer) -> None:
    endpoint.get_needs_key = True
    config = config_dir / "config.toml"
    config.write_text(table(endpoint))
    proc = cli("setup", "--provider", "openrouter", "--key-stdin", input="sk-or-wrong-key-0000\n")
    assert proc.returncode == 2
    assert (
        "refused the key (HTTP 401)" in proc.stderr and "https://openrouter.ai/keys" in proc.stderr
    )
    assert "sk-or-wrong-key-0000" not in proc.stdout + proc.stderr
    assert config.read_text() == table(endpoint)
    assert not (config_dir / "credentials.toml").exists()


def test_a_key_in_the_environment_is_checked_and_not_copied(
    cli: Cli, config_dir: Path, endpoint: FakeOpenAIServer
) -> None:
    endpoint.get_needs_key = True
    (config_dir / "config.toml").write_text(table(endpoint))
    proc = cli("setup", "--provider", "openrouter", env={"OPENROUTER_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    assert "using the key in $OPENROUTER_API_KEY" in proc.stdout
    assert not (config_dir / "credentials.toml").exists()


def test_an_unreachable_endpoint_is_a_clear_error(cli: Cli, config_dir: Path) -> None:
    (config_dir / "config.toml").write_text(
        '[providers.openrouter]\nbase_url = "http://127.0.0.1:9/v1"\n'
    )
    proc = cli("setup", "--provider", "openrouter", "--key-stdin", input=KEY)
    assert proc.returncode == 3
    assert proc.stderr.startswith("minimax-agent: error: cannot reach http://127.0.0.1:9/v1/key")
    assert not (config_dir / "credentials.toml").exists()


def test_no_terminal_and_no_provider_asks_for_the_flag(cli: Cli) -> None:
    proc = cli("setup", input="")
    assert proc.returncode == 2
    assert "pass --provider NAME (openrouter, minimax, nvidia, modelslab)" in proc.stderr


def test_no_key_anywhere_without_a_terminal_says_where_to_put_it(cli: Cli) -> None:
    proc = cli("setup", "--provider", "minimax", input="")
    assert proc.returncode == 2
    assert "minimax needs a key: set $MINIMAX_API_KEY or pass --key-stdin" in proc.stderr


def test_setup_of_a_mistyped_provider_suggests_the_name(cli: Cli) -> None:
    proc = cli("setup", "--provider", "nvidai", "--key-stdin", input=KEY)
    assert proc.returncode == 2
    assert "did you mean 'nvidia'?" in proc.stderr


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", 'provider = "minimax"\n'),
        ('model = "x"', 'model = "x"\nprovider = "minimax"\n'),
        (
            'provider = "nvidia"  # old\n[a]\nprovider = 1\n',
            'provider = "minimax"\n[a]\nprovider = 1\n',
        ),
        ("[a]\nb = 1\n", 'provider = "minimax"\n[a]\nb = 1\n'),
    ],
)
def test_with_provider_edits_only_the_top_level_line(before: str, after: str) -> None:
    assert with_provider(before, "minimax") == after


def test_the_key_table_follows_the_presets() -> None:
    for key in CLOUD_KEYS:
        preset = PRESETS[key.provider]
        assert preset.api_key_env == key.env and preset.api_key_required
    # the `-anthropic` presets share their host's key (and its entry here)
    required = {name for name, p in PRESETS.items() if p.api_key_required and p.api == "openai"}
    assert required == {k.provider for k in CLOUD_KEYS}


def test_needs_setup_only_when_nothing_names_a_backend(
    tmp_path: Path, home: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    assert needs_setup(root, {}, {})
    assert not needs_setup(root, {"provider": "vllm"}, {})
    assert not needs_setup(root, {}, {"MINIMAX_AGENT_BASE_URL": "http://x"})
    assert not needs_setup(root, {}, {"OPENROUTER_API_KEY": KEY})  # one key: used as it is
    assert needs_setup(root, {}, {"OPENROUTER_API_KEY": KEY, "NVIDIA_API_KEY": KEY})
    sub = root / "src"
    sub.mkdir()
    (root / ".minimax-agent.toml").write_text('backend = "scripted:x.json"\n')
    assert not needs_setup(sub, {}, {})  # the repository's top file counts from below
    (root / ".minimax-agent.toml").unlink()
    (config_dir / "config.toml").write_text('model = "M2.5"\n')
    assert not needs_setup(root, {}, {})
