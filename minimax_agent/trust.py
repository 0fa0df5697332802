"""Project trust: what a repository's `.minimax-agent.toml` may set, and who said so.

A cloned repository is untrusted input. Its project file is read for harmless settings (step
limits, sampling, context sizes, a model name), but the keys that decide where the API key is
sent or how much runs without asking apply only when the user trusted that directory:

- where a key goes: `base_url`, `api_key_env`, `backend` (also: `scripted:FILE` replays tool
  calls the repository wrote, `local:PATH` loads its GGUF), and in `[providers.NAME]` tables
  every field but the harmless ones in `PROVIDER_SAFE` (so `base_url`, `api_key_env`,
  `headers`, `auth`, `key_field`, `api_key_required`, `extra_body`);
- `provider`: allowed untrusted only when it names a built-in preset (or a table of the user's
  own config) and the user named no endpoint (provider, base_url, api_key_env, backend): the
  project then only fills in where the preset's own key already goes;
- programs started: `mcp_servers` and `hooks` (and the project's `.mcp.json`, read by
  minimax_agent/extensions/mcp/config.py only when the directory is trusted);
- requests made unasked: `web_fetch_allow` (a repository listing `169.254.169.254` or its
  own server would let the model fetch from the user's network, or send data out, unasked);
- files read: `chat_template` (any path), and a `model` that looks like a file path (it would
  load a GGUF of the repository's choosing into llama.cpp);
- levels: `approval` and `sandbox` may only be lowered, `sandbox_network`,
  `sandbox_git_writable` and `git_hooks` only turned off, `checkpoints` only turned on, and
  `pass_env` may name no variable the user did not pass already;
- `trust_project` and `trusted_projects` never come from a project file, trusted or not.

A field of `Settings` in none of `PROJECT_SAFE`, `RULED`, `RESTRICTED` and `USER_ONLY` counts
as restricted: a new setting is ignored from untrusted projects until someone decides it is
harmless (tests/trust/test_trust_rules.py asserts that every field is placed).

Trust comes from `--trust-project` (or `trust_project` in the user's config or environment),
from `trusted_projects` in the user's config.toml, or from `trusted-projects.json` beside it,
which the REPL's trust prompt writes. A directory is trusted by its exact resolved path: a
trusted parent does not make a subdirectory trusted when that subdirectory is the workspace
(`-C sub`). The project files that apply (`project_dirs`: from the git root down to where the
run started) are all judged with the trust of the workspace root, so the agent's write tools
refuse a project file at any depth (`Workspace.protected_names`, set by session/runner.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from minimax_agent.errors import ConfigError

PROJECT_FILE = ".minimax-agent.toml"
TRUST_FILE = "trusted-projects.json"
# files of other agents' conventions that start programs: read only in a trusted directory
MCP_JSON = ".mcp.json"
CLAUDE_SETTINGS = Path(".claude") / "settings.json"

# Top-level settings a project may set without trust: they change how hard the agent works,
# never where data goes or what runs unasked.
PROJECT_SAFE = frozenset(
    {
        "max_steps",
        "max_consecutive_errors",
        "max_wall_s",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "seed",
        "dialect",  # how the model's output is read, not where anything goes
        "thinking",
        "n_ctx",
        "gpu_layers",
        "cpu_moe",
        "flash_attn",
        "kv_type",
        "threads",
        "mmap",
        "mlock",
        "constrain_tools",
        "tool_choice",
        "constrain_max_chars",
        "context_window",
        "compact_threshold",
        "connect_timeout_s",
        "read_timeout_s",
        "turn_timeout_s",
        "max_retries",
        "retry_backoff_s",
    }
)
# Fields of a [providers.NAME] table that change the request's shape, not its destination
# or credentials.
PROVIDER_SAFE = frozenset(
    {
        "model",
        "context_window",
        "model_field",
        "max_tokens_field",
        "top_k",
        "include_usage",
        "stream",
        "starts_in_reasoning",
    }
)
# Settings ruled on by `_allowed` (allowed untrusted only in the way it says).
RULED = frozenset(
    {
        "model",
        "provider",
        "approval",
        "sandbox",
        "sandbox_network",
        "sandbox_git_writable",
        "git_hooks",
        "checkpoints",
        "pass_env",
        "providers",
    }
)
# Only from a trusted project: where the key goes, and files read.
# `api` picks the backend and the header the key goes in, as `backend` does.
# `mcp_servers` and `hooks` start programs of the project's choosing; `web_fetch_allow`
# lets requests leave unasked, to private addresses too.
RESTRICTED = frozenset(
    {
        "backend",
        "base_url",
        "api_key_env",
        "api",
        "chat_template",
        "mcp_servers",
        "hooks",
        "web_fetch_allow",
    }
)
# Never from a project file, trusted or not.
USER_ONLY = frozenset({"trust_project", "trusted_projects"})


class UserSettings(Protocol):
    """What the rules read of the user's own settings (config.Settings; this module does not
    import it, since config.py imports the rules)."""

    @property
    def backend(self) -> str | None: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def api_key_env(self) -> str | None: ...
    @property
    def providers(self) -> Mapping[str, object]: ...
    @property
    def approval(self) -> str: ...
    @property
    def sandbox(self) -> str | None: ...
    @property
    def sandbox_network(self) -> bool: ...
    @property
    def sandbox_git_writable(self) -> bool: ...
    @property
    def git_hooks(self) -> bool: ...
    @property
    def checkpoints(self) -> bool: ...
    @property
    def pass_env(self) -> Sequence[str]: ...


_APPROVAL_RANK = {"read-only": 0, "ask": 1, "auto-edit": 2, "full-auto": 3}
# None is the default: workspace-write where a sandbox is required
_SANDBOX_RANK: dict[str | None, int] = {"read-only": 0, "workspace-write": 1, None: 1, "off": 2}


def config_dir() -> Path:
    """The user's config directory (`~/.config/minimax-agent` on Linux)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("minimax-agent"))


