"""Fixtures for the OpenAI-compatible backend: fake servers and backends pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.providers import PRESETS, Provider, ProviderConfig
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-test-0123456789abcdef"

# Which provider preset talks to each fake-server mode.
PRESET_FOR_MODE = {
    "vllm-inline": "vllm",
    "vllm-parser": "vllm",
    "openrouter": "openrouter",
    "minimax-split": "minimax",
    "modelslab": "modelslab",
}

ServerFactory = Callable[..., FakeOpenAIServer]
BackendFactory = Callable[..., OpenAIBackend]


@pytest.fixture
def fake_server() -> Iterator[ServerFactory]:
    """Start fake OpenAI-compatible servers; every one is stopped after the test."""
    started: list[FakeOpenAIServer] = []

    def start(mode: str = "vllm-parser", **kwargs: Any) -> FakeOpenAIServer:
        kwargs.setdefault("api_key", KEY)
        server = FakeOpenAIServer(mode, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def provider_for(server: FakeOpenAIServer, preset: str | None = None, **quirks: Any) -> Provider:
    name = preset or PRESET_FOR_MODE[server.mode]
    config = PRESETS.get(name, ProviderConfig()).model_copy(update=quirks)
    return Provider(name, server.url, config, server.api_key, "TEST_API_KEY")


@pytest.fixture
def backend_for() -> Iterator[BackendFactory]:
    """An OpenAIBackend aimed at a fake server, with fast retries."""
    made: list[OpenAIBackend] = []

    def make(
        server: FakeOpenAIServer,
        preset: str | None = None,
        quirks: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> OpenAIBackend:
        kwargs.setdefault("model", server.models[0] if server.models else "MiniMax-M2.1")
        kwargs.setdefault("retry_backoff_s", 0.01)
        kwargs.setdefault("read_timeout_s", 10.0)
        backend = OpenAIBackend(provider_for(server, preset, **(quirks or {})), **kwargs)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()
