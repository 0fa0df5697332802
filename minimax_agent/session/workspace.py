"""Where a run works: the workspace root, and where in it the user stands.

Without `-C`, the workspace is the git root above the current directory (found by walking up
for a `.git` directory or file, without running git: this is on every start), and the current
directory is remembered as `subdir`: the system prompt names it, and the AGENTS.md and
`.minimax-agent.toml` files from the root down to it apply. Outside git the current directory
is the workspace. With `-C DIR`, DIR is the workspace as given, even when it is a
subdirectory of a repository: the user said where to work (config and AGENTS.md files still
come from the git root down to DIR). `in_git` says whether checkpoints, and so undo, can work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minimax_agent.errors import WorkspaceError
from minimax_agent.session.memory import git_root

# what fix prints on stderr, and the REPL shows as a notice, when checkpoints cannot be taken
NO_CHECKPOINTS = (
    "not a git repository: checkpoints and undo are off (run `git init` to enable them)"
)


@dataclass(frozen=True)
class Workspace:
    """`root`: the resolved workspace; `subdir`: the current directory relative to it
    (`Path(".")` at the root); `in_git`: whether `root` lies in a git work tree."""

    root: Path
    subdir: Path
    in_git: bool

    @property
    def here(self) -> Path:
        """The directory the user stands in (the root, or `subdir` inside it)."""
        return self.root / self.subdir


def find_workspace(directory: Path | None) -> Workspace:
    """The workspace for `-C directory`, or for the current directory when `-C` was not
    given (None). A WorkspaceError when the directory is missing or not a directory."""
    given = directory if directory is not None else Path(".")
    try:
        start = given.expanduser().resolve(strict=True)
    except (OSError, RuntimeError):
        raise WorkspaceError(f"workspace {given} is not a directory: it does not exist") from None
    if not start.is_dir():
        raise WorkspaceError(f"workspace {given} is not a directory")
    top = git_root(start)
    if directory is not None or top is None:
        return Workspace(root=start, subdir=Path("."), in_git=top is not None)
    return Workspace(root=top, subdir=start.relative_to(top), in_git=True)
