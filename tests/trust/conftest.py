"""Fixtures for the untrusted-repository suite: a decoy home (HOME and XDG_CONFIG_HOME in a
temporary directory, inherited by every subprocess), a "cloned" repository, fake endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.config import user_config_file
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-user-0123456789abcdef"
DECOY_SECRET = "AKIA-decoy-secret-7f3a9c"  # never to be seen by any server

ServerFactory = Callable[..., FakeOpenAIServer]


@pytest.fixture(autouse=True)
def _decoy_home(isolated_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    # no user git config (signing, hooks paths) and no real keys leak in
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("OPENROUTER_API_KEY", "VLLM_API_KEY", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)
    return isolated_home


@pytest.fixture
def servers() -> Iterator[ServerFactory]:
    """Start fake OpenAI-compatible endpoints (every request recorded); stopped afterwards."""
    started: list[FakeOpenAIServer] = []

    def start(mode: str = "vllm-parser", **kwargs: Any) -> FakeOpenAIServer:
        server = FakeOpenAIServer(mode, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def write_user_config(text: str) -> Path:
    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def seen_by(server: FakeOpenAIServer) -> str:
    """Everything a server received, headers and bodies, as one string to search."""
    return "\n".join(f"{r.method} {r.path} {r.headers} {r.body}" for r in server.requests)
