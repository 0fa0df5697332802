"""Fixtures for sessions, checkpoints and compaction: a scratch repo, and backend doubles.

The doubles stand in for the model (an external service), not for our code: each implements
the `Backend` protocol and streams through the real M2 parser like the scripted backend does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minimax_agent.backends.base import Backend, Request
from minimax_agent.backends.scripted import ScriptedBackend
from minimax_agent.errors import ContextOverflowError
from minimax_agent.events import Event, Finish
from minimax_agent.messages import AssistantMessage
from minimax_agent.session.compaction import estimate_tokens
from tests.conftest import make_repo

CALC = "def add(a, b):\n    return a - b\n"


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


class ModelDouble(Backend):
    """A model with a hard context limit (in estimated tokens): a request over it fails with
    ContextOverflowError, as a real endpoint does. Agent steps come from a script; a
    compaction request (one that asks for text only) is answered with `summary`."""

    name = "double"

    def __init__(
        self, steps: list[str], limit: int, summary: str = "SUMMARY: earlier steps done."
    ) -> None:
        self.script = ScriptedBackend(steps)
        self.limit = limit
        self.summary = summary
        self.requests: list[Request] = []
        self.overflows = 0

    @property
    def compaction_requests(self) -> list[Request]:
        return [r for r in self.requests if r.tool_choice == "none"]

    def stream(self, request: Request) -> Iterator[Event]:
        self.requests.append(request)
        size = estimate_tokens(request.messages, request.tools) + (request.max_tokens or 0)
        if size > self.limit:
            self.overflows += 1
            raise ContextOverflowError(f"request of ~{size} tokens exceeds {self.limit}")
        if request.tool_choice == "none":
            yield Finish("stop", AssistantMessage(content=self.summary))
            return
        yield from self.script.stream(request)


@pytest.fixture
def repo(tmp_path: Path, isolated_home: Path) -> Path:
    return make_repo(tmp_path / "repo", {"calc.py": CALC, "README.md": "# demo\n"})
