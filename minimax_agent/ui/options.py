"""Options of the interactive session, and a parser for them that needs no typer.

`minimax-agent` with no subcommand is the common start, and its start-up time is watched: this
module imports nothing heavy, so `entry.py` can parse a plain interactive command line here and
leave typer (and its import time) to everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ReplOptions:
    directory: Path = Path(".")
    continue_latest: bool = False
    resume: str | None = None
    # settings given as flags (backend, model, approval, ...); None values are ignored
    settings: dict[str, Any] = field(default_factory=dict)


_VALUE_FLAGS = {
    "-C": "directory",
    "--directory": "directory",
    "-r": "resume",
    "--resume": "resume",
    "--backend": "backend",
    "--model": "model",
    "--approval": "approval",
    "--provider": "provider",
    "--base-url": "base_url",
    "--api-key-env": "api_key_env",
}


def parse_argv(argv: list[str]) -> ReplOptions | None:
    """Options for a plain interactive start, parsed without typer (which costs start-up
    time); None when `argv` is anything else (a subcommand, --help, an unknown flag)."""
    options = ReplOptions()
    items = iter(argv)
    for item in items:
        flag, eq, inline = item.partition("=")
        if item in ("-c", "--continue"):
            options.continue_latest = True
        elif flag in _VALUE_FLAGS:
            value = inline if eq else next(items, None)
            if value is None:
                return None
            name = _VALUE_FLAGS[flag]
            if name == "directory":
                options.directory = Path(value)
            elif name == "resume":
                options.resume = value
            else:
                options.settings[name] = value
        else:
            return None
    return options