def trust_file() -> Path:
    return config_dir() / TRUST_FILE


# -- the trust list ------------------------------------------------------------------------


def _key(directory: Path) -> str:
    return str(Path(directory).expanduser().resolve())


def _read_store() -> dict[str, list[str]]:
    path = trust_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"trusted": [], "declined": []}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc} (fix or delete it)") from None
    lists = data if isinstance(data, dict) else {}
    store = {name: lists.get(name, []) for name in ("trusted", "declined")}
    if not all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in store.values()):
        raise ConfigError(f"cannot read {path}: expected lists of directories (fix or delete it)")
    return store


def remember(directory: Path, *, trusted: bool) -> Path:
    """Record the user's answer for `directory`; returns the trust file written."""
    store = _read_store()
    key = _key(directory)
    keep, drop = ("trusted", "declined") if trusted else ("declined", "trusted")
    store[drop] = [d for d in store[drop] if d != key]
    if key not in store[keep]:
        store[keep].append(key)
    path = trust_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(json.dumps(store, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)  # atomic: a crash never leaves half a trust list
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ConfigError(f"cannot write {path}: {exc}") from None
    return path


def is_trusted(directory: Path, listed: Iterable[Path] = ()) -> bool:
    """Whether the user trusted `directory`: in their config's `trusted_projects` or in the
    trust file. Exact paths only."""
    key = _key(directory)
    return key in {_key(p) for p in listed} or key in _read_store()["trusted"]


def was_declined(directory: Path) -> bool:
    return _key(directory) in _read_store()["declined"]


# -- what an untrusted project may set -----------------------------------------------------


def _looks_like_path(model: object, workspace: Path) -> bool:
    if not isinstance(model, str):
        return False
    if model.lower().endswith(".gguf") or model.startswith(("/", "~", ".", "\\")):
        return True
    return Path(model).exists() or (workspace / model).exists()


def _allowed(key: str, value: Any, base: UserSettings, workspace: Path) -> bool:
    """Whether an untrusted project may set `key` to `value` (`base`: the user's own
    settings: their config.toml, environment and flags)."""
    if key in PROJECT_SAFE:
        return True
    if key == "model":
        return not _looks_like_path(value, workspace)
    if key == "provider":
        from minimax_agent.providers import PRESETS

        if not isinstance(value, str):
            return False
        named = value in PRESETS or value in base.providers
        chosen = base.provider or base.base_url or base.api_key_env or base.backend
        return named and not chosen
    if key == "approval":
        rank = _APPROVAL_RANK.get(value) if isinstance(value, str) else None
        return rank is not None and rank <= _APPROVAL_RANK[str(base.approval)]
    if key == "sandbox":
        rank = _SANDBOX_RANK.get(value) if isinstance(value, str) else None
        return rank is not None and rank <= _SANDBOX_RANK[base.sandbox]
    if key in ("sandbox_network", "sandbox_git_writable", "git_hooks"):
        return value is False or value == getattr(base, key)
    if key == "checkpoints":
        return value is True or value == base.checkpoints
    if key == "pass_env":
        return isinstance(value, list) and set(value) <= set(base.pass_env)
    return False


def split_project(
    data: dict[str, Any],
    base: UserSettings,
    workspace: Path,
    *,
    trusted: bool,
    fields: Collection[str],
) -> tuple[dict[str, Any], list[str]]:
    """The part of a project file's `data` that applies, and the keys ignored (dotted, for
    the warning; empty when trusted). `fields`: the names of the settings."""
    from minimax_agent.providers import ProviderConfig

    kept: dict[str, Any] = {}
    ignored: list[str] = []
    for key, value in data.items():
        if key in USER_ONLY:
            if not trusted:
                ignored.append(key)
        elif trusted or key not in fields:
            kept[key] = value  # an unknown key stays, so validation names the typo
        elif key == "providers" and isinstance(value, dict):
            tables: dict[str, Any] = {}
            for name, table in value.items():
                if not isinstance(table, dict):
                    tables[name] = table  # let validation say what is wrong
                    continue
                known = set(ProviderConfig.model_fields)
                safe = {k: v for k, v in table.items() if k in PROVIDER_SAFE or k not in known}
                ignored += [f"providers.{name}.{k}" for k in table if k not in safe]
                tables[name] = safe
            kept[key] = tables
        elif _allowed(key, value, base, workspace):
            kept[key] = value
        else:
            ignored.append(key)
    return kept, ignored


def printable(text: str) -> str:
    # a key name comes from the repository: its control characters must not reach a terminal
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def warning_for(path: Path, ignored: list[str]) -> str:
    names = ", ".join(printable(k) for k in ignored)
    return (
        f"ignoring settings from untrusted {printable(str(path))}: {names} "
        "(trust it with --trust-project or /trust)"
    )


def project_dirs(workspace: Path, here: Path | None = None) -> list[Path]:
    """The directories whose project file applies to a run in `workspace` started in `here`
    (default: the workspace), outermost first: from the top of the git repository holding
    the workspace (the workspace itself outside git) down to `here`, so a deeper file
    overrides a shallower one. A `here` outside the workspace counts as the workspace."""
    root = Path(workspace)
    inner = Path(here) if here is not None else root
    if inner != root and root not in inner.parents:
        inner = root
    top = next((d for d in (root, *root.parents) if (d / ".git").exists()), root)
    chain = [inner]
    while chain[-1] != top and chain[-1].parent != chain[-1]:
        chain.append(chain[-1].parent)
    return list(reversed(chain))


def _sets_more_than_safe(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # load_settings reports it
    return not all(key in PROJECT_SAFE for key in data)


def project_roots(workspace: Path) -> list[Path]:
    """Where a project's `.mcp.json` and `.claude/settings.json` are read: the top of the git
    repository holding the workspace, then the workspace itself."""
    return list(dict.fromkeys([project_dirs(workspace)[0], Path(workspace)]))


def _json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}  # missing or broken: the extension loader reports a broken one
    return data if isinstance(data, dict) else {}


def project_programs(workspace: Path) -> list[str]:
    """What the project's own files would start if trusted (stdlib only, for the REPL's trust
    question): the servers of its `.mcp.json` and the hooks of its `.claude/settings.json`."""
    found: list[str] = []
    for directory in project_roots(workspace):
        servers = _json_object(directory / MCP_JSON).get("mcpServers")
        if isinstance(servers, dict) and servers:
            names = ", ".join(printable(str(n)) for n in servers)
            found.append(f"MCP servers from {MCP_JSON} ({names})")
        if _json_object(directory / CLAUDE_SETTINGS).get("hooks"):
            found.append(f"hooks from {CLAUDE_SETTINGS.as_posix()}")
    return found


def may_need_trust(workspace: Path, here: Path | None = None) -> bool:
    """A cheap first look for the REPL (no pydantic): whether a project file that applies
    (`project_dirs`) sets anything beyond the always-safe keys, or the project brings programs
    to start (`project_programs`), and no answer is on record for this workspace. When True,
    `load_settings` decides what is really ignored."""
    dirs = project_dirs(workspace, here)
    if not any(_sets_more_than_safe(d / PROJECT_FILE) for d in dirs) and not project_programs(
        workspace
    ):
        return False
    store = _read_store()
    key = _key(workspace)
    return key not in store["trusted"] and key not in store["declined"]


def protected_paths(root: Path) -> tuple[Path, ...]:
    """The agent's own config, which its write tools must refuse: the project file at the
    workspace root and at the top of its repository, and the user's config directory (its
    config.toml and the trust list)."""
    root = Path(root).resolve()
    paths = [root / PROJECT_FILE]
    for parent in (root, *root.parents):
        if (parent / ".git").exists():
            paths.append(parent / PROJECT_FILE)
            break
    paths.append(config_dir().expanduser().resolve())
    return tuple(dict.fromkeys(paths))
