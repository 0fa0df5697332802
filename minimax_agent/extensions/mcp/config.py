"""How an MCP server is configured: one `McpServerConfig` per server.

Two conventions users already have are read into it: `[mcp_servers.NAME]` tables in the
user's config.toml (Codex's names: `startup_timeout_sec`, `http_headers`, `enabled_tools`,
`bearer_token_env_var`) and a project's `.mcp.json` (Claude Code's
`{"mcpServers": {"NAME": {"command", "args", "env"} | {"type": "http", "url", "headers"}}}`).
Values may reference environment variables (`${GITHUB_TOKEN}`, `${VAR:-default}`); they are
expanded when the server starts (`expand_server`), so a missing variable fails that server
alone. `load_mcp_json` reads a `.mcp.json`; whether a directory's file may be read at all
(it starts programs) is the caller's trust decision, not made here.

Stdlib, pydantic and our errors only: config.py imports this, and must not pull in the SDK.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from minimax_agent.errors import ConfigError

Transport = Literal["stdio", "http", "sse"]

# a server's name becomes part of its tools' names (`mcp__NAME__TOOL`), which the model and
# every provider's tool-name rules must accept
SERVER_NAME = re.compile(r"[A-Za-z0-9_-]+")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class McpServerConfig(BaseModel):
    """One MCP server: a program to start (stdio) or a URL (streamable HTTP, or legacy SSE)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # None: stdio when `command` is given, else streamable HTTP
    type: Transport | None = None
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: Path | None = None
    url: str | None = None
    headers: dict[str, str] = Field(
        default_factory=dict, validation_alias=AliasChoices("headers", "http_headers")
    )
    # Codex: the variable whose value is sent as `Authorization: Bearer ...`
    bearer_token_env_var: str | None = None
    enabled: bool = True
    # which of the server's tools are offered (None: all), and which never are
    enabled_tools: list[str] | None = None
    disabled_tools: list[str] = Field(default_factory=list)
    # tools that run without asking in every approval mode but read-only
    approved_tools: list[str] = Field(default_factory=list)
    # a tool the server marks `readOnlyHint` counts as a read tool (runs unasked, and in
    # read-only sessions); false: every tool of this server asks as a command does
    trust_read_only_hint: bool = True
    startup_timeout_s: float = Field(
        default=30.0,
        gt=0,
        validation_alias=AliasChoices("startup_timeout_s", "startup_timeout_sec"),
    )
    tool_timeout_s: float = Field(
        default=120.0, gt=0, validation_alias=AliasChoices("tool_timeout_s", "tool_timeout_sec")
    )

    @property
    def transport(self) -> Transport:
        if self.type is not None:
            return self.type
        return "stdio" if self.command else "http"

    @model_validator(mode="after")
    def _check_target(self) -> McpServerConfig:
        if self.transport == "stdio" and not self.command:
            raise ValueError("a stdio MCP server needs `command`")
        if self.transport != "stdio" and not self.url:
            raise ValueError(f"an {self.transport} MCP server needs `url`")
        return self


def _known_keys() -> frozenset[str]:
    keys: set[str] = set()
    for name, field in McpServerConfig.model_fields.items():
        keys.add(name)
        if isinstance(field.validation_alias, AliasChoices):
            keys.update(str(c) for c in field.validation_alias.choices)
    return frozenset(keys)


def valid_server_name(name: str) -> bool:
    return SERVER_NAME.fullmatch(name) is not None


def load_mcp_json(path: Path) -> tuple[dict[str, McpServerConfig], list[str]]:
    """The servers of a Claude Code `.mcp.json`, and warnings for what was left out.

    Nothing here raises: a broken file is one warning and no servers; a server with a bad
    name or bad settings is left out with a warning; keys this client does not know (another
    client's extensions) are dropped with one warning naming them. Trust is the caller's
    decision: call this only for a trusted directory, since the file starts programs.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return {}, [f"{path}: cannot read MCP servers: {exc}"]
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        return {}, [f'{path}: no "mcpServers" object; no MCP servers loaded']
    known = _known_keys()
    found: dict[str, McpServerConfig] = {}
    warnings: list[str] = []
    for name, raw in servers.items():
        if not valid_server_name(name):
            warnings.append(
                f"{path}: MCP server {name!r} left out: a name may hold only letters, digits, "
                "'_' and '-'"
            )
            continue
        if not isinstance(raw, dict):
            warnings.append(f"{path}: MCP server {name!r} left out: not an object")
            continue
        entry: dict[str, Any] = {k: v for k, v in raw.items() if k in known}
        unknown = sorted(set(raw) - known)
        if unknown:
            warnings.append(
                f"{path}: MCP server {name!r}: ignored unknown keys {', '.join(unknown)}"
            )
        if entry.get("type") == "streamable-http":  # Claude Code's other spelling
            entry["type"] = "http"
        try:
            found[name] = McpServerConfig.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or name}: {e['msg']}" for e in exc.errors()
            )
            warnings.append(f"{path}: MCP server {name!r} left out: {problems}")
    return found, warnings


def expand_env(value: str, env: Mapping[str, str]) -> str:
    """`value` with `${VAR}` and `${VAR:-default}` replaced from `env`.

    As in the shell, the default applies when the variable is unset or empty. A variable that
    is unset and has no default is a `ConfigError` naming it: starting a server with an empty
    token would fail later, and less clearly.
    """

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        got = env.get(name)
        if got:
            return got
        if default is not None:
            return default
        if got is not None:
            return got
        raise ConfigError(f"environment variable {name} is not set (referenced as ${{{name}}})")

    return _VARIABLE.sub(one, value)


def expand_server(config: McpServerConfig, env: Mapping[str, str]) -> McpServerConfig:
    """A copy of `config` with every variable reference expanded, and the bearer token (if
    `bearer_token_env_var` is set) added as an `Authorization` header; `ConfigError` names
    what is missing."""
    headers = {k: expand_env(v, env) for k, v in config.headers.items()}
    if config.bearer_token_env_var:
        token = env.get(config.bearer_token_env_var)
        if not token:
            raise ConfigError(
                f"environment variable {config.bearer_token_env_var} is not set "
                "(bearer_token_env_var)"
            )
        headers["Authorization"] = f"Bearer {token}"
    return config.model_copy(
        update={
            "command": expand_env(config.command, env) if config.command else None,
            "args": [expand_env(a, env) for a in config.args],
            "env": {k: expand_env(v, env) for k, v in config.env.items()},
            "url": expand_env(config.url, env) if config.url else None,
            "cwd": Path(expand_env(str(config.cwd), env)) if config.cwd else None,
            "headers": headers,
        }
    )
