"""Listing and searching: list_dir, glob and grep, confined to the workspace.

They go through the ripgrep binary bundled by the `ripgrep` wheel, so they respect .gitignore
(and .ignore) exactly as a developer's own `rg` would. rg's walk skips FIFOs and devices; one
named directly is refused before rg could block on it, and matches in hard-linked files are
not shown (see tools/fileio.py).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from tools.base import tool
from tools.errors import ToolError
from tools.fileio import (
    MAX_LINE_CHARS,
    existing_path,
    lstat_or_none,
    refuse_hard_link,
    refuse_special,
)
from tools.workspace import Workspace

MAX_LIST_ENTRIES = 1000
RG_TIMEOUT_S = 120.0
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
    real = existing_path(ws, path)
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


def _hard_linked(ws: Workspace, name: str, seen: dict[str, bool]) -> bool:
    """Whether rg's result `name` has several hard links (remembered in `seen`)."""
    if name not in seen:
        try:
            st = os.lstat(ws.root / name)
        except OSError:
            st = None
        seen[name] = st is not None and stat.S_ISREG(st.st_mode) and st.st_nlink > 1
    return seen[name]


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
    real = existing_path(ws, path)
    st = lstat_or_none(real)
    if st is not None:
        # rg skips FIFOs and devices while walking, but reads one named on its command line
        refuse_special(st, path)
        refuse_hard_link(st, path)
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
    linked: dict[str, bool] = {}  # file -> has several hard links (see tools/fileio.py)
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
        if _hard_linked(ws, name, linked):
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
    hidden = sorted(name for name, multi in linked.items() if multi)
    note = (
        f"[matches in {len(hidden)} hard-linked file(s) not shown, e.g. {hidden[0]}: such a "
        "file may be another name for one outside the workspace]"
        if hidden
        else ""
    )
    if code == 2 and total == 0:
        raise ToolError(f"grep failed: {err or 'rg exited with 2'}")
    if total == 0:
        return f"no matches for {pattern!r}" + (f"\n{note}" if note else "")
    if note:
        lines.append(note)
    if total > shown:
        lines.append(
            f"[... {total - shown} more matching lines not shown ({total} in all); "
            "narrow the pattern, path or glob]"
        )
    if code == 2 and err:
        lines.append(f"[some files could not be searched: {err.splitlines()[0]}]")
    return "\n".join(lines)
