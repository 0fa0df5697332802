"""Every flag that more than one command takes, declared once.

A flag is an `Annotated` type whose metadata is a `Flag`: its names, help and limits, in plain
data, so this module needs no typer. `cli/command.py` turns each `Flag` into a typer option
when a command is registered, and `cli/fast_start.py` parses the interactive start from the
same declarations without importing typer (typer builds a pydantic adapter per parameter:
about as long again as the REPL takes to draw its prompt).

Flags that always travel together are a *group* (a frozen dataclass of such fields, nested
groups allowed): a command takes the group as one parameter and `cli/command.py` spreads its
fields into the command line. So adding a local-model flag is one field in `LocalFlags` (plus
the setting in `config.py` if it is new): the interactive session, `fix` and `doctor` all get it.

None means "not given": the config files and `MINIMAX_AGENT_*` variables decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any, get_type_hints

from minimax_agent.dialect import REGISTRY as DIALECTS
from tools.modes import ApprovalMode

LOCAL_PANEL = "Local model (llama.cpp)"


@dataclass(frozen=True)
class Flag:
    """How one parameter appears on the command line. `names` empty: typer's default, the
    parameter name as `--long-name` (and `--no-long-name` for a bool)."""

    names: tuple[str, ...] = ()
    help: str = ""
    min: int | None = None
    metavar: str | None = None
    show_default: bool = True
    panel: str | None = None

    def typer_option(self) -> Any:
        import typer

        return typer.Option(
            *self.names,
            help=self.help,
            min=self.min,
            metavar=self.metavar,
            show_default=self.show_default,
            rich_help_panel=self.panel,
        )


def directory_option(
    help: str = "Workspace root (default: the git root above the current dir, else the "
    "current dir).",
) -> Flag:
    """-C/--directory; a command whose directory means something narrower says so in `help`."""
    return Flag(("-C", "--directory"), help)


def json_option(what: str = "One JSON object on stdout.") -> Flag:
    """--json: the command's result as JSON on stdout instead of text."""
    return Flag(("--json",), what)


def max_steps_option(help: str) -> Flag:
    return Flag(help=help, min=1)


# None: not given, so the workspace is the git root above the current directory
# (session/workspace.py); given, the directory is the workspace as it stands
Directory = Annotated[Path | None, directory_option()]
AsJson = Annotated[bool, json_option()]


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    STREAM_JSON = "stream-json"


OutputFormatOpt = Annotated[
    OutputFormat,
    Flag(
        ("--output-format",),
        "text; json (one object at the end); stream-json (one event a line).",
    ),
]

# --- sessions ---------------------------------------------------------------------------------

ContinueLatest = Annotated[
    bool, Flag(("--continue", "-c"), "Continue this workspace's latest session.")
]
Resume = Annotated[str | None, Flag(("--resume", "-r"), "Continue the session with this id.")]
Trace = Annotated[Path | None, Flag(help="Append every model exchange to this JSONL file.")]
ShowReasoning = Annotated[
    bool, Flag(("--show-reasoning",), "Stream the model's reasoning to stderr.")
]
# Plan mode (minimax_agent/session/plan.py): read-only, the answer is a plan.
PlanOpt = Annotated[
    bool,
    Flag(
        ("--plan",),
        "Plan only: read-only tools (whatever --approval says); the model explores and "
        "answers with a plan, changing no file. Exit 0 when it answered.",
    ),
]

# A custom command (minimax_agent/extensions/commands.py) run headless: `fix --command NAME`.
CustomCommandOpt = Annotated[
    str | None,
    Flag(
        ("--command",),
        "Run this custom command (.minimax-agent/commands/NAME.md or .claude/commands/NAME.md, "
        "project or user); TASK is then its arguments, and optional.",
        metavar="NAME",
    ),
]

# --- approval ---------------------------------------------------------------------------------

# The interactive session asks; fix never can, so its default and its help differ.
Approval = Annotated[ApprovalMode | None, Flag(help="Approval mode (default from config: ask).")]
HeadlessApproval = Annotated[
    ApprovalMode, Flag(help="What runs without asking; fix never asks, so 'ask' denies.")
]

# --- the endpoint or model --------------------------------------------------------------------

