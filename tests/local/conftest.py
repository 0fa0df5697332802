"""Fixtures for the local llama.cpp backend: tiny random-weight GGUF files written by
`quantize.tiny`, and backends loaded on them with one thread (the test machine is shared)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.backends import Request
from minimax_agent.config import Settings
from minimax_agent.events import Event, Finish, Usage
from minimax_agent.messages import Message, SystemMessage, UserMessage

NEEDS_LLAMA = "the local backend needs llama-cpp-python (pip install '.[local]')"


@pytest.fixture(scope="session")
def llama() -> Any:
    return pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA)


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from quantize.tiny import write_tiny_model
    from tests.conftest import tiny_template

    path = tmp_path_factory.mktemp("models") / "tiny.gguf"
    return write_tiny_model(path, "tiny", chat_template=tiny_template())


def local_settings(model: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"model": str(model), "threads": 1, "n_ctx": 16384, "seed": 7}
    return Settings(**(values | overrides))


@pytest.fixture
def make_backend(llama: Any, tiny_gguf: Path) -> Iterator[Any]:
    from minimax_agent.backends.local import LocalBackend

    made: list[LocalBackend] = []

    def make(**overrides: Any) -> LocalBackend:
        backend = LocalBackend.from_settings(local_settings(tiny_gguf, **overrides))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def conversation(task: str = "Look at the repository.") -> list[Message]:
    return [SystemMessage(content="You are a test agent."), UserMessage(content=task)]


def run_step(
    backend: Any, messages: list[Message], **request: Any
) -> tuple[list[Event], Finish, Usage]:
    """Stream one turn to its end; returns every event, the finish and the usage."""
    events = list(backend.stream(Request(messages=list(messages), **request)))
    finish = events[-1]
    assert isinstance(finish, Finish)
    usage = next(e for e in events if isinstance(e, Usage))
    return events, finish, usage
