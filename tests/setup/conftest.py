"""Fixtures for first-run setup: a decoy home with no key variable set, a fake endpoint the
openrouter preset is pointed at through the decoy user config, and the CLI with stdin."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minimax_agent.keys import CLOUD_KEYS
from tests.conftest import GIT_ENV, fresh_root_logger
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-or-test-0123456789abcdef"
MODEL = "minimax/minimax-m2.1"  # the openrouter preset's model, which the fake must serve
Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def home(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The decoy home, with none of the known key variables left from the real environment."""
    for key in CLOUD_KEYS:
        monkeypatch.delenv(key.env, raising=False)
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MINIMAX_AGENT_RETRY_BACKOFF_S", "0.01")
    return isolated_home


@pytest.fixture
def config_dir(home: Path) -> Path:
    path = home / ".config" / "minimax-agent"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def endpoint() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer("openrouter", api_key=KEY, models=[MODEL]).start()
    yield server
    server.stop()


def table(server: FakeOpenAIServer) -> str:
    """A user config table that sends the openrouter preset to the fake server."""
    return f'[providers.openrouter]\nbase_url = "{server.url}"\n'


@pytest.fixture
def cli(home: Path) -> Cli:
    """The CLI in process, with `input` as its stdin (not a terminal)."""
    from typer.testing import CliRunner

    from minimax_agent.cli.app import app

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        with fresh_root_logger():
            result = CliRunner().invoke(app, list(args), input=input, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    return run