Backend = Annotated[
    str | None,
    Flag(
        help="Backend: openai[:PROVIDER], anthropic[:PROVIDER], local[:PATH.gguf], "
        "scripted:FILE.json or demo (the script `minimax-agent demo` runs)."
    ),
]
Provider = Annotated[
    str | None,
    Flag(
        help="Provider: openrouter, minimax, nvidia, modelslab, vllm, sglang, "
        "llamacpp-server, openai; minimax-anthropic, modelslab-anthropic, anthropic "
        "(Messages API); or one defined in config.toml."
    ),
]
BaseUrl = Annotated[str | None, Flag(("--base-url",), "OpenAI-compatible base URL (…/v1).")]
Model = Annotated[str | None, Flag(help="Model name at the endpoint, or a local PATH.gguf.")]
ApiKeyEnv = Annotated[
    str | None,
    Flag(
        ("--api-key-env",),
        "Environment variable holding the API key (keys are never taken as flags).",
    ),
]


class EndpointApi(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


ApiOpt = Annotated[
    EndpointApi | None,
    Flag(
        ("--api",),
        "The endpoint's API: openai (Chat Completions) or anthropic (Messages API; with "
        "--base-url for any compatible gateway). Default: the provider's.",
    ),
]


class ThinkingChoice(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    ADAPTIVE = "adaptive"


# A name outside the registry is refused when the backend is built (exit 2), so a new dialect
# needs no edit here.
DialectOpt = Annotated[
    str | None,
    Flag(
        ("--dialect",),
        "Model format (default: from the GGUF's architecture or the model name).",
        metavar="|".join(DIALECTS),
    ),
]
Thinking = Annotated[
    ThinkingChoice | None,
    Flag(("--thinking",), "M3's thinking mode (default: enabled; M2 always reasons)."),
]

# --- safety -----------------------------------------------------------------------------------

Sandbox = Annotated[
    str | None,
    Flag(
        ("--sandbox",),
        "OS sandbox for commands: read-only, workspace-write (the default) or off.",
    ),
]
SandboxNetwork = Annotated[
    bool | None,
    Flag(
        ("--sandbox-network/--no-sandbox-network",),
        "Let sandboxed commands use the network (default: off).",
    ),
]
TrustProject = Annotated[
    bool | None,
    Flag(
        ("--trust-project",),
        "Trust this directory's .minimax-agent.toml: it may then set endpoints, keys "
        "and raise the approval or sandbox level.",
    ),
]
PassEnv = Annotated[
    list[str] | None,
    Flag(
        ("--pass-env",),
        "Let commands see this secret-looking environment variable (repeatable).",
    ),
]

# --- the local llama.cpp backend --------------------------------------------------------------


class KvType(StrEnum):
    F16 = "f16"
    Q8_0 = "q8_0"
    Q4_0 = "q4_0"


class ToolChoice(StrEnum):
    AUTO = "auto"
    REQUIRED = "required"


NCtx = Annotated[
    int | None,
    Flag(
        ("--n-ctx",),
        "Context size in tokens (default: the model's maximum that fits in memory).",
        min=256,
        panel=LOCAL_PANEL,
    ),
]
GpuLayers = Annotated[
    int | None,
    Flag(
        ("--gpu-layers",),
        "Layers on the GPU; -1 all (default: all when llama.cpp has a GPU backend).",
        min=-1,
        panel=LOCAL_PANEL,
    ),
]
CpuMoe = Annotated[
    str | None,
    Flag(
        ("--cpu-moe",),
        "Keep the MoE expert tensors of the first N layers (or all) in system RAM.",
        metavar="N|all",
        panel=LOCAL_PANEL,
    ),
]
FlashAttn = Annotated[
    bool | None,
    Flag(
        ("--flash-attn/--no-flash-attn",),
        "Flash attention (default: llama.cpp decides).",
        show_default=False,
        panel=LOCAL_PANEL,
    ),
]
KvTypeOpt = Annotated[
    KvType | None, Flag(("--kv-type",), "KV cache type (default f16).", panel=LOCAL_PANEL)
]
# `models plan` and `models pull` size a model for this machine at a KV cache type (they
# default to q8_0, the planner's assumption, so the type is always given)
PlanKvType = Annotated[KvType, Flag(("--kv", "--kv-type"), "KV cache type.")]
Threads = Annotated[
    int | None, Flag(help="CPU threads (default: all available).", min=1, panel=LOCAL_PANEL)
]
ChatTemplate = Annotated[
    Path | None,
    Flag(
        ("--chat-template",),
        "Jinja chat template file instead of the GGUF's own.",
        panel=LOCAL_PANEL,
    ),
]
ConstrainTools = Annotated[
    bool | None,
    Flag(
        ("--constrain-tools/--no-constrain-tools",),
        "A grammar keeps tool calls well-formed: known tools and parameters only.",
        show_default=False,
        panel=LOCAL_PANEL,
    ),
]
ToolChoiceOpt = Annotated[
    ToolChoice | None,
    Flag(
        ("--tool-choice",),
        "required: every turn must call a tool (local: needs --constrain-tools).",
        panel=LOCAL_PANEL,
    ),
]
MaxTokens = Annotated[int | None, Flag(("--max-tokens",), "Most tokens generated per step.", min=1)]
Seed = Annotated[int | None, Flag(help="Sampling seed.", panel=LOCAL_PANEL)]

# --- groups -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagGroup:
    """Base of the groups: a command parameter typed with a subclass is spread into flags."""

    def settings(self) -> dict[str, Any]:
        """The group as `load_settings` overrides: field name → plain value (enums by value,
        an empty repeatable flag as None, so it does not override the config); a nested
        group's settings are merged in."""
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, FlagGroup):
                values.update(value.settings())
                continue
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, list | tuple) and not value:
                value = None
            values[f.name] = value
        return values


