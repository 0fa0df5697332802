"""Provider presets for OpenAI-compatible endpoints: base URL, where the API key comes from, and
each endpoint's quirks.

Presets are plain data. A `[providers.NAME]` table in config.toml overrides the fields it names
of a preset, or defines a new provider, so a user can reach an endpoint this file does not know
without a code change. The API key itself is read from the environment, else from the
credentials file `minimax-agent setup` writes (minimax_agent/keys.py), never from config.

`PRESETS` is the registry: adding a preset is one entry there (and, for a cloud host, one line
in `_HOSTS`). This module imports nothing of the settings: it reads them through
`EndpointChoice`, which `config.Settings` satisfies, so config can import `ProviderConfig`
from here without a cycle.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from minimax_agent.errors import ConfigError
from minimax_agent.keys import stored_key


class ProviderConfig(BaseModel):
    """One endpoint family. Every field may be set in a `[providers.NAME]` table."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key_env: str | None = Field(
        default=None, description="Environment variable holding the API key."
    )
    api_key_required: bool = False
    model: str | None = Field(default=None, description="Model name when --model is not given.")
    context_window: int | None = Field(
        default=None,
        description="Tokens the endpoint's model takes; unset: asked of `/models` "
        "(`max_model_len`, `context_length`).",
    )
    headers: dict[str, str] = Field(default_factory=dict)
    auth: Literal["bearer", "body", "both", "x-api-key", "none"] = Field(
        default="bearer",
        description="bearer: Authorization header; body: the key goes in the JSON body; "
        "both: the two at once; x-api-key: that header (Anthropic's API).",
    )
    api: Literal["openai", "anthropic"] = Field(
        default="openai",
        description="The API the endpoint speaks: OpenAI Chat Completions, or the Anthropic "
        "Messages API (`--api`).",
    )
    key_field: str = Field(default="key", description="Body field for the key when auth=body.")
    model_field: str = Field(
        default="model", description="Body field naming the model (sent besides `model`)."
    )
    max_tokens_field: str = "max_tokens"
    top_k: bool = Field(default=False, description="The endpoint accepts `top_k`.")
    min_p: bool = Field(
        default=False,
        description="The endpoint accepts `min_p`: 0 is sent, as the in-process sampler uses "
        "none (llama-server would apply its own 0.05).",
    )
    include_usage: bool = Field(default=True, description="Send stream_options.include_usage.")
    stream: bool = Field(
        default=True, description="Stream with SSE; false asks for one JSON reply per turn."
    )
    starts_in_reasoning: bool = Field(
        default=False,
        description="The content opens inside the reasoning without a <think> tag (a server "
        "that returns the raw generation after a prompt ending in `<think>\\n`).",
    )
    tool_choice_none: bool = Field(
        default=False,
        description="Send `tool_choice: none` with the tools, so the server leaves the model's "
        "<minimax:tool_call> XML in the content, and parse the calls on our side.",
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="Merged into every request body."
    )


# M2.1's trained context (the GGUF's context_length); the cloud presets serve the full model.
M21_CONTEXT = 196608
# M2.5 and M2.7 (and their highspeed variants) as MiniMax's platform documents them.
M25_CONTEXT = 204800

