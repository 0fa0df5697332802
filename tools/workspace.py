"""The workspace: the one directory tree the tools may touch, and safe file writes inside it.

Every path a model gives goes through `Workspace.resolve`, which follows symlinks before deciding,
so `..`, absolute paths and links that point elsewhere cannot reach outside the root.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from tools.errors import ToolError, WorkspaceError

if TYPE_CHECKING:
    from tools.sandbox import Sandbox

BINARY_SNIFF_BYTES = 8192


class Workspace:
    """The root directory the agent works in; all tool paths are confined to it."""

    def __init__(self, root: Path) -> None:
        try:
            resolved = Path(root).expanduser().resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise WorkspaceError(f"workspace {root} does not exist: {exc}") from None
        if not resolved.is_dir():
            raise WorkspaceError(f"workspace {root} is not a directory")
        self.root: Path = resolved
        # time.monotonic() when the current run must end (its wall-time limit), for tools that
        # wait; None: no limit
        self.deadline: float | None = None
        # How commands run, set by whoever builds the agent (runner.py): the OS sandbox around
        # them (None: none), the environment they get (None: ours, scrubbed of secrets by the
        # shell tool), whether git_commit may run the repository's hooks, and files the write
        # tools must refuse (the agent's own config).
        self.sandbox: Sandbox | None = None
        self.command_env: dict[str, str] | None = None
        self.git_hooks: bool = False
        self.protected: tuple[Path, ...] = ()
        # file names refused at any depth (casefolded): a project config the agent wrote in
        # a subdirectory would apply, with the root's trust, to a run started there
        self.protected_names: frozenset[str] = frozenset()
        # hosts web_fetch may reach although they resolve to private addresses (the user's
        # `web_fetch_allow`: exact names or `*.example.com`); see tools/web.py
        self.web_fetch_allow: tuple[str, ...] = ()
        # the background commands started here (tools/jobs.py); made now, not on first use,
        # so that a copy (a subagent's workspace) shares it and the session's end kills its
        # jobs too
        from tools.jobs import JobTable

        self.jobs: JobTable = JobTable()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    def resolve(self, path: str, *, write: bool = False) -> Path:
        """The real location of `path` (relative to the root, or absolute), if it is inside.

        Symlinks are resolved first, so the check is made on where the bytes really live.
        With `write=True`, anything inside a `.git` directory is refused too: a model that
        rewrites git's internals can corrupt the repository or plant hooks that run later.
        """
        if "\0" in path:
            raise ToolError(f"invalid path {path!r}: it contains a NUL character")
        candidate = Path(path) if path else Path(".")
        if path.startswith("~"):
            # a model writing `~/x` means the home directory, not a new `./~` folder here:
            # expand it, and the check below refuses it unless home holds the workspace
            candidate = Path(os.path.expanduser(path))
            if not candidate.is_absolute():
                raise ToolError(
                    f"cannot expand {path!r}: paths are relative to the workspace; "
                    f"write ./{path} for a file literally named so"
                )
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError) as exc:  # symlink loops end up here
            raise ToolError(f"cannot resolve path {path!r}: {exc}") from None
        if real != self.root and self.root not in real.parents:
            home = " (~ is the home directory; paths are relative to the workspace)"
            raise ToolError(
                f"path {path!r} is outside the workspace ({self.root})"
                f"{home if path.startswith('~') else ''}; "
                "only files inside the workspace can be used"
            )
        if write and any(part.lower() == ".git" for part in real.relative_to(self.root).parts):
            raise ToolError(
                f"refusing to write {path!r}: files inside .git are managed by git; "
                "use the git tools instead"
            )
        if write and self._is_protected(real):
            raise ToolError(
                f"refusing to write {path!r}: it is the agent's own configuration, which "
                "only the user edits"
            )
        return real

    def _is_protected(self, real: Path) -> bool:
        """Whether `real` is, or lies inside, one of `protected`. Compared case-folded: on a
        case-insensitive file system `.MINIMAX-AGENT.toml` is the same file."""
        if real.name.casefold() in self.protected_names:
            return True
        name = str(real).casefold()
        for guarded in self.protected:
            other = str(guarded).casefold()
            if name == other or name.startswith(other.rstrip(os.sep) + os.sep):
                return True
        return False

    def relative(self, path: Path) -> str:
        """`path` as shown to the model: relative to the root when inside it, with `/`."""
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return str(path)
        return rel.as_posix() if rel.parts else "."


def is_binary(path: Path) -> bool:
    """True when the file looks binary: a NUL byte in its first 8 KiB (what git and grep use)."""
    if not path.is_file():  # opening a FIFO or a device could block
        return False
    try:
        with path.open("rb") as fh:
            return b"\0" in fh.read(BINARY_SNIFF_BYTES)
    except OSError:
        return False


def uses_crlf(data: bytes) -> bool:
    """True when most line breaks in `data` are CRLF."""
    crlf = data.count(b"\r\n")
    return crlf > 0 and crlf >= data.count(b"\n") - crlf


def atomic_write(path: Path, text: str, *, convert_endings: bool = True) -> None:
    """Replace `path` with `text` in one step, so a crash never leaves a half-written file.

    The temporary file lives in the same directory (os.replace is only atomic within one
    filesystem). An existing file keeps its permission bits and, unless `convert_endings` is
    False (edit_file splices endings itself, line by line), its CRLF line endings; a new file
    gets the default mode for the current umask. Replacing also breaks a hard link: the file's
    other names keep their old content. Only a regular file is read: a FIFO would block.
    """
    mode: int | None = None
    with contextlib.suppress(FileNotFoundError):
        st = path.stat()
        if stat.S_ISREG(st.st_mode):
            mode = stat.S_IMODE(st.st_mode)
            if convert_endings and uses_crlf(path.read_bytes()):
                text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # 0o666 lets the umask decide a new file's mode, as a plain open() would
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
