"""How hooks are configured, in the shape Claude Code users already write::

    [[hooks.PreToolUse]]
    matcher = "run_command|write_file"      # a regular expression on the tool name; "" or "*": all
    hooks = [{ type = "command", command = "./check.sh", timeout = 30 }]

(in JSON, `{"hooks": {"PreToolUse": [{"matcher": ..., "hooks": [...]}]}}`). User hooks live in
config.toml; a project's (its `.minimax-agent.toml`, or the `hooks` of its
`.claude/settings.json`: `load_claude_hooks`) apply only in a trusted directory.

Pydantic and the standard library only: config.py imports this.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

HookEvent = Literal[
    "PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "SessionStart", "PreCompact"
]
HOOK_EVENTS: tuple[HookEvent, ...] = (
    "PreToolUse",
    "PostToolUse",
    "UserPromptSubmit",
    "Stop",
    "SessionStart",
    "PreCompact",
)


class HookCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["command"] = "command"
    command: str
    timeout: float = Field(default=60.0, gt=0, description="Seconds before the hook is killed.")


class HookMatcher(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # PreToolUse/PostToolUse: which tool names (a regular expression matched in full; "" or
    # "*" matches every tool); SessionStart: the source (startup|resume|clear|compact);
    # PreCompact: the trigger (manual|auto); ignored for the other events
    matcher: str = ""
    hooks: list[HookCommand]


HooksConfig = dict[HookEvent, list[HookMatcher]]


def load_claude_hooks(path: Path) -> tuple[HooksConfig, list[str]]:
    """The `hooks` object of a Claude Code settings file (`.claude/settings.json`), and one
    warning per part that cannot be used (an event we do not run, a hook that is not a
    command, a malformed entry); the rest still loads. A missing file is no hooks, silently.

    A project's settings start programs: the caller reads them only in a trusted directory.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"{path}: cannot be read: {exc}"]
    try:
        settings = json.loads(text)
    except ValueError as exc:
        return {}, [f"{path}: not valid JSON: {exc}"]
    raw = settings.get("hooks") if isinstance(settings, dict) else None
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [f"{path}: `hooks` is not an object"]
    config: HooksConfig = {}
    warnings: list[str] = []
    for event, entries in raw.items():
        where = f"{path}: hooks.{event}"
        if event not in HOOK_EVENTS:
            warnings.append(f"{where}: minimax-agent does not run this event; ignored")
            continue
        if not isinstance(entries, list):
            warnings.append(f"{where}: not a list; ignored")
            continue
        found = (_matcher(e, f"{where}[{i}]", warnings) for i, e in enumerate(entries))
        matchers = [m for m in found if m is not None]
        if matchers:
            config[cast(HookEvent, event)] = matchers
    return config, warnings


def _matcher(entry: object, where: str, warnings: list[str]) -> HookMatcher | None:
    """One `{"matcher", "hooks"}` entry, keeping its usable commands (warning about others)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("hooks"), list):
        warnings.append(f"{where}: expected an object with a `hooks` list; ignored")
        return None
    commands: list[HookCommand] = []
    for i, hook in enumerate(entry["hooks"]):
        try:
            commands.append(HookCommand.model_validate(hook))
        except ValidationError as exc:
            problem = exc.errors()[0]
            spot = ".".join(str(p) for p in problem["loc"]) or "entry"
            warnings.append(f"{where}.hooks[{i}]: {spot}: {problem['msg']}; ignored")
    matcher = entry.get("matcher", "")
    if not isinstance(matcher, str):
        warnings.append(f"{where}: `matcher` is not a string; ignored")
        return None
    return HookMatcher(matcher=matcher, hooks=commands) if commands else None