# The M2 family by short name, for `--model M2.5` with a cloud preset; each model's context
# window. M2 and M2.1 keep the figure this code has always used (MiniMax's platform lists
# 204,800 for them as well). Same architecture and wire format for all: one dialect.
FAMILY_CONTEXT: dict[str, int] = {
    "M2": M21_CONTEXT,
    "M2.1": M21_CONTEXT,
    "M2.5": M25_CONTEXT,
    "M2.5-highspeed": M25_CONTEXT,
    "M2.7": M25_CONTEXT,
    "M2.7-highspeed": M25_CONTEXT,
}
_M2 = ("M2", "M2.1", "M2.5", "M2.7")
# What each cloud preset calls those models. A short name is sent nowhere as it is, so mapping
# it changes nothing that worked before; a full id (`--model minimax/minimax-m2.5`) is still
# sent as given. Verified: the MiniMax platform's ids (its docs list all six). Not verified here
# (no network): the OpenRouter and NVIDIA NIM ids beyond M2.1 follow those endpoints' M2.1 ids;
# ModelsLab's catalogue beyond M2.1 is unknown, so only M2.1 is listed for it. The highspeed
# variants are listed only where MiniMax serves them.
MODEL_IDS: dict[str, dict[str, str]] = {
    "openrouter": {n: f"minimax/minimax-{n.lower()}" for n in _M2},
    "minimax": {n: f"MiniMax-{n}" for n in FAMILY_CONTEXT},
    "nvidia": {n: f"minimaxai/minimax-{n.lower()}" for n in _M2},
    "modelslab": {"M2.1": "MiniMax-M2.1"},
}
# The same hosts through their Anthropic Messages API take the same model ids.
MODEL_IDS["minimax-anthropic"] = MODEL_IDS["minimax"]
MODEL_IDS["modelslab-anthropic"] = MODEL_IDS["modelslab"]

PRESETS: dict[str, ProviderConfig] = {
    "openrouter": ProviderConfig(
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        api_key_required=True,
        model="minimax/minimax-m2.1",
        context_window=M21_CONTEXT,
        # OpenRouter's app attribution; add HTTP-Referer in a [providers.openrouter] table.
        headers={"X-Title": "minimax-agent"},
        top_k=True,
        # `reasoning` turns the reasoning on and `usage.include` asks for `usage.cost`.
        extra_body={"reasoning": {"enabled": True}, "usage": {"include": True}},
    ),
    "minimax": ProviderConfig(
        base_url="https://api.minimax.io/v1",
        api_key_env="MINIMAX_API_KEY",
        api_key_required=True,
        model="MiniMax-M2.1",
        context_window=M21_CONTEXT,
        # The platform has deprecated max_tokens in favour of max_completion_tokens.
        max_tokens_field="max_completion_tokens",
        # Reasoning arrives in `reasoning_details` instead of inline <think> in the content.
        extra_body={"reasoning_split": True},
    ),
    "nvidia": ProviderConfig(
        base_url="https://integrate.api.nvidia.com/v1",
        api_key_env="NVIDIA_API_KEY",
        api_key_required=True,
        model="minimaxai/minimax-m2.1",
        context_window=M21_CONTEXT,
    ),
    "modelslab": ProviderConfig(
        base_url="https://modelslab.com/api/v7/llm",
        api_key_env="MODELSLAB_API_KEY",
        api_key_required=True,
        model="MiniMax-M2.1",
        context_window=M21_CONTEXT,
        # Its current docs use a bearer key and `model`; its older form, `key` and `model_id` in
        # the body, is still in use. Both are sent, so either kind of deployment accepts it.
        auth="both",
        key_field="key",
        model_field="model_id",
    ),
    # Local servers take an optional key, named as each server's own --api-key variable, so a
    # cloud key in OPENAI_API_KEY is not sent to a cluster by accident.
    # Each takes `min_p` (vLLM and SGLang default to 0 already; llama-server to 0.05).
    "vllm": ProviderConfig(
        base_url="http://localhost:8000/v1", api_key_env="VLLM_API_KEY", top_k=True, min_p=True
    ),
    "sglang": ProviderConfig(
        base_url="http://localhost:30000/v1",
        api_key_env="SGLANG_API_KEY",
        top_k=True,
        min_p=True,
    ),
    # llama-server's own parser answers two invokes in one block with HTTP 500 (llama.cpp PR
    # #22106): it is sent tool_choice none and ours reads the XML (tests/server/).
    "llamacpp-server": ProviderConfig(
        base_url="http://localhost:8080/v1",
        api_key_env="LLAMA_API_KEY",
        top_k=True,
        min_p=True,
        tool_choice_none=True,
    ),
    "openai": ProviderConfig(api_key_env="OPENAI_API_KEY"),
    # The Anthropic Messages API (backends/anthropic/): the base URL is what ANTHROPIC_BASE_URL
    # would be, without `/v1` (the backend adds `/v1/messages`). MiniMax's reasoning comes as
    # thinking blocks with signatures there.
    "minimax-anthropic": ProviderConfig(
        api="anthropic",
        base_url="https://api.minimax.io/anthropic",
        api_key_env="MINIMAX_API_KEY",
        api_key_required=True,
        model="MiniMax-M2.1",
        context_window=M21_CONTEXT,
        auth="x-api-key",
    ),
    "modelslab-anthropic": ProviderConfig(
        api="anthropic",
        base_url="https://modelslab.com/api/v7/llm",  # …/v1/messages, /v1/messages/count_tokens
        api_key_env="MODELSLAB_API_KEY",
        api_key_required=True,
        model="MiniMax-M2.1",
        context_window=M21_CONTEXT,
    ),
    # `--api anthropic --base-url URL` on a host no preset knows (LiteLLM, Claude-Code routers)
    "anthropic": ProviderConfig(api="anthropic", api_key_env="ANTHROPIC_API_KEY", auth="x-api-key"),
}

