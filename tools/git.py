"""Git tools through GitPython: status, diff, log, show, blame and commit.

`git` (GitPython) is imported inside the functions: importing it starts a `git` subprocess,
which `minimax-agent --version` must not pay for. Paths go through the Workspace, then become
literal pathspecs relative to the repository, so a file named `*.py` means only that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from minimax_agent.errors import ToolError
from tools.base import tool
from tools.workspace import Workspace

_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_EDITOR": "true"}


class _Repo:
    """A GitPython repository plus where the workspace sits inside it."""

    def __init__(self, ws: Workspace) -> None:
        try:
            import git
        except ImportError as exc:  # GitPython raises this when no git binary is found
            raise ToolError(f"git is not available: {exc}") from None
        try:
            self.repo: Any = git.Repo(ws.root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise ToolError(f"not a git repository: {ws.root}") from None
        if self.repo.working_tree_dir is None:
            raise ToolError(f"not a git repository with a working tree: {ws.root}")
        self.top = Path(self.repo.working_tree_dir).resolve()
        self.ws = ws

    def run(self, *args: str) -> str:
        """Output of `git ARGS` run at the top of the work tree; a failure is a ToolError."""
        status, out, err = self.repo.git.execute(
            ["git", *args],
            with_extended_output=True,
            with_exceptions=False,
            env=_ENV,
        )
        if status != 0:
            message = (err or out or "").strip() or f"exit code {status}"
            raise ToolError(f"git {args[0]} failed: {message}")
        return str(out)

    def pathspec(self, path: str) -> str:
        """A workspace path as a literal pathspec relative to the repository top."""
        real = self.ws.resolve(path)
        try:
            rel = real.relative_to(self.top).as_posix()
        except ValueError:
            raise ToolError(f"{path!r} is not inside the repository {self.top}") from None
        return f":(literal){rel or '.'}"


def _ref(value: str, what: str = "ref") -> str:
    value = value.strip()
    if not value:
        raise ToolError(f"empty {what}")
    if value.startswith("-"):
        # it would be read as an option
        raise ToolError(f"invalid {what} {value!r}: it must not start with '-'")
    return value


@tool("read")
def git_status(ws: Workspace) -> str:
    """Show the current branch and changed, staged and untracked files (`git status --short`)."""
    repo = _Repo(ws)
    out = repo.run("status", "--short", "--branch")
    if len(out.splitlines()) <= 1:
        out += "\n(working tree clean)"
    return out


@tool("read")
def git_diff(
    ws: Workspace,
    target: Annotated[
        str,
        Field(
            description="`worktree` (unstaged changes), `staged` (staged changes), or a "
            "commit/range to compare, e.g. `HEAD~1` or `main..HEAD`."
        ),
    ] = "worktree",
    path: Annotated[
        str | None, Field(description="Limit the diff to this file or directory.")
    ] = None,
) -> str:
    """Show changes as a unified diff: unstaged, staged, or against a commit."""
    repo = _Repo(ws)
    if target == "worktree":
        args = ["diff"]
    elif target == "staged":
        args = ["diff", "--cached"]
    else:
        args = ["diff", _ref(target)]
    if path is not None:
        args += ["--", repo.pathspec(path)]
    out = repo.run(*args)
    return out or f"no differences ({target})"


@tool("read")
def git_log(
    ws: Workspace,
    n: Annotated[int, Field(ge=1, le=500, description="How many commits to show.")] = 20,
    path: Annotated[
        str | None, Field(description="Only commits touching this file or directory.")
    ] = None,
) -> str:
    """Show recent commits, newest first: short hash, date, author, subject."""
    repo = _Repo(ws)
    args = ["log", f"-n{n}", "--date=short", "--format=%h %ad %an: %s"]
    if path is not None:
        args += ["--", repo.pathspec(path)]
    return repo.run(*args) or "no commits"


@tool("read")
def git_show(
    ws: Workspace,
    ref: Annotated[
        str,
        Field(
            description="A commit (e.g. `HEAD`, `abc123`) to see its message and diff, or "
            "`REF:PATH` (path from the repository root) to see a file as it was."
        ),
    ],
) -> str:
    """Show a commit (message, stats and diff) or a file's content at a commit."""
    repo = _Repo(ws)
    ref = _ref(ref)
    if ":" in ref:
        return repo.run("show", ref)
    return repo.run("show", "--stat", "--patch", "--format=fuller", ref)


@tool("read")
def git_blame(
    ws: Workspace,
    path: Annotated[str, Field(description="File path, relative to the workspace root.")],
    start: Annotated[int, Field(ge=1, description="First line (1-based).")],
    end: Annotated[int, Field(ge=1, description="Last line (inclusive).")],
) -> str:
    """Show who last changed each line in a range of a file, and in which commit."""
    if end < start:
        raise ToolError(f"end ({end}) is before start ({start})")
    repo = _Repo(ws)
    spec = repo.pathspec(path).removeprefix(":(literal)")
    return repo.run("blame", "--date=short", f"-L{start},{end}", "--", spec)


@tool("write")
def git_commit(
    ws: Workspace,
    message: Annotated[str, Field(description="Commit message: a summary line, then details.")],
    paths: Annotated[
        list[str] | None,
        Field(description="Files to stage and commit; all changes in the workspace if omitted."),
    ] = None,
) -> str:
    """Stage changes (the given paths, or everything in the workspace) and commit them."""
    if not message.strip():
        raise ToolError("the commit message is empty")
    repo = _Repo(ws)
    specs = [repo.pathspec(p) for p in paths or ["."]]
    # -A so deletions are staged too
    repo.run("add", "-A", "--", *specs)
    status, _, _ = repo.repo.git.execute(
        ["git", "diff", "--cached", "--quiet", "--", *specs],
        with_extended_output=True,
        with_exceptions=False,
    )
    if status == 0:
        where = ", ".join(paths) if paths else "the workspace"
        raise ToolError(f"nothing to commit: no changes in {where}")
    args = ["commit", "--quiet", "-m", message]
    if paths:
        # only these paths, even if other files were staged earlier
        args += ["--", *specs]
    repo.run(*args)
    sha = repo.run("rev-parse", "--short", "HEAD").strip()
    stat = repo.run("show", "--shortstat", "--format=", "HEAD").strip()
    summary = message.strip().splitlines()[0]
    return f"committed {sha}: {summary}" + (f"\n{stat}" if stat else "")
