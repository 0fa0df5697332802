"""A backend that replays a script: each item is the raw text the model generates for one step.

It goes through the real parser of the default dialect (M2), streaming in small pieces, so the
CLI can be driven end to end without a model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from minimax_agent.backends.base import Backend, Request
from minimax_agent.dialect import dialect_for
from minimax_agent.errors import BackendError, ConfigError
from minimax_agent.events import Event, Finish

if TYPE_CHECKING:
    from minimax_agent.config import Settings

CHUNK = 7  # small and odd, so tags are split across chunks as in real streaming


class ScriptedBackend(Backend):
    name = "scripted"

    def __init__(self, steps: list[str]) -> None:
        self.steps = list(steps)
        self.position = 0
        self.dialect = dialect_for()  # a script is written in the default format

    @classmethod
    def from_spec(cls, settings: Settings, arg: str) -> ScriptedBackend:
        """`--backend scripted:FILE.json`."""
        if not arg:
            raise ConfigError("--backend scripted needs a file: --backend scripted:FILE.json")
        return cls.from_file(arg)

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedBackend:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"script file not found: {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read script {path}: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
            raise ConfigError(f"script {path} must be a JSON array of strings")
        return cls(data)

    def stream(self, request: Request) -> Iterator[Event]:
        if self.position >= len(self.steps):
            raise BackendError(
                f"scripted backend: the script has no step {self.position + 1} "
                f"(it holds {len(self.steps)})"
            )
        text = self.steps[self.position]
        self.position += 1
        dialect = self.dialect
        prompt = dialect.render(dialect.default_template(), request.messages, request.tools)
        parser = dialect.stream_parser(request.tools)
        for start in range(0, len(text), CHUNK):
            yield from parser.feed(text[start : start + CHUNK])
        yield from parser.finish()
        reason = "tool_calls" if parser.calls else "stop"
        yield Finish(reason=reason, message=parser.message(), request=prompt)

    def assert_complete(self) -> None:
        """For tests: every scripted step was used."""
        left = len(self.steps) - self.position
        if left:
            raise AssertionError(f"scripted backend: {left} step(s) were never requested")
