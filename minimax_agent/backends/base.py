"""What a backend is: `Request` in, a stream of events out, and every other ability declared.

`Backend` is a Protocol whose members have default bodies: a class that subclasses it explicitly
inherits the defaults for what it cannot do (no known context window, no exact token count, no
KV state, nothing to free), so callers call each ability plainly and never probe with
`getattr`. This module imports nothing heavy and no backend: the children (`local/`, `openai/`,
`scripted.py`) import it, and the registry in `backends/__init__.py` imports them lazily.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from minimax_agent.events import Event
from minimax_agent.messages import Message, ToolSpec


@dataclass
class Request:
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int | None = None
    # "none": the tools are there only so the prompt matches the conversation's (and reuses its
    # cache); the answer must be text
    tool_choice: Literal["auto", "none"] = "auto"
    # the run's deadline (a time.monotonic() value, from max_wall_s): a turn still streaming
    # then is stopped with a BackendError (the OpenAI backend; a local turn ends at max_tokens)
    deadline: float | None = None


class Backend(Protocol):
    """Streams one assistant turn; declares what else it can do.

    Subclass it to inherit the defaults below; a class that does not subclass it must define
    every member to count as a Backend (structural typing).
    """

    name: str

    @property
    def model_name(self) -> str | None:
        """The model's name as far as known without asking the endpoint (sessions record
        it); None when only the settings say (a local GGUF path) or nothing does."""
        return None

    def stream(self, request: Request) -> Iterator[Event]:
        """Stream one assistant turn; the last event is always `Finish`."""
        ...

    @property
    def context_window(self) -> int | None:
        """Tokens the model takes, or None when unknown (then only a reported overflow
        triggers compaction)."""
        return None

    def longer_context_hint(self, tokens: int) -> str | None:
        """How the user gives this backend a context of at least `tokens` (say, a flag to
        pass), or None when only another model has one."""
        return None

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> int | None:
        """The exact prompt length a request for `messages` would have, or None when this
        backend cannot count exactly (the caller estimates instead)."""
        return None

    def save_state(self, path: Path) -> bool:
        """Write what the model holds for this conversation (a KV cache) to `path`, so a
        resumed session skips the prefill. False, writing nothing, when the backend keeps no
        such state. Raises OSError or a MinimaxAgentError when it has state but cannot save."""
        return False

    def load_state(self, path: Path) -> int:
        """Restore a state written by `save_state`; the number of tokens it holds (0 for a
        backend without state). Raises when the file cannot be used; the next step is then
        slower (its whole prompt is evaluated) but correct."""
        return 0

    @property
    def concurrent_requests(self) -> bool:
        """Whether `stream` may be called from several threads at once (an HTTP endpoint
        serves parallel requests); False for one in-process model, which has one KV cache.
        The agent runs several subagent calls of one step concurrently only where this is
        True."""
        return False

    def keep_cache(self) -> AbstractContextManager[None]:
        """A context around a run on another conversation (a subagent's) after which this
        backend holds again what it held before, so the first conversation's next step
        reuses its cache. A no-op where there is nothing to keep (an endpoint's prompt cache
        is the server's; a scripted backend has none)."""
        return contextlib.nullcontext()

    def secrets(self) -> tuple[str, ...]:
        """Values this backend sends that must never leave the agent (an API key, secret
        header values): the run's redactor hides them and commands never see them."""
        return ()

    def close(self) -> None:
        """Free what the backend holds (a loaded model, an HTTP connection pool). Idempotent;
        the backend must not be used after."""
        return None
