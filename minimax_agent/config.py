"""One settings object, read from (lowest priority first):

1. the user's `config.toml` in the platform config dir (`~/.config/minimax-agent/` on Linux);
2. the project's `.minimax-agent.toml` files: at the git root, then in each directory down to
   the one the run started in (a deeper file overrides a shallower one);
3. `MINIMAX_AGENT_*` environment variables;
4. command-line flags.

The project file comes with the repository, so it is untrusted: unless the user trusted the
directory (`--trust-project`, `trusted_projects` in their config.toml, or the REPL's trust
prompt), it may not say where the API key is sent (`base_url`, `api_key_env`, `backend`,
`headers` and the other routing fields of `[providers.*]`, a `provider` when the user named an
endpoint), read files (`chat_template`, a `model` path), or raise the approval mode, the sandbox
level, sandbox network or .git access, git hooks or passed-through variables, or let web_fetch
reach hosts unasked (`web_fetch_allow`); lowering them is always allowed. Those keys are
ignored with one warning line naming them (`Settings.warnings`).
The exact rules are in minimax_agent/trust.py.

The object is flat, as the files, variables and flags are; components take its sections
(`settings.generation`, `.endpoint`, `.local`, `.limits`, `.safety`: config_sections.py).
"""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from minimax_agent.config_sections import (
    EndpointSettings,
    ExtensionSettings,
    GenerationSettings,
    KvType,
    LimitSettings,
    LocalSettings,
    SafetySettings,
    SandboxLevel,
    ThinkingMode,
    section_of,
)
from minimax_agent.errors import ConfigError
from minimax_agent.extensions.hook_config import HooksConfig
from minimax_agent.extensions.mcp.config import McpServerConfig
from minimax_agent.providers import ProviderConfig
from minimax_agent.trust import (
    PROJECT_FILE,
    is_trusted,
    printable,
    project_dirs,
    split_project,
    warning_for,
)
from tools.modes import ApprovalMode

