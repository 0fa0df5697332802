"""The two files setup writes: `provider = "…"` in the user's config.toml, every other line of
it kept as the user wrote it, and a typed key in the credentials file, created with mode 0600
(never widened by the umask, never readable for a moment by others).

Both are written to a temporary file beside the target and renamed over it, so a crash leaves
the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from minimax_agent.errors import ConfigError
from minimax_agent.keys import credentials_file, stored_keys

_PROVIDER_LINE = re.compile(r"^\s*provider\s*=")
# top-level keys that outrank or redirect `provider`: worth a word after setup
OVERRIDING = ("backend", "base_url")
CREDENTIALS_HEADER = (
    "# API keys stored by `minimax-agent setup`, by the variable each provider reads.\n"
    "# Keep this file private (mode 0600); a variable in the environment wins over it.\n"
)


def with_provider(text: str, name: str) -> str:
    """`text` (a config.toml) with its top-level `provider` set to `name`: the line replaced
    where there is one, else added before the first table; nothing else changes."""
    lines = text.splitlines(keepends=True)
    new = f"provider = {json.dumps(name)}\n"
    first_table = len(lines)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("["):
            first_table = i
            break
        if _PROVIDER_LINE.match(line):
            lines[i] = new
            return "".join(lines)
    head = lines[:first_table]
    if head and not head[-1].endswith("\n"):
        head[-1] += "\n"
    return "".join([*head, new, *lines[first_table:]])


def set_provider(path: Path, name: str) -> list[str]:
    """Write `provider = name` into the config file at `path`; the top-level keys it holds that
    take precedence over a provider (`backend`, `base_url`), for the user to be told."""
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        before = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; fix it, then run setup again") from None
    updated = with_provider(text, name)
    try:
        after = tomllib.loads(updated)
    except tomllib.TOMLDecodeError:
        after = {}
    if after.get("provider") != name:  # a layout the line edit cannot handle (a multi-line value)
        raise ConfigError(f'cannot update {path}: add `provider = "{name}"` at its top yourself')
    _write(path, updated, mode=None)
    return [key for key in OVERRIDING if before.get(key)]


def store_key(env: str, key: str) -> Path:
    """Keep `key` as the value of `env` in the credentials file (mode 0600); its path."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
        raise ConfigError(f"cannot store a key under the name {env!r}")
    if not key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise ConfigError("the key is empty or holds control characters")
    path = credentials_file()
    keys = {**stored_keys(), env: key}
    body = CREDENTIALS_HEADER + "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())
    _write(path, body, mode=0o600)
    return path


def _write(path: Path, text: str, *, mode: int | None) -> None:
    """Replace `path` with `text` through a temporary file; `mode` for a new private file, or
    None to keep the file's mode (0644 for a new one, less the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if mode == 0o600:
                os.fchmod(handle.fileno(), 0o600)  # an old temporary file may have been wider
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {exc}") from None
