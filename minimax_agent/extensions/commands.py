"""Custom commands: markdown files that become `/NAME` in the REPL and `fix --command NAME`.

`.minimax-agent/commands/NAME.md` and `.claude/commands/NAME.md` (Claude Code's place, so the
commands users already wrote work as they are), in every directory from the git root down to
the workspace (the innermost wins), then in the user's directories (`user_command_dirs`). A
file in a subdirectory is namespaced: `frontend/test.md` is `/frontend:test`.

The front matter is optional: `description` (shown in `/help` and completion; else the body's
first line) and `argument-hint`. The body is the prompt sent, after `expand_command`
substitutes the arguments.

A repository is untrusted: files are read with the same checks as skills (no symlink out of
its directory, no hard link, no FIFO), and a command's body is only ever text for the model.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from minimax_agent.extensions.frontmatter import (
    ExtensionFileError,
    Scope,
    SearchDir,
    inside,
    one_line,
    parse_front_matter,
    read_contained,
    search_dirs,
)

__all__ = [
    "PROJECT_COMMAND_DIRS",
    "CustomCommand",
    "discover_commands",
    "expand_command",
    "user_command_dirs",
]

PROJECT_COMMAND_DIRS = (".minimax-agent/commands", ".claude/commands")
PART_RE = re.compile(r"[A-Za-z0-9_-]+")
NAME_CHARS = 100
DESCRIPTION_CHARS = 300
FIRST_LINE_CHARS = 80
HINT_CHARS = 100
# subdirectories below a commands directory that give namespaces (a:b:c:NAME at most)
MAX_DEPTH = 3
SCAN_FILES = 500
_PLACEHOLDER = re.compile(r"\$(ARGUMENTS|[1-9])")


@dataclass(frozen=True)
class CustomCommand:
    """One command: `body` is its text without front matter; `path` the file, resolved."""

    name: str
    description: str
    argument_hint: str | None
    body: str
    path: Path
    scope: Scope


def user_command_dirs() -> list[Path]:
    """The user's command directories, first wins: the agent's own, then Claude Code's."""
    from minimax_agent.trust import config_dir

    return [config_dir() / "commands", Path.home() / ".claude" / "commands"]


def discover_commands(
    workspace: Path,
    user_dirs: Sequence[Path] | None = None,
    reserved: Collection[str] = (),
) -> tuple[dict[str, CustomCommand], list[str]]:
    """The commands that apply to `workspace`, by name (sorted), and one warning per file
    skipped (naming it and why). A name in `reserved` (the built-in slash commands, with or
    without the `/`) is skipped with a warning: a repository must not be able to replace
    `/undo` or `/approval` with text of its own. Nothing is parsed unless a commands directory
    exists."""
    workspace = workspace.resolve()
    dirs, warnings, _ = search_dirs(
        workspace, PROJECT_COMMAND_DIRS, user_command_dirs() if user_dirs is None else user_dirs
    )
    taken = {r.lstrip("/").casefold() for r in reserved}
    chosen: dict[str, CustomCommand] = {}
    for base in dirs:
        for shown, real, parts in _command_files(base, warnings):
            bad = next((p for p in parts if not PART_RE.fullmatch(p)), None)
            name = ":".join(parts)
            if bad is not None or len(name) > NAME_CHARS:
                warnings.append(
                    f"skipping command {shown}: its name {name[:NAME_CHARS]!r} is not letters, "
                    "digits, '-' and '_' (':' between folder levels)"
                )
                continue
            if name.casefold() in taken:
                warnings.append(f"skipping command {shown}: /{name} is a built-in command")
                continue
            try:
                command = _read_command(name, real, base)
            except ExtensionFileError as exc:
                warnings.append(f"skipping command {shown}: {exc}")
                continue
            chosen.setdefault(name, command)  # dirs come highest priority first
    return dict(sorted(chosen.items())), warnings