# the config files' contents for the Settings being built, lowest priority first
_layers: ContextVar[tuple[dict[str, Any], ...]] = ContextVar("_layers", default=())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MINIMAX_AGENT_", extra="forbid")

    backend: str | None = Field(
        default=None, description="Backend to use, e.g. `scripted:FILE.json`."
    )
    model: str | None = None
    approval: ApprovalMode = ApprovalMode.ASK
    max_steps: int = Field(default=50, ge=1)
    max_consecutive_errors: int = Field(default=3, ge=1)
    max_wall_s: float = Field(default=3600.0, gt=0)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float = 1.0
    top_p: float = 0.95
    top_k: int = 40
    seed: int | None = Field(default=None, description="Sampling seed (local backend).")
    # The model's format (a `minimax_agent.dialect.REGISTRY` key: m2, m3) when its GGUF
    # architecture or endpoint name does not say it right, and M3's thinking_mode.
    dialect: str | None = Field(default=None, description="Model format: m2 or m3.")
    thinking: ThinkingMode | None = Field(default=None, description="M3 thinking mode.")
    # The local llama.cpp backend (chosen when `model` is a .gguf file); see
    # minimax_agent/backends/local/. None means: decide from the model and the machine.
    n_ctx: int | None = Field(default=None, ge=256, description="Context size in tokens.")
    gpu_layers: int | None = Field(default=None, ge=-1, description="Layers on the GPU; -1 all.")
    cpu_moe: int | Literal["all"] | None = Field(
        default=None, description="Keep the MoE experts of the first N layers (or all) in RAM."
    )
    flash_attn: bool | None = None
    kv_type: KvType = "f16"
    threads: int | None = Field(default=None, ge=1)
    mmap: bool | None = None
    mlock: bool = False
    chat_template: Path | None = Field(default=None, description="Jinja chat template file.")
    constrain_tools: bool = False
    tool_choice: Literal["auto", "required"] = "auto"
    constrain_max_chars: int | None = Field(default=None, ge=1)
    # Context management: the window in tokens when the backend cannot tell (a local backend
    # knows its n_ctx), and how full it may get before older steps are summarised.
    context_window: int | None = Field(default=None, ge=512)
    compact_threshold: float = Field(default=0.8, gt=0.1, le=1.0)
    # Snapshot the workspace (git, private ref) before each step that writes or runs commands.
    checkpoints: bool = True
    # The OS sandbox around every command the agent runs (tools/sandbox.py). None: the default,
    # workspace-write (fix and full-auto require it; other REPL modes fall back to off with a
    # warning where no mechanism is available, since every command is approved by a person).
    sandbox: SandboxLevel | None = None
    sandbox_network: bool = False
    # let sandboxed commands write inside .git (a hook planted there would run unsandboxed)
    sandbox_git_writable: bool = False
    # Trust: a project's .minimax-agent.toml may only redirect keys or raise modes when trusted
    # (--trust-project, or the directory is listed in the user's `trusted_projects`).
    trust_project: bool = False
    trusted_projects: list[Path] = Field(default_factory=list)
    # environment variables commands may see although they look secret (--pass-env NAME)
    pass_env: list[str] = Field(default_factory=list)
    # git_commit runs the repository's hooks only when this is on
    git_hooks: bool = False
    # hosts web_fetch reaches without asking, private addresses included (`localhost`,
    # `docs.internal`, `*.example.com`); an untrusted project may not name any
    web_fetch_allow: list[str] = Field(default_factory=list)
    # OpenAI-compatible endpoints (see minimax_agent/providers.py). The API key is only ever
    # read from the environment variable the provider (or --api-key-env) names.
    provider: str | None = Field(
        default=None, description="Provider preset or [providers.NAME] table, e.g. openrouter."
    )
    base_url: str | None = Field(default=None, description="OpenAI-compatible base URL.")
    api_key_env: str | None = Field(default=None, description="Variable holding the API key.")
    # the API the endpoint speaks (None: its preset's, OpenAI Chat Completions by default)
    api: Literal["openai", "anthropic"] | None = Field(
        default=None, description="Endpoint API: openai or anthropic (Messages API)."
    )
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    # Deadlines (minimax_agent/backends/openai/backend.py). A read may wait read_timeout_s for
    # the next byte. A local llama-server sends nothing while it evaluates the prompt, but it
    # caches the prefix, so a turn waits only for the new part: 120 s; raise it for a slow
    # server given long new prompts. Reads that time out are retried only while their time
    # stays within 300 s, so a stalled endpoint costs 4 minutes (two reads), not 25 (300 s x 5).
    read_timeout_s: float = Field(default=120.0, gt=0)
    # a whole model turn, retries included, keep-alive comments or not; the run's max_wall_s
    # also cuts it. 30 minutes: 16k tokens of reasoning at 10 tokens/s (experts in RAM) fit.
    turn_timeout_s: float = Field(default=1800.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    retry_backoff_s: float = Field(default=1.0, ge=0)
    # The user's extensions (minimax_agent/extensions/): MCP servers (`[mcp_servers.NAME]`,
    # and a trusted project's .mcp.json) and hooks (`[[hooks.EVENT]]`). Both start programs,
    # so a project file sets them only when trusted.
    mcp_servers: dict[str, McpServerConfig] = Field(default_factory=dict)
    hooks: HooksConfig = Field(default_factory=dict)
    # what load_settings wants the user told (the keys it ignored from an untrusted project)
    _warnings: list[str] = PrivateAttr(default_factory=list)
    _ignored: list[str] = PrivateAttr(default_factory=list)
    # what load_settings chose for the user and says once (a provider picked by its env key)
    _notices: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """One-line warnings for the user (stderr in fix, a notice in the REPL)."""
        return list(self._warnings)

    @property
    def notices(self) -> list[str]:
        """One-line notes on a choice made for the user (stderr in fix, a notice in the REPL)."""
        return list(self._notices)

    @property
    def ignored_project_keys(self) -> list[str]:
        """Keys of the project file ignored because the directory is not trusted."""
        return list(self._ignored)

    # -- the sections components take (config_sections.py); built afresh from the fields, so
    # a `model_copy(update=...)` shows in them

    @property
    def generation(self) -> GenerationSettings:
        return section_of(GenerationSettings, self)

    @property
    def endpoint(self) -> EndpointSettings:
        return section_of(EndpointSettings, self)

    @property
    def local(self) -> LocalSettings:
        return section_of(LocalSettings, self)

    @property
    def limits(self) -> LimitSettings:
        return section_of(LimitSettings, self)

    @property
    def safety(self) -> SafetySettings:
        return section_of(SafetySettings, self)

    @property
    def extensions(self) -> ExtensionSettings:
        return section_of(ExtensionSettings, self)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = [InitSettingsSource(settings_cls, data) for data in _layers.get()]
        return (init_settings, env_settings, *reversed(files))


def user_config_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("minimax-agent")) / "config.toml"


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def _build(layers: list[tuple[Path, dict[str, Any]]], flags: dict[str, Any]) -> Settings:
    token = _layers.set(tuple(data for _, data in layers))
    try:
        return Settings(**flags)
    except ValidationError as exc:
        where = ", ".join(str(p) for p, _ in layers) or "no config files"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings ({problems}) [read from {where}]") from None
    finally:
        _layers.reset(token)


