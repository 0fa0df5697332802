"""The settings in sections, so each component takes the part it reads.

`Settings` (config.py) stays flat, because what the user writes is flat: `max_steps = 80` in a
config file, `MINIMAX_AGENT_MAX_STEPS`, `--max-steps`, and the trust rules in trust.py, which
rule on each of those keys. Its properties build these frozen views from the flat fields:

- `generation`: which backend and model answer, and how they sample;
- `endpoint`: where an OpenAI-compatible request goes, how long it may take, how it retries;
- `local`: how llama.cpp loads and constrains a GGUF (the local backend);
- `limits`: how long a run may go and how full its context may get;
- `safety`: what runs without asking, what a command can reach, whom the user trusts;
- `extensions`: the user's MCP servers and hooks.

Every field of `Settings` is in exactly one section (tests/core/test_config.py checks it), so
a new setting must be placed here to be seen by a component. Stdlib only: the backends import
these types without pydantic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from minimax_agent.extensions.hook_config import HookEvent, HookMatcher
    from minimax_agent.extensions.mcp.config import McpServerConfig
    from minimax_agent.providers import ProviderConfig
    from tools.modes import ApprovalMode

KvType = Literal["f16", "q8_0", "q4_0"]
SandboxLevel = Literal["read-only", "workspace-write", "off"]
ThinkingMode = Literal["enabled", "disabled", "adaptive"]


@dataclass(frozen=True, kw_only=True)
class GenerationSettings:
    backend: str | None
    model: str | None
    temperature: float
    top_p: float
    top_k: int
    seed: int | None
    dialect: str | None  # the model format (`dialect.REGISTRY` key); None: the model says
    thinking: ThinkingMode | None  # M3's thinking_mode; None: the dialect's default


@dataclass(frozen=True, kw_only=True)
class EndpointSettings:
    """Satisfies providers.EndpointChoice, so `resolve_provider(settings.endpoint)` works."""

    provider: str | None
    base_url: str | None
    api_key_env: str | None
    api: Literal["openai", "anthropic"] | None  # the Messages API or Chat Completions
    providers: Mapping[str, ProviderConfig]
    connect_timeout_s: float
    read_timeout_s: float
    turn_timeout_s: float
    max_retries: int
    retry_backoff_s: float


@dataclass(frozen=True, kw_only=True)
class LocalSettings:
    n_ctx: int | None
    gpu_layers: int | None
    cpu_moe: int | Literal["all"] | None
    flash_attn: bool | None
    kv_type: KvType
    threads: int | None
    mmap: bool | None
    mlock: bool
    chat_template: Path | None
    constrain_tools: bool
    tool_choice: Literal["auto", "required"]
    constrain_max_chars: int | None


@dataclass(frozen=True, kw_only=True)
class LimitSettings:
    max_steps: int
    max_consecutive_errors: int
    max_wall_s: float
    max_tokens: int | None
    context_window: int | None
    compact_threshold: float


@dataclass(frozen=True, kw_only=True)
class SafetySettings:
    approval: ApprovalMode
    sandbox: SandboxLevel | None
    sandbox_network: bool
    sandbox_git_writable: bool
    checkpoints: bool
    git_hooks: bool
    pass_env: Sequence[str]
    trust_project: bool
    trusted_projects: Sequence[Path]
    web_fetch_allow: Sequence[str]  # hosts web_fetch reaches unasked, private ones included


@dataclass(frozen=True, kw_only=True)
class ExtensionSettings:
    mcp_servers: Mapping[str, McpServerConfig]
    hooks: Mapping[HookEvent, Sequence[HookMatcher]]


SECTIONS = (
    GenerationSettings,
    EndpointSettings,
    LocalSettings,
    LimitSettings,
    SafetySettings,
    ExtensionSettings,
)

_Section = TypeVar("_Section", bound="DataclassInstance")


def section_of(cls: type[_Section], flat: object) -> _Section:
    """The `cls` view of the flat settings `flat`: its fields, read by name. Lists become
    tuples and the providers a copy, so no component can change the settings through it."""
    values = {}
    for field in dataclasses.fields(cls):
        value = getattr(flat, field.name)
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = dict(value)
        values[field.name] = value
    return cls(**values)
