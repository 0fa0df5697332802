"""Backends stream one assistant turn for a conversation.

`Backend` is a Protocol, not a base class: anything with `stream(request)` is one. Concrete
backends are imported lazily by `load_backend` so that start-up never pays for llama.cpp or httpx.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from minimax_agent.events import Event
from minimax_agent.messages import Message, ToolSpec

if TYPE_CHECKING:
    from minimax_agent.config import Settings


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
    name: str

    def stream(self, request: Request) -> Iterator[Event]:
        """Stream one assistant turn; the last event is always `Finish`."""
        ...


def chooses_local(settings: Settings) -> bool:
    """Whether the settings pick the local backend: `--backend local[:PATH]`, or a model with
    no backend and no endpoint named (as `load_backend` decides)."""
    kind = (settings.backend or "").partition(":")[0]
    if kind:
        return kind == "local"
    return not (settings.provider or settings.base_url) and bool(settings.model)


def local_model(settings: Settings) -> str | None:
    """The model file the local backend would load, or None when the settings choose another
    backend (or none). `--backend local:PATH` wins over `--model`; a name without `.gguf`
    (`MiniMax-M2.1-Q4_K_M`) is looked up in the models directory, and a UsageError says when
    it is not there (an existing file is taken as a file, whatever its name)."""
    if not chooses_local(settings):
        return None
    model = settings.backend.partition(":")[2] if settings.backend else None
    model = model or settings.model
    if not model:
        return None
    if model.lower().endswith(".gguf") or Path(model).expanduser().is_file():
        return model
    from quantize.model_cache import resolve_model_name

    return str(resolve_model_name(model))


def load_backend(settings: Settings) -> Backend:
    """Build the backend the settings name (`scripted:FILE`, ...)."""
    from minimax_agent.errors import ConfigError

    spec = settings.backend
    if not spec and (settings.provider or settings.base_url):
        spec = "openai"
    if not spec and settings.model:
        spec = "local"
    if not spec:
        raise ConfigError(
            "no backend configured: pass --model PATH.gguf, or --backend (e.g. "
            "scripted:FILE.json), or set `backend` in .minimax-agent.toml"
        )
    kind, _, arg = spec.partition(":")
    if kind == "scripted":
        from minimax_agent.backends.scripted import ScriptedBackend

        if not arg:
            raise ConfigError("--backend scripted needs a file: --backend scripted:FILE.json")
        return ScriptedBackend.from_file(arg)
    if kind == "local":
        from minimax_agent.backends.local import LocalBackend

        return LocalBackend.from_settings(
            settings.model_copy(update={"model": local_model(settings)})
        )
    if kind == "openai":
        from minimax_agent.backends.openai import OpenAIBackend

        # `--backend openai:NAME` is a short form of `--provider NAME`.
        named = settings.model_copy(update={"provider": arg}) if arg else settings
        return OpenAIBackend.from_settings(named)
    raise ConfigError(
        f"unknown backend {spec!r}; expected scripted:FILE, openai[:PROVIDER] or local[:PATH.gguf]"
    )