def _command_files(base: SearchDir, warnings: list[str]) -> list[tuple[Path, Path, list[str]]]:
    """(path as shown, path under the resolved directory, name parts) for each `.md` file,
    walking at most `MAX_DEPTH` folders down. A folder is entered once, and only when it
    resolves inside the commands directory (a symlink loop or a link out is not followed)."""
    found: list[tuple[Path, Path, list[str]]] = []
    seen: set[Path] = set()

    def walk(shown: Path, real: Path, prefix: list[str]) -> None:
        try:
            resolved = real.resolve(strict=True)
            entries = sorted(os.scandir(real), key=lambda e: e.name)
        except (OSError, RuntimeError) as exc:
            warnings.append(f"cannot list commands in {shown}: {exc}")
            return
        if resolved in seen:
            return
        seen.add(resolved)
        for entry in entries:
            if entry.name.startswith(".") or len(found) >= SCAN_FILES:
                continue
            path = Path(entry.path)
            if entry.is_dir():  # follows a symlink, so the check below decides
                try:
                    sub = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    continue
                if not inside(sub, base.real):
                    warnings.append(
                        f"skipping commands in {shown / entry.name}: it leads outside {base.path}"
                    )
                elif len(prefix) < MAX_DEPTH:
                    walk(shown / entry.name, path, [*prefix, entry.name])
            elif entry.name.endswith(".md"):
                found.append((shown / entry.name, path, [*prefix, entry.name[:-3]]))
        if len(found) >= SCAN_FILES and not prefix:
            warnings.append(f"{shown}: only the first {SCAN_FILES} command files were read")

    walk(base.path, base.real, [])
    return found


def _read_command(name: str, path: Path, base: SearchDir) -> CustomCommand:
    meta, body = parse_front_matter(read_contained(path, base.real), lenient=True)
    body = body.strip()
    if not body:
        raise ExtensionFileError("it has no text after its front matter")
    description = meta.get("description")
    if isinstance(description, str) and one_line(description, DESCRIPTION_CHARS):
        summary = one_line(description, DESCRIPTION_CHARS)
    else:
        first = next(line for line in body.split("\n") if line.strip())
        summary = one_line(first.lstrip("#").strip() or first, FIRST_LINE_CHARS)
    return CustomCommand(
        name=name,
        description=summary,
        argument_hint=_hint(meta.get("argument-hint")),
        body=body,
        path=path.resolve(),
        scope=base.scope,
    )


def _hint(value: object) -> str | None:
    """The argument hint as written. YAML reads Claude Code's `argument-hint: [file]` as a
    list; it is put back in brackets."""
    if isinstance(value, list):
        value = " ".join(f"[{item}]" for item in value)
    if isinstance(value, str | int | float) and str(value).strip():
        return one_line(str(value), HINT_CHARS)
    return None


def expand_command(command: CustomCommand, arguments: str) -> str:
    """The prompt a command sends: `$ARGUMENTS` is the whole argument string, `$1`..`$9` the
    arguments split as a shell would (on a quoting mistake, at whitespace); a placeholder with
    no argument becomes empty. A body with no placeholder gets the arguments appended after a
    blank line, so they are never silently lost.

    The body stays text. Claude Code runs `!command` lines of a command file and inlines
    `@file` references; neither is done here: running a repository's text as commands would
    bypass approval and the sandbox's prompt, and the model can read files itself.
    """
    arguments = arguments.strip()
    body = command.body
    if not _PLACEHOLDER.search(body):
        return f"{body}\n\nArguments: {arguments}" if arguments else body
    try:
        positional = shlex.split(arguments)
    except ValueError:  # an unclosed quote: the user's words still count
        positional = arguments.split()

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "ARGUMENTS":
            return arguments
        index = int(key) - 1
        return positional[index] if index < len(positional) else ""

    # one pass, so an argument containing `$1` is not substituted again
    return _PLACEHOLDER.sub(substitute, body)
