"""Subagent definitions: markdown files that give a child agent a role and a tool list.

A definition is one `NAME.md` in `.minimax-agent/agents/` or `.claude/agents/` (in every
directory from the git root down to the workspace, the innermost winning a clash of names),
then in the user's `agents/` beside the config file and `~/.claude/agents`. Its front matter::

    ---
    name: test-runner
    description: Runs the test suite and reports the failures
    tools: read_file, grep, run_command      # or a YAML list; Claude Code's names work too
    model: inherit                           # optional; see `model_note`
    ---
    The child's instructions (its system prompt's own section).

A repository is untrusted input, so each file goes through `read_contained` as skills do (no
symlink out of its directory, no hard link, no FIFO) and a definition can only narrow what the
child gets: its tools are taken from the parent's, and a write tool only where the parent's
approval mode allows writing (see `tool.py`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minimax_agent.extensions.frontmatter import (
    ExtensionFileError,
    Scope,
    one_line,
    parse_front_matter,
    read_contained,
    search_dirs,
)

__all__ = [
    "PROJECT_AGENT_DIRS",
    "AgentDefinition",
    "discover_agents",
    "user_agent_dirs",
]

PROJECT_AGENT_DIRS = (".minimax-agent/agents", ".claude/agents")
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
DESCRIPTION_CHARS = 400
SCAN_ENTRIES = 200
# Claude Code's tool names, for definitions written for it (`tools: Read, Grep, Bash`)
CLAUDE_TOOL_NAMES = {
    "read": "read_file",
    "write": "write_file",
    "edit": "edit_file",
    "multiedit": "edit_file",
    "ls": "list_dir",
    "glob": "glob",
    "grep": "grep",
    "bash": "run_command",
}


@dataclass(frozen=True)
class AgentDefinition:
    """One definition. `tools` None: the default read-only set; `model` as written."""

    name: str
    description: str
    prompt: str
    tools: tuple[str, ...] | None
    model: str | None
    path: Path
    scope: Scope


def user_agent_dirs() -> list[Path]:
    """The user's definition directories, first wins: the agent's own, then Claude Code's."""
    from minimax_agent.trust import config_dir

    return [config_dir() / "agents", Path.home() / ".claude" / "agents"]


def discover_agents(
    workspace: Path, user_dirs: Sequence[Path] | None = None
) -> tuple[list[AgentDefinition], list[str]]:
    """The definitions that apply to `workspace` (project ones first, then the user's, each
    sorted by name) and one warning per file skipped, naming it and why."""
    dirs, warnings, _ = search_dirs(
        workspace.resolve(),
        PROJECT_AGENT_DIRS,
        user_agent_dirs() if user_dirs is None else user_dirs,
    )
    chosen: dict[str, AgentDefinition] = {}
    for base in dirs:
        try:
            entries = sorted(os.scandir(base.real), key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"cannot list agents in {base.path}: {exc.strerror or exc}")
            continue
        md = [e for e in entries if e.name.endswith(".md") and not e.name.startswith(".")]
        if len(md) > SCAN_ENTRIES:
            warnings.append(f"{base.path} has {len(md)} definitions; only {SCAN_ENTRIES} read")
            md = md[:SCAN_ENTRIES]
        for entry in md:
            shown = base.path / entry.name
            try:
                found = _read_definition(base.real / entry.name, base.real, base.scope)
            except ExtensionFileError as exc:
                warnings.append(f"skipping agent {shown}: {exc}")
                continue
            chosen.setdefault(found.name, found)  # dirs come highest priority first
    order = {"project": 0, "user": 1}
    return sorted(chosen.values(), key=lambda d: (order[d.scope], d.name)), warnings


def _read_definition(path: Path, directory: Path, scope: Scope) -> AgentDefinition:
    meta, body = parse_front_matter(read_contained(path, directory), lenient=True)
    name = meta.get("name", path.stem)
    if not isinstance(name, str) or not NAME_RE.fullmatch(name.strip()):
        raise ExtensionFileError(f"its name {str(name)[:80]!r} is not 1-64 letters, digits, - or _")
    description = meta.get("description")
    if not isinstance(description, str) or not one_line(description, DESCRIPTION_CHARS):
        raise ExtensionFileError("its front matter has no 'description' (a string)")
    model = meta.get("model")
    if model is not None and not isinstance(model, str):
        raise ExtensionFileError("its 'model' must be a string")
    return AgentDefinition(
        name=name.strip(),
        description=one_line(description, DESCRIPTION_CHARS),
        prompt=body.strip(),
        tools=_tool_names(meta.get("tools")),
        model=model.strip() if model and model.strip() else None,
        path=path,
        scope=scope,
    )


def _tool_names(value: Any) -> tuple[str, ...] | None:
    """`tools:` as tool names (Claude Code's mapped to ours), or None when not given."""
    if value is None:
        return None
    if isinstance(value, str):
        items: list[Any] = [part for part in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise ExtensionFileError("its 'tools' must be a comma list or a list of tool names")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ExtensionFileError("its 'tools' must hold tool names (strings)")
        word = item.strip()
        # `Bash(git diff:*)`: Claude Code's per-command rules; the tool is what counts here
        word = word.split("(", 1)[0].strip()
        if word:
            names.append(CLAUDE_TOOL_NAMES.get(word.casefold(), word))
    return tuple(dict.fromkeys(names))
