"""File tools: read, write and edit, all confined to the workspace.

Only regular files are opened (FIFOs, devices and hard-linked files are refused: see
tools/fileio.py), and an edit changes the bytes it replaces and no others, line endings
included. Listing and searching live in tools/search.py and are re-exported here.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field

from tools.base import DEFAULT_RESULT_CHARS, tool
from tools.errors import ToolError
from tools.fileio import (
    MAX_LINE_CHARS,
    SNIFF_BYTES,
    EndingMap,
    existing_path,
    looks_binary,
    lstat_or_none,
    read_regular,
    refuse_special,
)
from tools.search import MAX_LIST_ENTRIES, glob, grep, list_dir, ripgrep, run_rg
from tools.workspace import Workspace, atomic_write

__all__ = [
    "MAX_LINE_CHARS",
    "MAX_LIST_ENTRIES",
    "edit_file",
    "glob",
    "grep",
    "list_dir",
    "read_file",
    "ripgrep",
    "run_rg",
    "write_file",
]

MAX_DIFF_LINES = 120
# read_file stops before the tool-result cap so that its "use offset=" footer stays truthful
READ_BUDGET_CHARS = DEFAULT_RESULT_CHARS - 2000


def _text_bytes(ws: Workspace, path: str) -> tuple[Path, bytes]:
    """The file's real path and bytes; FIFOs, devices, hard links and binaries are refused."""
    real = existing_path(ws, path)
    if real.is_dir():
        raise ToolError(f"{path!r} is a directory; use list_dir to see its contents")
    data = read_regular(real, path)
    if looks_binary(data):
        raise ToolError(f"{path!r} is a binary file; only text files can be read or edited")
    return real, data


@tool("read")
def read_file(
    ws: Workspace,
    path: Annotated[str, Field(description="File path, relative to the workspace root.")],
    offset: Annotated[int, Field(ge=1, description="First line to show (1-based).")] = 1,
    limit: Annotated[int, Field(ge=1, le=5000, description="Maximum lines to show.")] = 2000,
) -> str:
    """Read a text file. Lines are numbered like `cat -n` (number, tab, text); use offset and
    limit to page through long files. The numbers are not part of the file."""
    real, data = _text_bytes(ws, path)
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines:
        return f"({ws.relative(real)} is empty)"
    if offset > len(lines):
        raise ToolError(f"offset {offset} is past the end of {path!r} ({len(lines)} lines)")
    out: list[str] = []
    used = 0
    end = min(len(lines), offset - 1 + limit)
    number = offset
    while number <= end:
        line = lines[number - 1].removesuffix("\r")
        if len(line) > MAX_LINE_CHARS:
            cut = len(line) - MAX_LINE_CHARS
            line = f"{line[:MAX_LINE_CHARS]} [... line cut: {cut} more characters]"
        entry = f"{number:6d}\t{line}"
        if out and used + len(entry) > READ_BUDGET_CHARS:
            break
        out.append(entry)
        used += len(entry) + 1
        number += 1
    remaining = len(lines) - (number - 1)
    if remaining > 0:
        out.append(f"... {remaining} more lines; use offset={number} to continue")
    return "\n".join(out)


def _count_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


@tool("write")
def write_file(
    ws: Workspace,
    path: Annotated[str, Field(description="File path, relative to the workspace root.")],
    content: Annotated[str, Field(description="The complete new content of the file.")],
) -> str:
    """Create a file or replace its whole content. Missing parent directories are created.
    To change part of an existing file prefer edit_file."""
    real = ws.resolve(path, write=True)
    st = lstat_or_none(real)
    existed = st is not None
    if real.is_dir():
        raise ToolError(f"{path!r} is a directory")
    if st is not None:
        refuse_special(st, path)
        # a hard-linked name may be written: atomic_write replaces it, its other names keep
        # their content; the peek only decides binary or not and is never shown
        if looks_binary(read_regular(real, path, limit=SNIFF_BYTES, links_ok=True)):
            raise ToolError(f"{path!r} is a binary file; refusing to overwrite it with text")
    real.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(real, content)
    verb = "overwrote" if existed else "created"
    lines = _count_lines(content)
    return f"{verb} {ws.relative(real)} ({lines} line{'' if lines == 1 else 's'})"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _short_diff(rel: str, before: str, after: str) -> str:
    diff = [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{rel}",
            tofile=f"b/{rel}",
            n=3,
        )
    ]
    if len(diff) > MAX_DIFF_LINES:
        cut = len(diff) - MAX_DIFF_LINES
        diff = [*diff[:MAX_DIFF_LINES], f"[... {cut} more diff lines]"]
    return "\n".join(diff)


