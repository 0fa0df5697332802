"""File tools: read, write, edit, list, glob and grep, all confined to the workspace.

Listing and searching go through the ripgrep binary bundled by the `ripgrep` wheel, so they
respect .gitignore (and .ignore) exactly as a developer's own `rg` would.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from minimax_agent.errors import ToolError
from tools.base import DEFAULT_RESULT_CHARS, tool
from tools.workspace import Workspace, atomic_write, is_binary, uses_crlf

MAX_LINE_CHARS = 2000
MAX_LIST_ENTRIES = 1000
MAX_DIFF_LINES = 120
RG_TIMEOUT_S = 120.0
# read_file stops before the tool-result cap so that its "use offset=" footer stays truthful
READ_BUDGET_CHARS = DEFAULT_RESULT_CHARS - 2000
# a .git directory is never interesting to list or search, even with --hidden
RG_BASE = ("--hidden", "--no-require-git", "--glob", "!.git", "--no-config")


@functools.cache
def ripgrep() -> str | None:
    """Path of the rg binary: on PATH, or next to this interpreter (where the wheel puts it)."""
    found = shutil.which("rg")
    if found:
        return found
    scripts = Path(sys.executable).parent
    for name in ("rg", "rg.exe"):
        if (scripts / name).is_file():
            return str(scripts / name)
    return None


def run_rg(ws: Workspace, args: list[str], cwd: Path | None = None) -> tuple[int, str, str]:
    """Run rg; returns (exit code, stdout, stderr). rg exits 1 when nothing matched."""
    rg = ripgrep()
    if rg is None:
        raise ToolError("ripgrep (rg) is not installed; install the `ripgrep` package")
    try:
        proc = subprocess.run(
            [rg, *RG_BASE, *args],
            cwd=cwd or ws.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RG_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(f"search timed out after {RG_TIMEOUT_S:.0f}s; narrow the path") from None
    out = proc.stdout.decode("utf-8", errors="replace")
    return proc.returncode, out, proc.stderr.decode("utf-8", errors="replace").strip()


def _existing(ws: Workspace, path: str) -> Path:
    real = ws.resolve(path)
    if not real.exists():
        raise ToolError(f"{path!r} does not exist")
    return real


def _text_file(ws: Workspace, path: str) -> Path:
    real = _existing(ws, path)
    if real.is_dir():
        raise ToolError(f"{path!r} is a directory; use list_dir to see its contents")
    if is_binary(real):
        raise ToolError(f"{path!r} is a binary file; only text files can be read or edited")
    return real


@tool("read")
def read_file(
    ws: Workspace,
    path: Annotated[str, Field(description="File path, relative to the workspace root.")],
    offset: Annotated[int, Field(ge=1, description="First line to show (1-based).")] = 1,
    limit: Annotated[int, Field(ge=1, le=5000, description="Maximum lines to show.")] = 2000,
) -> str:
    """Read a text file. Lines are numbered like `cat -n` (number, tab, text); use offset and
    limit to page through long files. The numbers are not part of the file."""
    real = _text_file(ws, path)
    text = real.read_bytes().decode("utf-8", errors="replace")
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
    existed = real.exists()
    if real.is_dir():
        raise ToolError(f"{path!r} is a directory")
    if existed and is_binary(real):
        raise ToolError(f"{path!r} is a binary file; refusing to overwrite it with text")
    real.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(real, content)
    verb = "overwrote" if existed else "created"
    return f"{verb} {ws.relative(real)} ({_count_lines(content)} lines)"


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
    real = ws.resolve(path, write=True)
    if not real.exists():
        raise ToolError(f"{path!r} does not exist; use write_file to create it")
    real = _text_file(ws, path)
    data = real.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{path!r} is not UTF-8 text; refusing to edit it") from None
    crlf = uses_crlf(data)
    if crlf:
        # match in LF terms; atomic_write puts the CRLF back
        text = text.replace("\r\n", "\n")
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
    updated = text.replace(old_string, new_string)
    atomic_write(real, updated)
    rel = ws.relative(real)
    what = f"{count} occurrences" if count > 1 else "1 occurrence"
    return f"edited {rel}: replaced {what}\n{_short_diff(rel, text, updated)}"


def _rg_files(ws: Workspace, base: Path, extra: list[str]) -> list[str]:
    """Files under `base` (relative to it) that ripgrep does not ignore."""
    code, out, err = run_rg(ws, ["--files", *extra], cwd=base)
    if code not in (0, 1) or (code == 1 and err):
        raise ToolError(f"listing failed: {err or f'rg exited with {code}'}")
    return sorted(line.removeprefix("./") for line in out.splitlines() if line)


def _capped(entries: list[str], what: str) -> str:
    if len(entries) <= MAX_LIST_ENTRIES:
        return "\n".join(entries)
    cut = len(entries) - MAX_LIST_ENTRIES
    kept = "\n".join(entries[:MAX_LIST_ENTRIES])
    return f"{kept}\n[... {cut} more {what} not shown; narrow the path or pattern]"


def _directory(ws: Workspace, path: str) -> Path:
    real = _existing(ws, path)
    if not real.is_dir():
        raise ToolError(f"{path!r} is a file, not a directory")
    return real


@tool("read")
def list_dir(
    ws: Workspace,
    path: Annotated[str, Field(description="Directory, relative to the workspace root.")] = ".",
) -> str:
    """List a directory's entries (directories end with `/` and show how many files they
    hold). Files ignored by .gitignore are left out."""
    real = _directory(ws, path)
    files: list[str] = []
    dirs: dict[str, int] = {}
    for entry in _rg_files(ws, real, []):
        head, sep, _ = entry.partition("/")
        if sep:
            dirs[head] = dirs.get(head, 0) + 1
        else:
            files.append(head)
    entries = [f"{d}/ ({n} file{'s' * (n != 1)})" for d, n in sorted(dirs.items())] + files
    if not entries:
        return f"{ws.relative(real)} has no files (or all of them are ignored)"
    return _capped(entries, "entries")


def _prefix(ws: Workspace, base: Path) -> str:
    rel = ws.relative(base)
    return "" if rel == "." else f"{rel}/"


@tool("read")
def glob(
    ws: Workspace,
    pattern: Annotated[
        str,
        Field(
            description="Glob such as `**/*.py` or `src/*.ts`; a pattern without `/` matches "
            "file names at any depth."
        ),
    ],
    path: Annotated[
        str, Field(description="Directory to search from, relative to the workspace root.")
    ] = ".",
) -> str:
    """Find files by name pattern, respecting .gitignore. Paths are relative to the
    workspace root."""
    real = _directory(ws, path)
    prefix = _prefix(ws, real)
    # a file matching an rg --glob is listed even when .gitignore ignores it
    visible = set(_rg_files(ws, real, []))
    matched = _rg_files(ws, real, ["--glob", pattern])
    found = [prefix + f for f in matched if f in visible]
    if not found:
        return f"no files match {pattern!r}"
    return _capped(found, "files")


def _line_text(data: dict[str, Any]) -> str:
    lines = data.get("lines", {})
    text = lines.get("text") if isinstance(lines, dict) else None
    if not isinstance(text, str):
        return "[non-UTF-8 line]"
    text = text.rstrip("\r\n")
    if len(text) > MAX_LINE_CHARS:
        text = f"{text[:MAX_LINE_CHARS]} [... line cut]"
    return text


@tool("read")
def grep(
    ws: Workspace,
    pattern: Annotated[str, Field(description="Regular expression (Rust regex syntax).")],
    path: Annotated[
        str, Field(description="File or directory to search, relative to the workspace root.")
    ] = ".",
    glob: Annotated[
        str | None, Field(description="Only search files matching this glob, e.g. `*.py`.")
    ] = None,
    context: Annotated[
        int, Field(ge=0, le=20, description="Lines of context around each match.")
    ] = 0,
    ignore_case: Annotated[bool, Field(description="Match case-insensitively.")] = False,
    max_results: Annotated[
        int, Field(ge=1, le=2000, description="Maximum matching lines to show.")
    ] = 200,
) -> str:
    """Search file contents with a regular expression (ripgrep), respecting .gitignore.
    Results are `path:line:text`; context lines use `-` instead of `:`."""
    real = _existing(ws, path)
    args = ["--json", "--line-number"]
    if context:
        args += ["--context", str(context)]
    if ignore_case:
        args.append("--ignore-case")
    if glob:
        args += ["--glob", glob]
    target = ws.relative(real)
    code, out, err = run_rg(ws, [*args, "--regexp", pattern, "--", target])
    visible: set[str] | None = None
    if glob:
        # a file matching an rg --glob is searched even when .gitignore ignores it
        visible = set(_rg_files(ws, ws.root, ["--", target]))
    lines: list[str] = []
    shown = total = 0
    last: tuple[str, int] | None = None
    for raw in out.splitlines():
        event = json.loads(raw)
        kind, data = event.get("type"), event.get("data", {})
        if kind not in ("match", "context"):
            continue
        name = data.get("path", {}).get("text", "?").removeprefix("./")
        if visible is not None and name not in visible:
            continue
        if kind == "match":
            total += 1
            if total > max_results:
                continue
            shown += 1
        elif total > max_results:
            continue
        number = int(data.get("line_number") or 0)
        if context and last is not None and (last[0] != name or number > last[1] + 1):
            lines.append("--")
        last = (name, number)
        sep = ":" if kind == "match" else "-"
        lines.append(f"{name}{sep}{number}{sep}{_line_text(data)}")
    if code == 2 and total == 0:
        raise ToolError(f"grep failed: {err or 'rg exited with 2'}")
    if total == 0:
        return f"no matches for {pattern!r}"
    if total > shown:
        lines.append(
            f"[... {total - shown} more matching lines not shown ({total} in all); "
            "narrow the pattern, path or glob]"
        )
    if code == 2 and err:
        lines.append(f"[some files could not be searched: {err.splitlines()[0]}]")
    return "\n".join(lines)
