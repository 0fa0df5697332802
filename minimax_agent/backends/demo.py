"""`--backend demo`: the scripted backend on the script that ships with the package.

The script (minimax_agent/demo/script.json) fixes the failing test of the example repository
that `minimax-agent demo --keep` leaves behind, so `minimax-agent --backend demo -C DIR` replays
it in the REPL. When the script is over, the error says how to get a real model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from minimax_agent.backends.base import Request
from minimax_agent.backends.scripted import ScriptedBackend
from minimax_agent.errors import BackendError, ConfigError
from minimax_agent.events import Event

if TYPE_CHECKING:
    from minimax_agent.config import Settings

REAL_MODEL_HINT = (
    "for a real model: minimax-agent --provider openrouter (with OPENROUTER_API_KEY set), "
    "or minimax-agent setup"
)


class DemoBackend(ScriptedBackend):
    name = "demo"

    @classmethod
    def from_spec(cls, settings: Settings, arg: str) -> DemoBackend:
        from minimax_agent.demo import SCRIPT

        if arg:
            raise ConfigError(
                f"--backend demo takes no file (got {arg!r}); use --backend scripted:{arg}"
            )
        return cls(ScriptedBackend.from_file(SCRIPT).steps)

    def stream(self, request: Request) -> Iterator[Event]:
        if self.position >= len(self.steps):
            raise BackendError(
                f"the demo script is over (its {len(self.steps)} steps fix one test); "
                + REAL_MODEL_HINT
            )
        yield from super().stream(request)
