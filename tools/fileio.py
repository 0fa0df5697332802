"""Low-level file access for the file tools: only plain files are opened, and edits keep endings.

Why refuse some files outright:

- A FIFO blocks `open()` until a writer appears, forever if none does; a character or block
  device (`/dev/zero`, a disk, a tty) never ends or has side effects on open; a socket cannot be
  opened at all. The type is checked with `lstat` before opening, the file is opened with
  `O_NONBLOCK | O_NOFOLLOW` (so a FIFO swapped in after the check cannot block either), and
  `fstat` on the open descriptor confirms it is still the same regular file.
- A regular file with more than one hard link may be a second name for a file outside the
  workspace (`ln ~/.ssh/id_rsa notes.txt`, planted by a command). Its other names cannot be
  found without walking the whole filesystem, so the file tools refuse to read it. This blocks
  the file tools (which run in the agent's own process, outside any sandbox) from being a way
  around the sandbox's protection of credential stores. The cost: trees built with hard links
  (`cp -al`, pnpm's store, uv's default link mode on Linux) are not readable by `read_file`;
  `run_command` (`cat`, which runs inside the sandbox) still reads them. Writing over such a
  name is safe and allowed: `atomic_write` puts a new file in its place, so the other names
  keep their old content.
"""

from __future__ import annotations

import bisect
import os
import re
import stat
from pathlib import Path

from tools.errors import ToolError
from tools.workspace import Workspace

MAX_LINE_CHARS = 2000
SNIFF_BYTES = 8192
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_EOL = re.compile(r"\r?\n")


def special_kind(mode: int) -> str | None:
    """What a file that is neither a regular file nor a directory is ("a socket"), else None."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def refuse_special(st: os.stat_result, path: str) -> None:
    """A ToolError for a FIFO, socket or device: opening one can block forever."""
    kind = special_kind(st.st_mode)
    if kind is not None:
        raise ToolError(
            f"{path!r} is {kind}, not a regular file; the file tools only read and write "
            "regular files (opening this one could block or have side effects)"
        )


def refuse_hard_link(st: os.stat_result, path: str) -> None:
    """A ToolError for a regular file with several hard links (see the module docstring)."""
    if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
        raise ToolError(
            f"{path!r} has {st.st_nlink} hard links, so it may be another name for a file "
            "outside the workspace; the file tools do not read hard-linked files (run_command "
            "can, inside the sandbox)"
        )


def existing_path(ws: Workspace, path: str) -> Path:
    """The resolved `path`, which must exist (nothing is opened)."""
    real = ws.resolve(path)
    if not real.exists():
        raise ToolError(f"{path!r} does not exist")
    return real


def lstat_or_none(real: Path) -> os.stat_result | None:
    try:
        return os.lstat(real)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ToolError(f"cannot stat {real.name!r}: {exc.strerror or exc}") from None


def read_regular(
    real: Path, path: str, *, limit: int | None = None, links_ok: bool = False
) -> bytes:
    """The bytes of the regular file `real` (the first `limit` if given); one with several hard
    links is refused unless `links_ok` (for a peek whose content the model never sees).

    `real` must already be resolved (Workspace.resolve), so its last component is no symlink;
    O_NOFOLLOW turns a symlink swapped in since into an error instead of a way out.
    """
    before = lstat_or_none(real)
    if before is None:
        raise ToolError(f"{path!r} does not exist")
    if stat.S_ISDIR(before.st_mode):
        raise ToolError(f"{path!r} is a directory")
    refuse_special(before, path)
    if not links_ok:
        refuse_hard_link(before, path)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        raise ToolError(f"cannot open {path!r}: {exc.strerror or exc}") from None
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise ToolError(f"{path!r} was replaced while it was being opened; try again")
        refuse_special(now, path)
        if not links_ok:
            refuse_hard_link(now, path)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read() if limit is None else fh.read(limit)
    except OSError as exc:
        raise ToolError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def looks_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB: what git and grep call binary."""
    return b"\0" in data[:SNIFF_BYTES]


# -- editing with each line's ending kept -----------------------------------------------------


class EndingMap:
    """`raw` text seen with every CRLF as LF (`lf`), and the way back to offsets in `raw`.

    The model matches and writes text in LF terms (read_file shows lines without `\\r`); a file
    with mixed endings must still keep every line it did not touch byte for byte, so a match is
    found in `lf` and the replacement is spliced into `raw`.
    """

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.lf = raw.replace("\r\n", "\n")
        # the LF-view offset of each newline that is a CRLF in raw
        self._crlf_at = [m.start() - k for k, m in enumerate(re.finditer("\r\n", raw))]
        crlf = len(self._crlf_at)
        # the ending a new line gets when its neighbourhood does not decide: the file's majority
        self.dominant = "\r\n" if crlf and crlf >= self.lf.count("\n") - crlf else "\n"

    def to_raw(self, offset: int) -> int:
        """The raw offset of LF-view `offset` (a CRLF's newline maps to its `\\r`)."""
        return offset + bisect.bisect_left(self._crlf_at, offset)

    def _eol_for(self, start: int, end: int) -> str:
        """The ending for new lines replacing raw[start:end]: the one the span and the line it
        ends in use, if they agree; else the file's dominant one."""
        line_end = self.raw.find("\n", end)
        stop = len(self.raw) if line_end < 0 else line_end + 1
        kinds = set(_EOL.findall(self.raw, start, stop))
        return kinds.pop() if len(kinds) == 1 else self.dominant

    def replace(self, old: str, new: str, count: int) -> str:
        """Raw text with the first `count` occurrences of LF-view `old` replaced by `new`."""
        pieces: list[str] = []
        copied = 0  # raw offset up to which the text is already in pieces
        at = self.lf.find(old)
        while at >= 0 and count > 0:
            start, end = self.to_raw(at), self.to_raw(at + len(old))
            pieces += [self.raw[copied:start], new.replace("\n", self._eol_for(start, end))]
            copied = end
            count -= 1
            at = self.lf.find(old, at + len(old))
        pieces.append(self.raw[copied:])
        return "".join(pieces)