# A bare --base-url on a known host gets that host's preset, so its key and quirks apply and a
# key meant for one provider is never sent to another.
_HOSTS = {
    "openrouter.ai": "openrouter",
    "minimax.io": "minimax",
    "minimaxi.com": "minimax",
    "nvidia.com": "nvidia",
    "modelslab.com": "modelslab",
}


class EndpointChoice(Protocol):
    """The settings that choose an endpoint (`config.Settings` has them all)."""

    @property
    def provider(self) -> str | None: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def api_key_env(self) -> str | None: ...
    @property
    def providers(self) -> Mapping[str, ProviderConfig]: ...
    @property
    def api(self) -> Literal["openai", "anthropic"] | None: ...


@dataclass(frozen=True)
class Provider:
    """A provider resolved for one run: where to send requests and with which key."""

    name: str
    base_url: str
    config: ProviderConfig
    api_key: str | None
    api_key_env: str | None

    def __repr__(self) -> str:  # the key must never reach a log or a traceback
        return f"Provider(name={self.name!r}, base_url={self.base_url!r})"


def provider_names(settings: EndpointChoice | None = None) -> list[str]:
    extra = list(settings.providers) if settings else []
    return sorted({*PRESETS, *extra})


def guess_provider(base_url: str, api: str | None = None) -> str:
    """The preset for a bare --base-url, by its host; through the Anthropic API (`api`, or a
    `/anthropic` path as MiniMax's has) that host's `-anthropic` preset, or `anthropic`."""
    try:
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
    except ValueError:  # `http://[::1`: resolve_provider says what is wrong with it
        return "openai"
    name = next(
        (n for suffix, n in _HOSTS.items() if host == suffix or host.endswith("." + suffix)),
        "openai",
    )
    if api == "anthropic" or (api is None and "anthropic" in parts.path.lower().split("/")):
        sibling = "anthropic" if name == "openai" else f"{name}-anthropic"
        return sibling if sibling in PRESETS else name
    return name


def endpoint_api(settings: EndpointChoice) -> Literal["openai", "anthropic"]:
    """The API the chosen endpoint speaks: `--api`, else its preset's (`openai` when the
    settings name no endpoint, or one no preset or table knows: resolving it says so)."""
    if settings.api:
        return settings.api
    name = settings.provider or (guess_provider(settings.base_url) if settings.base_url else None)
    if name is None or (name not in PRESETS and name not in settings.providers):
        return "openai"
    return _merged(name, settings).api