@dataclass(frozen=True)
class EndpointFlags(FlagGroup):
    """Which model, where: every command that talks to a model."""

    backend: Backend = None
    provider: Provider = None
    base_url: BaseUrl = None
    model: Model = None
    api_key_env: ApiKeyEnv = None
    api: ApiOpt = None
    dialect: DialectOpt = None
    thinking: Thinking = None


@dataclass(frozen=True)
class LocalFlags(FlagGroup):
    """How llama.cpp loads the model: the session, fix and doctor (which checks that load)."""

    n_ctx: NCtx = None
    gpu_layers: GpuLayers = None
    cpu_moe: CpuMoe = None
    flash_attn: FlashAttn = None
    kv_type: KvTypeOpt = None
    threads: Threads = None
    chat_template: ChatTemplate = None
    constrain_tools: ConstrainTools = None


@dataclass(frozen=True)
class SafetyFlags(FlagGroup):
    """What the agent's commands may reach: the session and fix."""

    sandbox: Sandbox = None
    sandbox_network: SandboxNetwork = None
    trust_project: TrustProject = None
    pass_env: PassEnv = None


@dataclass(frozen=True)
class SessionFlags(FlagGroup):
    """Everything the interactive session takes (the root command): one declaration that both
    typer and the fast start (cli/fast_start.py) read."""

    directory: Directory = None
    continue_latest: ContinueLatest = False
    resume: Resume = None
    endpoint: EndpointFlags = field(default_factory=EndpointFlags)
    approval: Approval = None
    local: LocalFlags = field(default_factory=LocalFlags)
    safety: SafetyFlags = field(default_factory=SafetyFlags)


# --- spreading a group into parameters, and gathering it back ---------------------------------


@dataclass(frozen=True)
class Param:
    """One command-line parameter a group contributes: its name, `Annotated` type, default."""

    name: str
    annotation: Any
    default: Any


def is_group(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, FlagGroup)


def spread(group: type[FlagGroup]) -> list[Param]:
    """The group's fields as parameters, nested groups flattened in place."""
    hints = get_type_hints(group, include_extras=True)
    params: list[Param] = []
    for f in fields(group):
        hint = hints[f.name]
        if is_group(hint):
            params.extend(spread(hint))
        else:
            params.append(Param(f.name, hint, f.default))
    return params


def gather(group: type[FlagGroup], values: dict[str, Any]) -> FlagGroup:
    """The group built from the flattened `values`, which it takes out of the dict; a value
    not there keeps its default."""
    hints = get_type_hints(group, include_extras=True)
    kwargs: dict[str, Any] = {}
    for f in fields(group):
        if is_group(hints[f.name]):
            kwargs[f.name] = gather(hints[f.name], values)
        elif f.name in values:
            kwargs[f.name] = values.pop(f.name)
    return group(**kwargs)
