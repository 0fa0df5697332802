"""Backends stream one assistant turn for a conversation; this module is their registry.

`BACKENDS` maps a backend kind (the part of `--backend KIND[:ARG]` before the colon) to the class
that implements it, as a lazily imported path, so start-up never pays for llama.cpp or httpx.
Each class builds itself from the settings and the ARG (`from_spec`); adding a backend is its
module plus one line here. `Request` and the `Backend` protocol live in `backends.base`, which
the backends import (never this module).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from minimax_agent.backends.base import Backend, Request

if TYPE_CHECKING:
    from minimax_agent.config import Settings

__all__ = ["BACKENDS", "Backend", "Request", "chooses_local", "load_backend", "local_model"]

BACKENDS: dict[str, str] = {
    "scripted": "minimax_agent.backends.scripted:ScriptedBackend",
    "demo": "minimax_agent.backends.demo:DemoBackend",  # the shipped script
    "local": "minimax_agent.backends.local.backend:LocalBackend",
    "openai": "minimax_agent.backends.openai.backend:OpenAIBackend",
    "anthropic": "minimax_agent.backends.anthropic.backend:AnthropicBackend",
}


class BackendClass(Protocol):
    """What a registered class provides besides the `Backend` protocol of its instances."""

    def from_spec(self, settings: Settings, arg: str) -> Backend: ...


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


def backend_spec(settings: Settings) -> str:
    """`KIND[:ARG]`: `--backend` as given, else `openai` (or `anthropic`, as `--api` or the
    preset says) for a named endpoint, else `local`
    for a model; a ConfigError when the settings name none of these."""
    from minimax_agent.errors import ConfigError
    from minimax_agent.keys import no_backend_message
    from minimax_agent.providers import endpoint_api, provider_names

    spec = settings.backend
    if not spec and (settings.provider or settings.base_url):
        spec = endpoint_api(settings)  # `openai`, or `anthropic` for the Messages API
    if not spec and settings.model:
        spec = "local"
    if not spec:
        raise ConfigError(no_backend_message(provider_names(settings)))
    return spec


def backend_class(kind: str) -> BackendClass | None:
    """The registered class for `kind`, imported now; None for a kind not registered."""
    path = BACKENDS.get(kind)
    if path is None:
        return None
    module, _, name = path.partition(":")
    found: BackendClass = getattr(import_module(module), name)
    return found


def load_backend(settings: Settings) -> Backend:
    """Build the backend the settings name (`scripted:FILE`, `local[:PATH]`, `openai[:NAME]`)."""
    from minimax_agent.errors import ConfigError

    spec = backend_spec(settings)
    kind, _, arg = spec.partition(":")
    cls = backend_class(kind)
    if cls is None:
        raise ConfigError(
            f"unknown backend {spec!r}; expected scripted:FILE, demo, openai[:PROVIDER], "
            "anthropic[:PROVIDER] or local[:PATH.gguf]"
        )
    return cls.from_spec(settings, arg)