def _merged(name: str, settings: EndpointChoice) -> ProviderConfig:
    preset = PRESETS.get(name)
    user = settings.providers.get(name)
    if preset is None and user is None:
        names = provider_names(settings)
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"unknown provider {name!r}; {hint}known: {', '.join(names)} "
            f"(or add a [providers.{name}] table)"
        )
    if user is None:
        return preset or ProviderConfig()
    if preset is None:
        return user
    update = user.model_dump(exclude_unset=True)
    # Tables add to a preset's headers and body fields rather than replacing them wholesale.
    for key in ("headers", "extra_body"):
        if key in update:
            update[key] = {**getattr(preset, key), **update[key]}
    return preset.model_copy(update=update)


def provider_config(name: str, settings: EndpointChoice) -> ProviderConfig:
    """Preset `name` with the user's `[providers.NAME]` table over it (a ConfigError, with a
    close name if there is one, for a name neither knows)."""
    return _merged(name, settings)


def check_base_url(base_url: str) -> None:
    """A ConfigError unless `base_url` is an http(s) URL with a host (and a valid port)."""
    try:
        parts = urlsplit(base_url)
        host, _ = parts.hostname, parts.port  # both raise ValueError when malformed
    except ValueError as exc:
        raise ConfigError(f"base URL {base_url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"base URL {base_url!r} must start with http:// or https://")
    if not host:
        raise ConfigError(f"base URL {base_url!r} names no host")


def resolve_provider(settings: EndpointChoice) -> Provider:
    """The provider a run uses, from --provider / --base-url / --api-key-env and config tables."""
    api = settings.api
    name = settings.provider or (
        guess_provider(settings.base_url, api) if settings.base_url else None
    )
    if name is None:
        raise ConfigError("no endpoint: pass --provider NAME or --base-url URL")
    config = _merged(name, settings)
    if api and api != config.api:  # `--api` says how this endpoint is spoken to
        config = config.model_copy(update={"api": api})
    base_url = (settings.base_url or config.base_url or "").rstrip("/")
    if not base_url:
        raise ConfigError(f"provider {name!r} has no base URL: pass --base-url URL")
    check_base_url(base_url)
    env = settings.api_key_env or config.api_key_env
    # the environment first, else the key `minimax-agent setup` stored (minimax_agent/keys.py)
    key = (os.environ.get(env) or stored_key(env)) if env else None
    if settings.api_key_env and not key:
        raise ConfigError(f"--api-key-env {settings.api_key_env}: that variable is not set")
    if config.api_key_required and not key and config.auth != "none":
        raise ConfigError(
            f"{name} needs an API key: set {env or 'a variable'} in the environment, run "
            "`minimax-agent setup`, or name another variable with --api-key-env"
        )
    return Provider(name=name, base_url=base_url, config=config, api_key=key, api_key_env=env)


def _family_name(model: str) -> str | None:
    """`M2.5`, `m2.5-HIGHSPEED`: the FAMILY_CONTEXT key a short name spells, any case."""
    key = model.strip().lower()
    return next((n for n in FAMILY_CONTEXT if n.lower() == key), None)


def model_id(provider: str, model: str | None) -> str | None:
    """The id to send for `model` (`--model`, or the preset's own): a short family name (`M2.5`)
    becomes the preset's id for it (`minimax/minimax-m2.5` on openrouter); anything else goes
    as given, as do short names to an endpoint with no table (a local server's names are its
    own). A ConfigError for a short name the preset has no id for."""
    if model is None:
        return None
    ids = MODEL_IDS.get(provider)
    name = _family_name(model)
    if ids is None or name is None:
        return model
    if name not in ids:
        known = ", ".join(ids)
        raise ConfigError(
            f"{provider} has no known id for {name}; known here: {known} "
            "(or pass the endpoint's own model id with --model)"
        )
    return ids[name]


def known_context_window(provider: Provider, model: str | None) -> int | None:
    """Tokens a cloud preset's model takes, without asking the endpoint: the preset's figure for
    its own model, or the family figure for an id in its table; None when neither applies."""
    config = provider.config
    if config.context_window and model in (None, config.model):
        return config.context_window
    ids = MODEL_IDS.get(provider.name, {})
    return next((FAMILY_CONTEXT[n] for n, id_ in ids.items() if id_ == model), None)
