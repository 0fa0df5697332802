"""YAML front matter, and reading the markdown files that carry it out of untrusted directories.

Skills (SKILL.md) and custom commands (NAME.md) start with a block like::

    ---
    name: release-notes
    description: Write release notes from the git log
    ---
    The body, in markdown.

`parse_front_matter` splits such a text; `read_contained` reads one such file only when it is
safe to: these files come from a cloned repository or a downloaded skill collection, so a
`SKILL.md -> ~/.ssh/id_rsa` symlink, a hard link to a secret or a FIFO (which would block the
start) must be refused before anything is opened, as memory.py does for AGENTS.md.

`search_dirs` lists where they are looked for, in priority order: the project's directories from
the workspace up to the git root (the innermost wins, as for AGENTS.md), then the user's.

pyyaml is imported only when a file really has front matter, so a start with no skills and no
commands never loads it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from minimax_agent.errors import ConfigError
from minimax_agent.session.memory import memory_dirs

__all__ = [
    "MAX_FILE_BYTES",
    "ExtensionFileError",
    "FrontMatterError",
    "Scope",
    "SearchDir",
    "inside",
    "one_line",
    "parse_front_matter",
    "read_contained",
    "search_dirs",
]

Scope = Literal["project", "user"]
MAX_FILE_BYTES = 200_000
_FENCE = re.compile(r"[ \t]*---[ \t]*")
# `key: value` on one line, the shape the lenient fallback accepts
_SIMPLE_LINE = re.compile(r"([A-Za-z0-9_-]+)[ \t]*:[ \t]*(.*)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class ExtensionFileError(ConfigError):
    """A skill or command file that cannot be used: unsafe to read, unreadable or malformed.
    Discovery turns each into one warning and goes on; none stops a start."""


class FrontMatterError(ExtensionFileError):
    """The front matter is not valid YAML, has no closing `---`, or is not a mapping."""


def parse_front_matter(text: str, *, lenient: bool = False) -> tuple[dict[str, Any], str]:
    """(front matter, body). A text whose first line is `---` has YAML up to the next `---`
    line; anything else has no front matter and is all body. A BOM and CRLF endings are
    tolerated (the body comes back with LF endings).

    `lenient`: when the YAML does not parse, read the block as `key: value` lines instead,
    each value a plain string. Files written for other agents often have
    `description: Review: style and tests` or `argument-hint: [file] [mode]`, which YAML
    rejects but whose meaning is plain; a block that is not all such lines still fails.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or not _FENCE.fullmatch(lines[0]):
        return {}, text
    end = next((i for i in range(1, len(lines)) if _FENCE.fullmatch(lines[i])), None)
    if end is None:
        raise FrontMatterError("the front matter has no closing '---' line")
    block = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    try:
        return _yaml_mapping(block), body
    except FrontMatterError:
        if not lenient:
            raise
        simple = _simple_mapping(block)
        if simple is None:
            raise
        return simple, body


def _yaml_mapping(block: str) -> dict[str, Any]:
    import yaml  # lazily: only files with front matter need it

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        # +2: the mark counts from 0 within the block, which starts on the file's line 2
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise FrontMatterError(f"the front matter is not valid YAML: {problem}{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            f"the front matter must be a mapping of keys to values, not {type(data).__name__}"
        )
    return {str(key): value for key, value in data.items()}


def _simple_mapping(block: str) -> dict[str, Any] | None:
    """`key: value` lines as strings, or None when some line has another shape."""
    found: dict[str, Any] = {}
    for line in block.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _SIMPLE_LINE.fullmatch(line.rstrip())
        if match is None:
            return None
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[match.group(1)] = value
    return found


def one_line(value: str, limit: int) -> str:
    """`value` as one clean line of at most `limit` characters: control and bidirectional
    characters removed (they could hide text from the user in a listing), whitespace runs
    collapsed to one space."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def read_contained(path: Path, directory: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The text of `path`, which must really live inside `directory` (symlinks followed before
    deciding), be a regular file with one link, hold no NUL byte and be at most `limit` bytes.

    The type is checked before opening, the open does not follow a symlink swapped in since,
    and the open descriptor is checked to be the same file, so neither a FIFO nor a link
    planted between the checks gets through (the same steps as tools/fileio.py).
    """
    try:
        top = directory.resolve(strict=True)
        real = path.resolve(strict=True)
    except FileNotFoundError:
        raise ExtensionFileError("it does not exist") from None
    except (OSError, RuntimeError) as exc:  # a symlink loop is a RuntimeError before 3.13
        raise ExtensionFileError(f"it cannot be resolved: {exc}") from None
    if top not in real.parents:
        raise ExtensionFileError(f"it leads outside its directory {top} (to {real})")
    try:
        before = os.lstat(real)
    except OSError as exc:
        raise ExtensionFileError(f"it cannot be read: {exc.strerror or exc}") from None
    _check_kind(before, limit)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        raise ExtensionFileError(f"it cannot be opened: {exc.strerror or exc}") from None
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise ExtensionFileError("it was replaced while it was being opened")
        _check_kind(now, limit)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ExtensionFileError(f"it cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ExtensionFileError(f"it is larger than {limit // 1000} KB")
    if b"\0" in data:
        raise ExtensionFileError("it is a binary file, not text")
    return data.decode("utf-8", errors="replace")


def _check_kind(st: os.stat_result, limit: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise ExtensionFileError("it is a directory")
    if stat.S_ISFIFO(st.st_mode):
        raise ExtensionFileError("it is a named pipe (FIFO), not a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise ExtensionFileError("it is not a regular file")
    if st.st_nlink > 1:
        # its other names cannot be found without walking the whole file system, so it may be
        # a second name for a secret elsewhere
        raise ExtensionFileError(f"it has {st.st_nlink} hard links, so it may be another file")
    if st.st_size > limit:
        raise ExtensionFileError(f"it is larger than {limit // 1000} KB")


# -- where skills and commands are looked for ------------------------------------------------


@dataclass(frozen=True)
class SearchDir:
    """One directory that may hold skills or commands: `path` as found (for messages),
    `real` its resolved location, and its scope."""

    path: Path
    real: Path
    scope: Scope


def search_dirs(
    workspace: Path, subdirs: Sequence[str], user_dirs: Sequence[Path]
) -> tuple[list[SearchDir], list[str], Path]:
    """The existing directories, highest priority first: the project's (each of `subdirs` in
    every directory from the workspace up to the git root, innermost first, `subdirs` in
    order), then `user_dirs` in order. Also the warnings, and the resolved project top.

    A project directory that resolves outside the project (`.claude/skills -> ~/.ssh`) is
    refused with a warning: everything under it would otherwise pass the containment checks
    made against it.
    """
    dirs = memory_dirs(workspace)
    top = dirs[0].resolve()
    found: list[SearchDir] = []
    warnings: list[str] = []
    candidates = [(d / sub, "project") for d in reversed(dirs) for sub in subdirs]
    candidates += [(Path(u), "user") for u in user_dirs]
    for path, scope in candidates:
        if not path.is_dir():
            continue
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if any(d.real == real for d in found):
            continue  # the workspace is the home directory: ~/.claude is both, read it once
        if scope == "project" and not inside(real, top):
            warnings.append(f"ignoring {path}: it leads outside the project (to {real})")
            continue
        found.append(SearchDir(path, real, "project" if scope == "project" else "user"))
    return found, warnings, top


def inside(real: Path, top: Path) -> bool:
    """Whether resolved `real` is `top` or lies under it."""
    return real == top or top in real.parents