@tool("write")
def edit_file(
    ws: Workspace,
    path: Annotated[str, Field(description="File path, relative to the workspace root.")],
    old_string: Annotated[
        str,
        Field(description="Exact text to replace, including indentation; must be unique."),
    ],
    new_string: Annotated[str, Field(description="Text to put in its place.")],
    replace_all: Annotated[
        bool, Field(description="Replace every occurrence instead of exactly one.")
    ] = False,
) -> str:
    """Replace an exact piece of text in a file. old_string must occur exactly once (add
    surrounding lines to make it unique) unless replace_all is true. Returns a diff."""
    real, text, updated, count = _planned_edit(ws, path, old_string, new_string, replace_all)
    atomic_write(real, updated, convert_endings=False)
    rel = ws.relative(real)
    what = f"{count} occurrences" if count > 1 else "1 occurrence"
    return f"edited {rel}: replaced {what}\n{_short_diff(rel, text, EndingMap(updated).lf)}"


def preview_diff(ws: Workspace, name: str, arguments: dict[str, object]) -> str | None:
    """The diff an edit_file or write_file call would make, computed without writing, with the
    file's own line numbers and context (for an approval question); None when the call
    would fail or is not one of these."""
    path = str(arguments.get("path", ""))
    try:
        if name == "edit_file":
            real, text, updated, _ = _planned_edit(
                ws,
                path,
                str(arguments.get("old_string", "")),
                str(arguments.get("new_string", "")),
                bool(arguments.get("replace_all", False)),
            )
            return _short_diff(ws.relative(real), text, EndingMap(updated).lf)
        if name == "write_file":
            real = ws.resolve(path, write=True)
            if lstat_or_none(real) is None:
                return None  # a new file: its content is the preview, not a diff
            _, data = _text_bytes(ws, path)
            before = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
            return _short_diff(ws.relative(real), before, str(arguments.get("content", "")))
    except (ToolError, OSError):
        return None
    return None


def _planned_edit(
    ws: Workspace, path: str, old_string: str, new_string: str, replace_all: bool
) -> tuple[Path, str, str, int]:
    """(the file, its text in LF terms, its whole new content, occurrences replaced): what
    edit_file would write, or the ToolError it would give the model."""
    real = ws.resolve(path, write=True)
    if lstat_or_none(real) is None:
        raise ToolError(f"{path!r} does not exist; use write_file to create it")
    real, data = _text_bytes(ws, path)
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{path!r} is not UTF-8 text; refusing to edit it") from None
    # match in LF terms (what read_file shows); the splice keeps every other byte, endings too
    endings = EndingMap(raw)
    text = endings.lf
    old_string = old_string.replace("\r\n", "\n")
    new_string = new_string.replace("\r\n", "\n")
    if not old_string:
        raise ToolError("old_string is empty; use write_file to write a whole file")
    if old_string == new_string:
        raise ToolError("old_string and new_string are identical; nothing to change")
    count = text.count(old_string)
    if count == 0:
        hint = ""
        if _squash(old_string) and _squash(old_string) in _squash(text):
            hint = (
                "; it does match if whitespace is ignored, so check indentation and line "
                "breaks (read_file shows the exact text)"
            )
        raise ToolError(f"old_string not found in {path!r}{hint}")
    if count > 1 and not replace_all:
        raise ToolError(
            f"old_string found {count} times in {path!r}; add surrounding context to make it "
            "unique, or set replace_all to replace every occurrence"
        )
    return real, text, endings.replace(old_string, new_string, count), count