def load_settings(workspace: Path, *, here: Path | None = None, **flags: Any) -> Settings:
    """Settings for a run in `workspace` started in `here` (default: the workspace); flags
    left as None do not override anything.

    The user's own settings (config.toml, environment, flags) are built first: they say
    whether the project is trusted and what an untrusted project may lower. Then each project
    file from the git root down to `here` (trust.project_dirs) is one layer, deeper ones
    overriding shallower ones, every one filtered with the trust of the workspace root."""
    given = {k: v for k, v in flags.items() if v is not None}
    user_path = user_config_file()
    user = _read(user_path)
    layers = [(user_path, user)] if user is not None else []
    base = _build(layers, given)
    projects = [
        (path, data)
        for path in (d / PROJECT_FILE for d in project_dirs(workspace, here))
        if (data := _read(path)) is not None
    ]
    if not projects:
        return _with_env_key(base)
    trusted = base.trust_project or is_trusted(workspace, base.trusted_projects)
    fields = Settings.model_fields
    ignored: list[str] = []
    warnings: list[str] = []
    for path, data in projects:
        kept, dropped = split_project(data, base, workspace, trusted=trusted, fields=fields)
        layers.append((path, kept))
        if dropped:
            ignored += [k for k in dropped if k not in ignored]
            warnings.append(warning_for(path, dropped))
    settings = _build(layers, given)
    settings._ignored = ignored
    settings._warnings = warnings
    return _with_env_key(settings)


def _with_env_key(settings: Settings) -> Settings:
    """`settings` with the provider a lone key in the environment selects, when they name no
    backend at all (minimax_agent/keys.py); said once through `notices`. Never asks."""
    from minimax_agent.keys import chosen_notice, env_choice

    found = env_choice(settings, settings.ignored_project_keys)
    if found is None:
        return settings
    chosen = settings.model_copy(update={"provider": found.provider})
    chosen._notices = [*settings._notices, chosen_notice(found)]
    return chosen


def trust_question(
    workspace: Path, flags: dict[str, Any], here: Path | None = None
) -> list[str] | None:
    """For the REPL, before anything loads: the keys the project file sets that an untrusted
    directory ignores, and the programs its `.mcp.json` and `.claude/settings.json` would
    start, when the user has not answered for this directory yet; else None.
    (The REPL asks `trust.may_need_trust` first, which needs no pydantic.)"""
    from minimax_agent.errors import MinimaxAgentError
    from minimax_agent.trust import may_need_trust

    if not may_need_trust(workspace, here):
        return None
    from minimax_agent.trust import project_programs

    try:
        settings = load_settings(workspace, here=here, **flags)
    except MinimaxAgentError:
        return None  # the session's own load reports it
    if settings.trust_project or is_trusted(workspace, settings.trusted_projects):
        return None
    keys = [printable(k) for k in settings.ignored_project_keys]
    return [*keys, *project_programs(workspace)] or None
